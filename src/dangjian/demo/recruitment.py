"""The demo's member development: synthetic files in the first department's branches at each
stage (an application waiting for its talk, an activist, a candidate, one awaiting the 机关党委's
approval), recorded through the services with their meetings and votes. Additive: skipped when
any file exists."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from dangjian.audit.services import Actor
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus, Vote
from dangjian.members.history import counts_on
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.recruitment import services
from dangjian.recruitment.models import Applicant
from dangjian.regulations.synth import make_id_number, make_name

BEIJING = ZoneInfo("Asia/Shanghai")
# Days after the application for each step, keeping every rule (a year and more from activist
# to candidate, the 公示 before the committee's review, the vote after the form).
OFFSETS = {2: 15, 3: 40, 4: 45, 5: 45, 6: 220, 7: 410, 8: 415, 9: 415, 10: 430, 11: 440,
           12: 470, 13: 475, 14: 480, 15: 490, 16: 500}  # fmt: skip
COMMITTEE_MEETING_STEPS = {3, 7, 12}
# (branch code, days since the application, the last step recorded)
FILES = (("FGW-B01", 20, 1), ("FGW-B01", 240, 6), ("FGW-B02", 450, 11), ("FGW-B01", 520, 16))


def _meeting(org: Organization, kind: str, day: dt.date) -> Meeting:
    return Meeting.objects.create(
        organization=org,
        kind=kind,
        topic="发展党员工作",
        starts_at=dt.datetime(day.year, day.month, day.day, 15, tzinfo=BEIJING),
        status=MeetingStatus.HELD,
        held_on=day,
    )


def _input(org: Organization, number: int, day: dt.date, base: dt.date) -> services.StepInput:
    data = services.StepInput(number, day, "党支部委员会" if number in (3, 7, 12) else org.name)
    if number in COMMITTEE_MEETING_STEPS:
        data.meeting = _meeting(org, MeetingKind.COMMITTEE_MEETING, day)
    if number == 15:
        full = counts_on(org, day).get(org.pk)
        n = full.full if full else 0
        data.vote = Vote.objects.create(
            meeting=_meeting(org, MeetingKind.GENERAL_MEETING, day),
            subject="接收预备党员",
            voting_members=n,
            present_voting=n,
            yes=n,
        )
    if number in (5, 9):
        data.people = list(
            Member.objects.filter(organization=org, status="full", left_on__isnull=True)
            .select_related("organization")
            .order_by("pk")[:2]
        )
    if number == 11:
        data.training_days = 3
    if number == 12:
        data.publicity_from = base + dt.timedelta(days=OFFSETS[12] - 20)
    return data


def ensure_recruitment(*, today: dt.date, seed: int = 20261125, out=print) -> None:
    if Applicant.objects.exists():
        return
    rng = random.Random(seed + 17)
    actor = Actor.system("demo")
    orgs = {o.code: o for o in Organization.objects.filter(code__in={c for c, _, _ in FILES})}
    for code, age, last in FILES:
        org = orgs.get(code)
        if org is None:
            continue
        base = today - dt.timedelta(days=age)
        gender = rng.choice(("male", "female"))
        birth = dt.date(rng.randint(1990, 2002), rng.randint(1, 12), rng.randint(1, 28))
        applicant = services.open_file(
            actor,
            org,
            name=make_name(rng, gender),
            id_number=make_id_number(rng, birth, gender),
            received_on=base,
        )
        for number in range(2, last + 1):
            day = base + dt.timedelta(days=OFFSETS[number])
            services.record_step(actor, applicant, _input(org, number, day, base))
            applicant.refresh_from_db()
    out(f"发展党员演示档案：{Applicant.objects.count()} 份")
