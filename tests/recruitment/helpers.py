"""Shared helpers of the recruitment tests: a synthetic applicant and the branch's meetings."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from dangjian.audit.services import Actor
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus, Vote
from dangjian.members.history import counts_on
from dangjian.members.models import Member
from dangjian.recruitment import services
from dangjian.recruitment.models import Applicant
from dangjian.recruitment.services import StepInput
from dangjian.regulations.synth import make_id_number

BEIJING = ZoneInfo("Asia/Shanghai")
D = dt.date


def as_(user) -> Actor:
    return Actor(user=user, ip="127.0.0.1")


BIRTH = D(2000, 5, 3)
RECEIVED = D(2023, 3, 1)


def new_id(seed: int = 3, birth: dt.date = BIRTH) -> str:
    return make_id_number(random.Random(seed), birth, "male")


def open_file(demo, *, received_on=RECEIVED, seed=3, birth=BIRTH, **kw) -> Applicant:
    return services.open_file(
        as_(demo.users["secretary"]),
        demo.branch,
        name="申请人甲",
        id_number=new_id(seed, birth),
        received_on=received_on,
        **kw,
    )


def meeting(org, kind: str, day: dt.date) -> Meeting:
    return Meeting.objects.create(
        organization=org,
        kind=kind,
        topic="发展党员",
        starts_at=dt.datetime(day.year, day.month, day.day, 9, tzinfo=BEIJING),
        status=MeetingStatus.HELD,
        held_on=day,
    )


def vote(org, day: dt.date, *, present: int | None = None, yes: int | None = None) -> Vote:
    full = counts_on(org, day)[org.pk].full
    return Vote.objects.create(
        meeting=meeting(org, MeetingKind.GENERAL_MEETING, day),
        subject="接收预备党员",
        voting_members=full,
        present_voting=full if present is None else present,
        yes=full if yes is None else yes,
    )


def full_members(org, n: int) -> list[Member]:
    return list(Member.objects.filter(organization=org, status="full", left_on__isnull=True)[:n])


def step(demo, applicant, number: int, day: dt.date, user="secretary", **kw):
    return services.record_step(
        as_(demo.users[user]), applicant, StepInput(number, day, kw.pop("decided_by", "支部"), **kw)
    )


ORGAN_STEPS = {4, 8, 11, 13, 16, 17, 18, 24}


def march(demo, applicant: Applicant, until: int) -> Applicant:
    """Record steps 2..`until` on the dates of a development that keeps every rule."""
    branch = demo.branch
    plan: dict[int, tuple[dt.date, dict]] = {
        2: (D(2023, 3, 20), {}),
        3: (D(2023, 4, 10), {"meeting": "committee_meeting"}),
        4: (D(2023, 4, 20), {}),
        5: (D(2023, 4, 20), {"people": 2}),
        6: (D(2023, 10, 10), {}),
        7: (D(2024, 4, 10), {"meeting": "committee_meeting"}),
        8: (D(2024, 4, 15), {}),
        9: (D(2024, 4, 15), {"people": 2}),
        10: (D(2024, 5, 10), {}),
        11: (D(2024, 5, 20), {"training_days": 3}),
        12: (D(2024, 6, 12), {"meeting": "committee_meeting", "publicity_from": D(2024, 6, 3)}),
        13: (D(2024, 6, 20), {}),
        14: (D(2024, 6, 25), {}),
        15: (D(2024, 7, 1), {"vote": True}),
        16: (D(2024, 7, 10), {}),
        17: (D(2024, 8, 1), {}),
        18: (D(2024, 8, 5), {}),
        19: (D(2024, 8, 6), {}),
        20: (D(2024, 8, 6), {}),
        21: (D(2025, 1, 10), {}),
        22: (D(2025, 6, 1), {}),
        23: (D(2025, 7, 1), {"vote": True, "publicity_from": D(2025, 6, 20)}),
        24: (D(2025, 7, 20), {}),
        25: (D(2025, 8, 1), {}),
    }
    for number in range(applicant.next_step, until + 1):
        day, extra = plan[number]
        kw: dict = {}
        if "meeting" in extra:
            kw["meeting"] = meeting(branch, extra["meeting"], day)
        if extra.get("vote"):
            kw["vote"] = vote(branch, day)
        if "people" in extra:
            kw["people"] = full_members(branch, extra["people"])
        for key in ("training_days", "publicity_from"):
            if key in extra:
                kw[key] = extra[key]
        user = "organ" if number in ORGAN_STEPS else "secretary"
        step(demo, applicant, number, day, user, **kw)
        applicant.refresh_from_db()
    return applicant
