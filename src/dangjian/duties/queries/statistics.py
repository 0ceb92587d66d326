"""Completion rates and statistics on request (最多报一次): every figure computed from the
records, in a constant number of queries whatever the size of the subtree; nobody is asked."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, Q

from dangjian.duties.models import WorkItem, WorkStatus
from dangjian.duties.queries.duty_lists import POST_ORDER
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus
from dangjian.members.models import MembershipSpell, MemberStatus
from dangjian.orgs.models import Organization, OrgKind, PostKind


@dataclass
class Completion:
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    submitted: int = 0
    open: int = 0

    def add(self, status: str, deadline: dt.date, completed_on, today: dt.date) -> None:
        if status == WorkStatus.ACCEPTED:
            if completed_on is not None and completed_on <= deadline:
                self.on_time += 1
            else:
                self.late += 1
        elif status == WorkStatus.SUBMITTED:
            self.submitted += 1
        elif deadline < today:
            self.overdue += 1
        else:
            self.open += 1

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.overdue + self.submitted + self.open

    @property
    def due(self) -> int:
        """Items whose outcome is known: done (in time or late) or past the deadline."""
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        """On-time completion among the items due; None when nothing is due yet."""
        return self.on_time / self.due if self.due else None

    @property
    def rate_text(self) -> str:
        return percent(self.rate)


def _rows_index(rows: Sequence[Organization]) -> dict[str, int]:
    return {r.path: r.pk for r in rows}


def _row_of(path: str, index: dict[str, int], steplen: int) -> int | None:
    """The row whose subtree holds `path` (rows never nest: children or branches of one org)."""
    for i in range(len(path), 0, -steplen):
        found = index.get(path[:i])
        if found is not None:
            return found
    return None


def _received(within: Organization, year: int):
    """Received items of the year; withdrawn ones were never the receiver's to do."""
    return WorkItem.objects.filter(
        organization__path__startswith=within.path, parent__isnull=False, plan_year=year
    ).exclude(status=WorkStatus.WITHDRAWN)


def completion_by_org(
    within: Organization, rows: Sequence[Organization], year: int, today: dt.date
) -> dict[int, Completion]:
    """Completion of received items per row organization (its subtree rolled up). One query."""
    index = _rows_index(rows)
    out = {r.pk: Completion() for r in rows}
    for path, status, deadline, completed in _received(within, year).values_list(
        "organization__path", "status", "deadline", "completed_on"
    ):
        row = _row_of(path, index, within.steplen)
        if row is not None:
            out[row].add(status, deadline, completed, today)
    return out


def completion_by_post(
    within: Organization, year: int, today: dt.date
) -> list[tuple[str, Completion]]:
    """Completion per responsible post across the subtree: posts, never named people."""
    by_post: dict[str, Completion] = defaultdict(Completion)
    for post, status, deadline, completed in _received(within, year).values_list(
        "responsible_post", "status", "deadline", "completed_on"
    ):
        by_post[post or ""].add(status, deadline, completed, today)
    order = ["", *POST_ORDER]
    return sorted(by_post.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)


def post_label(kind: str) -> str:
    return PostKind(kind).label if kind else "未指定岗位"


def row_orgs(within: Organization, level: str) -> list[Organization]:
    """Rows of a statistics table: the direct children, or every branch of the subtree."""
    if level == "branches":
        qs = Organization.objects.filter(path__startswith=within.path, kind=OrgKind.BRANCH)
    else:
        qs = Organization.objects.filter(
            path__startswith=within.path, depth=within.depth + 1
        ).exclude(kind=OrgKind.PARTY_GROUP)
    return list(qs.order_by("path"))


STAT_MEETING_KINDS = [
    MeetingKind.GENERAL_MEETING,
    MeetingKind.COMMITTEE_MEETING,
    MeetingKind.GROUP_MEETING,
    MeetingKind.PARTY_LECTURE,
    MeetingKind.THEME_DAY,
    MeetingKind.ORG_LIFE_MEETING,
    MeetingKind.MEMBER_APPRAISAL,
]

# Figure id → column heading. Every one is computed from the records: nobody is asked.
FIGURES: dict[str, str] = {
    "branches": "党支部数",
    "members_full": "正式党员",
    "members_probationary": "预备党员",
    **{f"meetings_{k.value}": f"{k.label}（次）" for k in STAT_MEETING_KINDS},
    "items_total": "收到任务",
    "items_on_time": "按时完成",
    "items_late": "逾期完成",
    "items_overdue": "逾期未完成",
    "items_rate": "按时完成率",
}
DEFAULT_FIGURES = [
    "members_full",
    "members_probationary",
    "meetings_general_meeting",
    "meetings_party_lecture",
    "items_total",
    "items_overdue",
    "items_rate",
]


@dataclass
class StatTable:
    within: Organization
    year: int
    figures: list[str]
    rows: list[Organization]
    values: dict[int, dict[str, object]]
    total: dict[str, object]

    @property
    def headings(self) -> list[str]:
        return [FIGURES[f] for f in self.figures]

    def cells(self, org_id: int | None) -> list[object]:
        """The values: counts, and the rate as a fraction (None when nothing is due)."""
        source = self.total if org_id is None else self.values[org_id]
        return [source.get(f, 0) for f in self.figures]

    def shown(self, org_id: int | None) -> list[object]:
        """The values as the page shows them: the rate as "75.0%", or "—"."""
        return [
            percent(v) if f in RATE_FIGURES else v
            for f, v in zip(self.figures, self.cells(org_id), strict=True)
        ]


# Figures that are fractions: shown as percentages, exported as numbers in a percent format.
RATE_FIGURES = frozenset({"items_rate"})


def percent(value: float | None) -> str:
    """One way to write a rate everywhere: 75.0%, or — when there is nothing to divide."""
    return "—" if value is None else f"{value * 100:.1f}%"


def _rate(c: Completion) -> float | None:
    return c.rate


Values = dict[int, dict[str, object]]


def _add_branches(within: Organization, index: dict[str, int], values: Values) -> None:
    for row in values:
        values[row]["branches"] = 0
    for path in Organization.objects.filter(
        path__startswith=within.path, kind=OrgKind.BRANCH
    ).values_list("path", flat=True):
        row = _row_of(path, index, within.steplen)
        if row is not None:
            values[row]["branches"] += 1


def _add_members(
    within: Organization, index: dict[str, int], values: Values, as_of: dt.date
) -> None:
    """Full and probationary members on `as_of` (the year's last day, or today), from the
    membership history: each in the branch that held them that day, with that day's status,
    so a past year's table is the same computed then and now."""
    spells = MembershipSpell.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=as_of),
        organization__path__startswith=within.path,
        started_on__lte=as_of,
    )
    for path, status, n in (
        spells.values_list("organization__path", "status")
        .annotate(n=Count("member_id"))
        .values_list("organization__path", "status", "n")
    ):
        row = _row_of(path, index, within.steplen)
        if row is not None:
            key = "members_full" if status == MemberStatus.FULL else "members_probationary"
            values[row][key] += n


def _add_meetings(
    within: Organization, index: dict[str, int], values: Values, kinds: list[str], year: int
) -> None:
    for path, kind, n in (
        Meeting.objects.filter(
            organization__path__startswith=within.path,
            status=MeetingStatus.HELD,
            held_on__year=year,
            kind__in=kinds,
        )
        .values_list("organization__path", "kind")
        .annotate(n=Count("pk"))
        .values_list("organization__path", "kind", "n")
    ):
        row = _row_of(path, index, within.steplen)
        if row is not None:
            values[row][f"meetings_{kind}"] += n


def _add_items(
    within: Organization, rows: list[Organization], values: Values, year: int, today: dt.date
) -> Completion:
    """The work-item figures per row; the completion of all rows together."""
    total = Completion()
    for r, c in completion_by_org(within, rows, year, today).items():
        for name in ("on_time", "late", "overdue", "submitted", "open"):
            setattr(total, name, getattr(total, name) + getattr(c, name))
        values[r].update(
            items_total=c.total,
            items_on_time=c.on_time,
            items_late=c.late,
            items_overdue=c.overdue,
            items_rate=_rate(c),
        )
    return total


def statistics(
    within: Organization, level: str, figures: Iterable[str], year: int, today: dt.date
) -> StatTable:
    """The table the 机关党委 asks for, computed without asking any branch (最多报一次).

    At most five queries (rows, branches, members, meetings, work items), whatever the subtree's size.
    Members are counted on the year's last day (today for the current year).
    """
    chosen = [f for f in FIGURES if f in set(figures)] or list(DEFAULT_FIGURES)
    rows = row_orgs(within, level)
    index = _rows_index(rows)
    values: Values = {r.pk: defaultdict(int) for r in rows}
    if "branches" in chosen:
        _add_branches(within, index, values)
    if {"members_full", "members_probationary"} & set(chosen):
        _add_members(within, index, values, min(today, dt.date(year, 12, 31)))
    meeting_figures = [f for f in chosen if f.startswith("meetings_")]
    if meeting_figures:
        kinds = [f.removeprefix("meetings_") for f in meeting_figures]
        _add_meetings(within, index, values, kinds, year)
    total_completion = Completion()
    if any(f.startswith("items_") for f in chosen):
        total_completion = _add_items(within, rows, values, year, today)
    total: dict[str, object] = {}
    for f in chosen:
        if f == "items_rate":
            total[f] = _rate(total_completion)
        else:
            total[f] = sum(int(values[r.pk].get(f, 0)) for r in rows)
    return StatTable(within, year, chosen, rows, values, total)
