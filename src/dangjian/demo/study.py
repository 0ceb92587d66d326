"""The demo's study side: synthetic materials and a monthly topic (the library), trainings, an
external training and the cadre training plan (study hours)."""

from __future__ import annotations

import datetime as dt

from dangjian.study.demo import ensure_materials, ensure_trainings


def ensure_study(*, today: dt.date, seed: int = 20261125, out=print) -> None:
    ensure_materials(seed=seed, today=today, out=out)
    ensure_trainings(today=today, out=out)
