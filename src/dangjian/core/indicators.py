"""The catalogue of computed assessment indicators: each app contributes sources of its own.

An app declares, in its own `indicators.py` (found by `import_app_modules`, like `dossier.py`):

    register(Source("meetings_held", "应召开会议按期召开率", "…how it is computed…", compute))

`compute(targets, year, as_of)` reads the app's records for the subtrees of all `targets`
(organizations) in `year`, up to `as_of`, in a fixed number of queries whatever their number,
and returns per target id an `Explained`: the value on 0–100 (a share, in percent), a sentence
saying how it was worked out for this target, and the inputs behind it (record labels and links,
never an ID number or a phone). `TargetIndex` assigns records to targets by path.

No source may measure app activity (logins, time online, page views, points, check-in counts,
reading time): `register` refuses one whose key or title names it (regulations/assessment.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from os.path import commonprefix
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from dangjian.core.plugins import import_app_modules
from dangjian.regulations.assessment import forbidden_reason

# Inputs shown per target at most: a figure built from thousands of records names the first
# ones and says how many more there are.
MAX_INPUTS = 50


@dataclass
class Explained:
    value: Decimal | None  # 0–100; None when there is nothing to measure yet
    method: str
    inputs: list[dict[str, Any]] = field(default_factory=list)  # {"label", "link", "ok"}


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    description: str
    compute: Callable[[Sequence[Any], int, dt.date], dict[int, Explained]]
    order: int = 100


_sources: dict[str, Source] = {}
_discovered = False


def register(source: Source) -> None:
    refused = forbidden_reason(source.key, source.label)
    if refused is not None:
        raise ImproperlyConfigured(refused)
    known = _sources.get(source.key)
    if known is not None and known.compute.__module__ != source.compute.__module__:
        raise ImproperlyConfigured(f"indicator source {source.key!r} registered by two apps")
    _sources[source.key] = source


def catalogue() -> dict[str, Source]:
    global _discovered
    if not _discovered:
        import_app_modules("indicators")
        _discovered = True
    return dict(sorted(_sources.items(), key=lambda kv: (kv[1].order, kv[0])))


def share(part: int, whole: int) -> Decimal | None:
    """part / whole in percent to the hundredth; None when there is nothing to divide."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


class TargetIndex:
    """Which target a record belongs to, by its organization's path (targets' subtrees)."""

    # Above this many subtrees, records are read under their common ancestor (one indexed
    # prefix) and those outside every target dropped while assigning.
    MANY = 50

    def __init__(self, targets: Iterable[Any]) -> None:
        targets = list(targets)
        self.by_path = {t.path: t.pk for t in targets}
        self.lengths = sorted({len(p) for p in self.by_path})
        self.steplen = getattr(targets[0], "steplen", 4) if targets else 4

    def where(self, prefix: str = "organization__") -> Q:
        """A filter on `<prefix>path` picking every target's subtree (maybe more)."""
        prefixes = self.prefixes()
        if len(prefixes) > self.MANY:
            common = commonprefix(prefixes)
            prefixes = [common[: len(common) - len(common) % self.steplen]]
        q = Q(pk__in=[])
        for path in prefixes:
            q |= Q(**{f"{prefix}path__startswith": path})
        return q

    def target_of(self, path: str) -> int | None:
        for length in self.lengths:
            found = self.by_path.get(path[:length])
            if found is not None:
                return found
        return None

    def prefixes(self) -> list[str]:
        """The targets' paths, those inside another target's subtree left out."""
        # Sorted, a subtree's paths follow its root's with no other path between them, so a
        # path is inside a kept subtree exactly when it is inside the last one kept (linear:
        # a province's 3,000 branches were 4.5 million comparisons against every kept one).
        kept: list[str] = []
        for path in sorted(self.by_path):
            if not kept or not path.startswith(kept[-1]):
                kept.append(path)
        return kept


def capped(inputs: list[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    if total > len(inputs):
        inputs = [*inputs, {"label": f"……另有{total - len(inputs)}条记录", "link": "", "ok": None}]
    return inputs
