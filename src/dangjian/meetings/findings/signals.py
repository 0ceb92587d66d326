"""Member-level signals (absence streaks, the 党章 第九条 six-month lapse) for one branch.

They name people, so they are computed for one branch at a time and shown only to those
`accounts.access.signal_visibility` allows: streaks to the branch's secretary and committee,
lapses also to the organ committee.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max

from dangjian.core.clock import today as local_today
from dangjian.meetings.models import ATTENDED, Attendance, AttendanceStatus, MeetingStatus
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.regulations.attendance import (
    AbsenceStreak,
    absence_streaks,
    absence_violation,
    lapse_status,
)
from dangjian.regulations.base import Severity
from dangjian.regulations.engine import RuleSet

# Member signals look back this far: a longer streak is still reported, only shorter.
SIGNAL_LOOKBACK_DAYS = 730


@dataclass(frozen=True)
class MemberSignal:
    member_id: int
    name: str
    message: str
    citation: str
    severity: Severity
    facts: dict[str, object]


@dataclass
class MemberSignals:
    streaks: list[MemberSignal]
    lapses: list[MemberSignal]


def member_signals(
    branch: Organization,
    *,
    today: dt.date | None = None,
    rules: RuleSet | None = None,
    streaks: bool = True,
    lapses: bool = True,
) -> MemberSignals:
    """Absence streaks and lapse warnings for the members of one branch (named)."""
    today = today or local_today()
    rules = rules or rules_in_force()
    threshold = int(rules.params["absence_streak_threshold"])
    warn_after = int(rules.params["lapse_warn_after_months"])
    # Members who belong today: one who died, was expelled or transferred out is no longer
    # warned about (their record keeps its last branch).
    people = (
        Member.objects.current()
        .filter(organization=branch)
        .values_list("id", "name", "admitted_on", "org_since")
    )
    members = {pk: name for pk, name, _, _ in people}
    # The count starts when this organization began keeping the member's record (moved in, or
    # entered the platform), never before admission.
    since = {pk: max(admitted, org_since) for pk, _, admitted, org_since in people}
    out = MemberSignals([], [])
    if not members:
        return out
    if streaks:
        records = Attendance.objects.filter(
            member__organization=branch,
            member__left_on__isnull=True,
            meeting__status=MeetingStatus.HELD,
            meeting__held_on__gte=today - dt.timedelta(days=SIGNAL_LOOKBACK_DAYS),
            meeting__held_on__lte=today,
        ).values_list("member_id", "meeting__held_on", "status")
        found: dict[int, AbsenceStreak] = absence_streaks(list(records), threshold)
        for member_id, streak in sorted(found.items(), key=lambda item: item[1].since):
            violation = absence_violation(streak, members[member_id])
            out.streaks.append(
                MemberSignal(
                    member_id,
                    members[member_id],
                    violation.message,
                    violation.citation,
                    violation.severity,  # type: ignore[arg-type]
                    dict(violation.facts),
                )
            )
    if lapses:
        out.lapses = _lapses(branch, members, since, today, warn_after)
    return out


def _lapses(
    branch: Organization,
    members: dict[int, str],
    since: dict[int, dt.date],
    today: dt.date,
    warn_after: int,
) -> list[MemberSignal]:
    """党章 第九条 for each member, with the meetings missed on approved leave."""
    found: list[MemberSignal] = []
    last = dict(
        Attendance.objects.filter(
            member__organization=branch,
            status__in=ATTENDED,
            meeting__status=MeetingStatus.HELD,
            meeting__held_on__lte=today,
        )
        .values("member_id")
        .annotate(last=Max("meeting__held_on"))
        .values_list("member_id", "last")
    )
    # Meetings missed on approved leave (请假, recorded with its reason): 党章 第九条 needs
    # six months "没有正当理由", so leave turns the error into the secretary's judgement.
    leaves: dict[int, list[dt.date]] = {}
    for member_id, held_on in Attendance.objects.filter(
        member__organization=branch,
        status=AttendanceStatus.ON_LEAVE,
        meeting__status=MeetingStatus.HELD,
        meeting__held_on__gt=today - dt.timedelta(days=SIGNAL_LOOKBACK_DAYS),
        meeting__held_on__lte=today,
    ).values_list("member_id", "meeting__held_on"):
        leaves.setdefault(member_id, []).append(held_on)
    for member_id, name in sorted(members.items(), key=lambda item: item[1]):
        finding = lapse_status(
            last.get(member_id),
            since[member_id],
            today,
            warn_after_months=warn_after,
            member_name=name,
            leaves=leaves.get(member_id, ()),
        )
        if finding is not None:
            found.append(
                MemberSignal(
                    member_id,
                    name,
                    finding.message,
                    finding.citation,
                    finding.severity,  # type: ignore[arg-type]
                    dict(finding.facts),
                )
            )
    return found
