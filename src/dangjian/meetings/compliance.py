"""Compliance findings: the regulation engine applied to the records of a subtree and a year.

`compute(root, year)` reads a whole subtree in a fixed number of queries, whatever its size:
the organizations, member counts per organization, posts, the meetings held in the year
(one pass over the indexed `held_on` column), votes, and the secretaries' explanations. It
then evaluates every applicable rule per organization in Python with the engine's own
functions (`evaluate_frequency`, `check_committee`, `quorum_violation`), so each rule still
lives once, in `regulations/`, with its citation.

Speed at province scale: a frequency finding depends on nothing but the rule, the number of
meetings in each period, the year and today (see `regulations.meetings._judge`), so one
`evaluate_frequency` call answers for every organization with the same counts per period;
the dates and meeting ids behind each figure are attached to each organization's finding.
Finding objects are built only when asked for (`findings_for`); the findings page needs only
the cells and the roll-ups (`cached_report`). It reuses them while the audit log shows no
relevant change, and after a write reads and evaluates again only the organizations whose
records the new audit events name: an organization's findings depend on its own records
alone, so the result is the one a full computation gives. Measured figures: bench/README.md.

Member-level signals (absence streaks, the 党章 第九条 six-month lapse) name people, so they
are computed for one branch at a time (`member_signals`) and shown only to those the issue
names: streaks to the branch's secretary and committee, lapses also to the organ committee.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Count, IntegerField, Max, Q, Value
from django.db.models.functions import Cast, Substr

from dangjian.accounts.models import Role, RoleAssignment
from dangjian.audit.models import AuditAction, AuditEvent, AuditHead
from dangjian.audit.services import Actor, diff, record
from dangjian.core.clock import today as local_today
from dangjian.core.errors import ServiceValidationError
from dangjian.meetings.models import (
    ATTENDED,
    Attachment,
    Attendance,
    FindingExplanation,
    LeaveRequest,
    Meeting,
    MeetingSeries,
    MeetingStatus,
    Vote,
)
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member, MemberStatus
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, OrgKind, Post, PostKind
from dangjian.regulations.base import RuleViolation, Severity, rule
from dangjian.regulations.committee import COMMITTEE_THRESHOLD, check_committee, term_years
from dangjian.regulations.engine import RuleSet
from dangjian.regulations.meetings import (
    AbsenceStreak,
    FindingStatus,
    FrequencyRule,
    PeriodFinding,
    absence_streaks,
    absence_violation,
    evaluate_frequency,
    lapse_status,
    quorum_violation,
)
from dangjian.regulations.periods import Period, periods_in_year

__all__ = [
    "Column",
    "ComplianceReport",
    "Finding",
    "MemberSignals",
    "OrgInfo",
    "cached_report",
    "clear_cache",
    "compute",
    "explain_finding",
    "local_today",
    "member_signals",
    "own_depth",
    "report_json",
    "signal_visibility",
]

OK, AT_RISK, VIOLATED, PENDING = (
    FindingStatus.OK,
    FindingStatus.AT_RISK,
    FindingStatus.VIOLATED,
    FindingStatus.PENDING,
)
# How bad each status is: a cell shows the worst of its periods.
SEVERITY_ORDER = {VIOLATED: 3, AT_RISK: 2, OK: 1, PENDING: 0}
STATUS_LABELS = {
    VIOLATED: "未达标",
    AT_RISK: "临期提醒",
    OK: "符合要求",
    PENDING: "未到期",
}
# Text marks beside the colour, so a cell never speaks by colour alone.
STATUS_ICONS = {VIOLATED: "✖", AT_RISK: "！", OK: "✔", PENDING: "…"}

LEADER_LECTURE_RULE = "party_lecture_leader"
COMMITTEE_RULES = (
    "branch_min_members",
    "branch_max_members",
    "committee_threshold",
    "no_committee",
    "committee_size",
)
TERM_RULE = "committee_term"
QUORUM_RULES = ("general_meeting_quorum", "committee_meeting_quorum")
# Member signals look back this far: a longer streak is still reported, only shorter.
SIGNAL_LOOKBACK_DAYS = 730


@dataclass(frozen=True)
class Column:
    """One column of the findings matrix: one frequency rule, or a group of related rules."""

    key: str
    label: str
    rule_ids: tuple[str, ...]
    citation: str


@dataclass
class OrgInfo:
    id: int
    code: str
    name: str
    kind: str
    path: str
    depth: int
    term_ends_on: dt.date | None = None
    members: int = 0
    full_members: int = 0
    committee_size: int = 0

    @property
    def kind_label(self) -> str:
        return OrgKind(self.kind).label

    @property
    def parent_path(self) -> str:
        return self.path[: -Organization.steplen]


@dataclass
class Explanation:
    reason: str
    explained_by: str
    explained_at: dt.datetime


class Finding:
    """One rule, one organization, one period: status, message, citation and facts.

    Frequency findings share their verdict (a `PeriodFinding`) with every organization that
    held the same number of meetings per period; `facts` adds this organization's own dates
    and the ids of the meetings behind the figure.
    """

    __slots__ = (
        "_base_facts",
        "_extra",
        "_rows",
        "citation",
        "column",
        "explanation",
        "message",
        "org_id",
        "period_key",
        "period_label",
        "rule_id",
        "severity",
        "status",
    )

    def __init__(
        self,
        *,
        org_id: int,
        rule_id: str,
        column: str,
        period_key: str,
        period_label: str,
        status: FindingStatus,
        severity: Severity | None,
        message: str,
        citation: str,
        base_facts: dict[str, object],
        extra: dict[str, object] | None = None,
        rows: list[tuple] | None = None,
    ) -> None:
        self.org_id = org_id
        self.rule_id = rule_id
        self.column = column
        self.period_key = period_key
        self.period_label = period_label
        self.status = status
        self.severity = severity
        self.message = message
        self.citation = citation
        self._base_facts = base_facts
        self._extra = extra or {}
        self._rows = rows
        self.explanation: Explanation | None = None

    @property
    def facts(self) -> dict[str, object]:
        facts = {**self._base_facts, **self._extra}
        if self._rows is not None:
            facts["dates"] = [row[_DAY] for row in self._rows]
            facts["meeting_ids"] = [row[_ID] for row in self._rows]
        return facts

    @property
    def meeting_ids(self) -> list[int]:
        if self._rows is not None:
            return [row[_ID] for row in self._rows]
        return list(self._extra.get("meeting_ids", ()))  # type: ignore[call-overload]

    @property
    def explainable(self) -> bool:
        """A warning-level finding ("一般…" rules, or a period at risk) takes a reason."""
        return _explainable(self.status, self.severity)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def icon(self) -> str:
        return STATUS_ICONS[self.status]

    def as_dict(self) -> dict[str, object]:
        return {
            "rule_id": self.rule_id,
            "column": self.column,
            "period": self.period_key,
            "period_label": self.period_label,
            "status": self.status.value,
            "severity": self.severity.value if self.severity else None,
            "message": self.message,
            "citation": self.citation,
            "facts": self.facts,
            "explanation": (
                {
                    "reason": self.explanation.reason,
                    "explained_by": self.explanation.explained_by,
                    "explained_at": self.explanation.explained_at.isoformat(),
                }
                if self.explanation
                else None
            ),
        }


def _explainable(status: FindingStatus, severity: Severity | None) -> bool:
    return severity is Severity.WARNING and status in (VIOLATED, AT_RISK)


# Statuses worst first; counts are kept as four-slot lists in this order.
STATUSES = (VIOLATED, AT_RISK, OK, PENDING)
_INDEX = {status: i for i, status in enumerate(STATUSES)}


class Cell:
    """One organization's findings for one column in the year: the worst status wins."""

    __slots__ = ("explained", "tally", "worst")

    def __init__(self) -> None:
        self.tally = [0, 0, 0, 0]
        self.worst = 3
        self.explained = 0

    def add(self, status: FindingStatus, n: int = 1) -> None:
        i = _INDEX[status]
        self.tally[i] += n
        if i < self.worst:
            self.worst = i

    def merge(self, tally: list[int], worst: int) -> None:
        for i, n in enumerate(tally):
            self.tally[i] += n
        self.worst = min(self.worst, worst)

    @property
    def status(self) -> FindingStatus:
        return STATUSES[self.worst]

    @property
    def counts(self) -> dict[FindingStatus, int]:
        return dict(zip(STATUSES, self.tally, strict=True))

    @property
    def icon(self) -> str:
        return STATUS_ICONS[self.status]

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def total(self) -> int:
        return sum(self.tally)

    @property
    def decided(self) -> int:
        return self.tally[0] + self.tally[1] + self.tally[2]


class Rollup:
    """Counts for an organization and everything below it.

    `findings` counts findings (organization × rule × period) by status; `column(key)`
    counts organizations by the status of their cell in that column.
    """

    __slots__ = ("columns", "explained", "organizations", "tally")

    def __init__(self) -> None:
        self.tally = [0, 0, 0, 0]
        self.explained = 0
        self.organizations = 0
        self.columns: dict[str, list[int]] = {}

    def absorb(self, other: Rollup) -> None:
        for i, n in enumerate(other.tally):
            self.tally[i] += n
        self.explained += other.explained
        self.organizations += other.organizations
        for key, counts in other.columns.items():
            mine = self.columns.get(key)
            if mine is None:
                self.columns[key] = list(counts)
            else:
                for i, n in enumerate(counts):
                    mine[i] += n

    @property
    def findings(self) -> dict[FindingStatus, int]:
        return dict(zip(STATUSES, self.tally, strict=True))

    @property
    def status(self) -> FindingStatus:
        for i, n in enumerate(self.tally[:3]):
            if n:
                return STATUSES[i]
        return PENDING

    def column(self, key: str) -> list[tuple[FindingStatus, int]]:
        counts = self.columns.get(key) or [0, 0, 0, 0]
        return [(s, n) for s, n in zip(STATUSES, counts, strict=True) if n]

    def as_dict(self) -> dict[str, object]:
        return {
            "organizations": self.organizations,
            "findings": {s.value: n for s, n in zip(STATUSES, self.tally, strict=True)},
            "explained": self.explained,
            "columns": {
                key: {s.value: n for s, n in zip(STATUSES, counts, strict=True) if n}
                for key, counts in self.columns.items()
            },
        }


@dataclass(frozen=True)
class _Judged:
    """evaluate_frequency's verdicts for one rule and one set of counts per period."""

    findings: tuple[PeriodFinding, ...]
    tally: list[int]
    worst: int
    index: dict[str, int]
    cell: Cell  # shared by every organization with these counts; never changed after


# Positions in a meeting row: (id, organization id, kind, ISO day, host id, expected,
# present, month).
_ID, _ORG, _KIND, _DAY, _HOST, _EXPECTED, _PRESENT, _MONTH = range(8)


@dataclass
class ComplianceReport:
    """Findings for a subtree and a year. Cells and roll-ups are computed up front; the
    Finding objects of an organization are built when asked for (`findings_for`)."""

    root: OrgInfo
    year: int
    today: dt.date
    as_of: dt.date
    rules: RuleSet
    orgs: list[OrgInfo]
    columns: list[Column]
    meetings_counted: int
    _frequency: dict[int, list[tuple[FrequencyRule, _Judged, list[tuple], dict | None]]]
    _other: dict[int, list[_Result]]
    _explanations: dict[tuple[int, str, str], Explanation]
    _cells_by_org: dict[int, dict[str, Cell]]
    _meetings: dict[int, int] = field(default_factory=dict)  # meetings counted per organization
    _memo: _Memo | None = None
    _built: dict[int, list[Finding]] = field(default_factory=dict)

    @cached_property
    def by_id(self) -> dict[int, OrgInfo]:
        return {o.id: o for o in self.orgs}

    @cached_property
    def by_code(self) -> dict[str, OrgInfo]:
        return {o.code: o for o in self.orgs}

    summary: bool = False

    def summary_only(self) -> ComplianceReport:
        """Drop what only the per-period findings need (the cached findings page keeps this)."""
        self.top_rollups  # noqa: B018 (computed before the rows are dropped)
        self._frequency, self._other, self._built, self._explanations = {}, {}, {}, {}
        self.summary = True
        return self

    def findings_for(self, org_id: int) -> list[Finding]:
        if self.summary:
            raise RuntimeError("a summary report has no per-period findings; use compute()")
        built = self._built.get(org_id)
        if built is None:
            built = self._built[org_id] = self._build(org_id)
        return built

    def _build(self, org_id: int) -> list[Finding]:
        out: list[Finding] = []
        for freq, judged, rows, extra in self._frequency.get(org_id, ()):
            periods = [p.period for p in judged.findings]
            buckets: list[list[tuple]] = [[] for _ in periods]
            for row in sorted(rows, key=lambda r: (r[_DAY], r[_ID])):
                buckets[_period_index(freq.period, row[_MONTH])].append(row)
            for verdict, bucket in zip(judged.findings, buckets, strict=True):
                out.append(
                    Finding(
                        org_id=org_id,
                        rule_id=freq.id,
                        column=freq.id,
                        period_key=verdict.period.key,
                        period_label=verdict.period.label,
                        status=verdict.status,
                        severity=verdict.severity,
                        message=verdict.message,
                        citation=verdict.citation,
                        base_facts=verdict.facts,
                        extra=extra,
                        rows=bucket,
                    )
                )
        year = _year_period(self.year)
        for result in self._other.get(org_id, ()):
            out.append(
                Finding(
                    org_id=org_id,
                    rule_id=result.rule_id,
                    column=result.column,
                    period_key=year.key,
                    period_label=year.label,
                    status=result.status,
                    severity=result.severity,
                    message=result.message,
                    citation=result.citation,
                    base_facts=result.facts,
                )
            )
        for f in out:
            f.explanation = self._explanations.get((org_id, f.rule_id, f.period_key))
        return out

    def _own_rollup(self, org: OrgInfo, into: Rollup) -> None:
        into.organizations += 1
        tally, columns = into.tally, into.columns
        for key, cell in self._cells_by_org.get(org.id, {}).items():
            v, a, o, p = cell.tally
            tally[0] += v
            tally[1] += a
            tally[2] += o
            tally[3] += p
            into.explained += cell.explained
            counts = columns.get(key)
            if counts is None:
                counts = columns[key] = [0, 0, 0, 0]
            counts[cell.worst] += 1

    @cached_property
    def rollups(self) -> dict[int, Rollup]:
        """Counts per organization including its descendants: each organization's own counts,
        then, deepest first, each subtree added to its parent."""
        rollups: dict[int, Rollup] = {}
        with _gc_paused():
            for org in self.orgs:
                self._own_rollup(org, rollups.setdefault(org.id, Rollup()))
        by_path = {o.path: o.id for o in self.orgs}
        for org in reversed(self.orgs):  # path order puts every child after its parent
            if org.id == self.root.id:
                continue
            parent = by_path.get(org.parent_path)
            if parent is not None:
                rollups[parent].absorb(rollups[org.id])
        return rollups

    @cached_property
    def top_rollups(self) -> dict[int, Rollup]:
        """The roll-ups of the root and of its children only (what the findings page shows),
        in one pass: every organization counts towards the root and its top-level ancestor."""
        if "rollups" in self.__dict__:
            root = self.root
            return {o.id: self.rollups[o.id] for o in [root, *self.children(root)]}
        top_len = len(self.root.path) + Organization.steplen
        tops = {o.path: Rollup() for o in self.children(self.root)}
        total = Rollup()
        for org in self.orgs:
            if org.id == self.root.id:
                self._own_rollup(org, total)
                continue
            target = tops.get(org.path[:top_len])
            if target is not None:
                self._own_rollup(org, target)
        by_path = {o.path: o.id for o in self.orgs}
        out = {self.root.id: total}
        for path, rollup in tops.items():
            total.absorb(rollup)
            out[by_path[path]] = rollup
        return out

    def children(self, org: OrgInfo) -> list[OrgInfo]:
        depth = org.depth + 1
        return [o for o in self.orgs if o.depth == depth and o.path.startswith(org.path)]

    def cell(self, org_id: int, column: str) -> Cell | None:
        return self._cells_by_org.get(org_id, {}).get(column)

    def all_findings(self) -> Iterable[Finding]:
        for org in self.orgs:
            yield from self.findings_for(org.id)

    def finding(self, org_id: int, rule_id: str, period_key: str) -> Finding | None:
        for f in self.findings_for(org_id):
            if f.rule_id == rule_id and f.period_key == period_key:
                return f
        return None


def _period_index(kind: str, month: int) -> int:
    if kind == "month":
        return month - 1
    if kind == "quarter":
        return (month - 1) // 3
    return 0


def _columns(rules: RuleSet) -> list[Column]:
    columns = [
        Column(key=r.id, label=r.noun, rule_ids=(r.id,), citation=r.citation) for r in rules.rules
    ]
    columns.append(
        Column("committee", "班子设置", COMMITTEE_RULES, rule("committee_threshold").citation)
    )
    columns.append(Column("term", "按期换届", (TERM_RULE,), rule(TERM_RULE).citation))
    columns.append(
        Column("quorum", "到会人数", QUORUM_RULES, rule("committee_meeting_quorum").citation)
    )
    return columns


def _committee_column(rule_id: str) -> str:
    if rule_id == TERM_RULE:
        return "term"
    if rule_id in QUORUM_RULES:
        return "quorum"
    return "committee"


def _year_period(year: int) -> Period:
    return periods_in_year(year, "year")[0]


class _Result(NamedTuple):
    """A committee or quorum finding before it is tied to an organization and a year."""

    rule_id: str
    column: str
    status: FindingStatus
    severity: Severity | None
    message: str
    citation: str
    facts: dict[str, object]


def _violation_result(
    violation: RuleViolation, status: FindingStatus, facts: dict | None = None
) -> _Result:
    return _Result(
        violation.rule.id,
        _committee_column(violation.rule.id),
        status,
        violation.severity,
        violation.message,
        violation.citation,
        {**(facts or {}), **dict(violation.facts)},
    )


def _ok_result(rule_id: str, message: str, facts: dict) -> _Result:
    return _Result(
        rule_id, _committee_column(rule_id), OK, None, message, rule(rule_id).citation, facts
    )


def _subtree_meetings_sql(where: Q, start: dt.date, end: dt.date) -> tuple[str, tuple]:
    """The meetings held between two dates in the organizations `where` picks, with the day
    as ISO text.

    The text form skips a date conversion per row (144,000 rows at province scale);
    CAST(date AS text) gives YYYY-MM-DD on SQLite, PostgreSQL and MariaDB alike.
    """
    qs = (
        Meeting.objects.filter(
            where, status=MeetingStatus.HELD, held_on__gte=start, held_on__lte=end
        )
        .order_by()
        .annotate(
            day=Cast("held_on", CharField(max_length=10)),
            month=Cast(Substr(Cast("held_on", CharField(max_length=10)), 6, 2), IntegerField()),
        )
        .values_list(
            "id",
            "organization_id",
            "kind",
            "day",
            "host_id",
            "expected_count",
            "present_count",
            "month",
        )
    )
    return qs.query.sql_with_params()


def compute(
    root: Organization,
    year: int,
    *,
    today: dt.date | None = None,
    rules: RuleSet | None = None,
    max_depth: int | None = None,
) -> ComplianceReport:
    """Every finding for `root`'s subtree in `year`, in a fixed number of queries.

    `max_depth` stops at that tree depth (an organization's own page: itself and, for a
    branch, its party groups).
    """
    with _gc_paused():
        return _compute(root, year, today=today, rules=rules, max_depth=max_depth)


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector for a bulk computation.

    A province's year is some 10^6 short-lived tuples, lists and dicts and no reference
    cycles: the collector would walk the whole heap several times over for nothing (a third
    of the time at province scale). Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# `where(prefix)` picks the organizations to read, through the relation `prefix` leads to
# ("" for Organization itself, "organization__" for its meetings, members and posts).
_Where = Callable[[str], Q]


def _subtree(prefix: str, max_depth: int | None) -> _Where:
    def where(field: str) -> Q:
        q = Q(**{f"{field}path__startswith": prefix})
        return q & Q(**{f"{field}depth__lte": max_depth}) if max_depth is not None else q

    return where


def _only(ids: Iterable[int]) -> _Where:
    ids = sorted(ids)
    return lambda field: Q(**{f"{field}id__in": ids})


@dataclass
class _Records:
    """What the findings of some organizations in a year are computed from (six queries)."""

    orgs: list[OrgInfo]
    secretaries: dict[int, list[tuple[int, str, str | None]]]
    by_key: dict[tuple[int, str], list[tuple]]
    votes: dict[int, list[tuple[int, int, int]]]
    explanations: dict[tuple[int, str, str], Explanation]
    meetings: dict[int, int]  # meetings counted per organization


def _read(where: _Where, year: int, as_of: dt.date) -> _Records:
    start = dt.date(year, 1, 1)
    org = "organization__"
    orgs = [
        OrgInfo(id=pk, code=code, name=name, kind=kind, path=path, depth=level, term_ends_on=t)
        for pk, code, name, kind, path, level, t in Organization.objects.filter(where(""))
        .order_by("path")
        .values_list("id", "code", "name", "kind", "path", "depth", "term_ends_on")
    ]
    by_id = {o.id: o for o in orgs}

    for org_id, n, n_full in (
        Member.objects.filter(where(org))
        .values("organization_id")
        .annotate(n=Count("id"), n_full=Count("id", filter=Q(status=MemberStatus.FULL)))
        .values_list("organization_id", "n", "n_full")
    ):
        by_id[org_id].members, by_id[org_id].full_members = n, n_full

    # Posts held at some time in the year: seats on the year's last day (or today), and the
    # secretaries on each day, for the leader's 党课.
    seats: dict[int, set[int]] = defaultdict(set)
    secretaries: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
    for org_id, member_id, kind, started, ended in (
        Post.objects.filter(where(org), started_on__lte=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .values_list("organization_id", "member_id", "kind", "started_on", "ended_on")
    ):
        if kind in COMMITTEE_POSTS and (ended is None or ended >= as_of):
            seats[org_id].add(member_id)
        if kind == PostKind.SECRETARY:
            secretaries[org_id].append(
                (member_id, started.isoformat(), ended.isoformat() if ended else None)
            )
    for org_id, held in seats.items():
        by_id[org_id].committee_size = len(held)

    # The meetings held in the year: one pass over the indexed held_on column.
    by_key: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    meetings: dict[int, int] = defaultdict(int)
    sql, params = _subtree_meetings_sql(where(org), start, as_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    for row in fetched:
        by_key[(row[_ORG], row[_KIND])].append(row)
    for (org_id, _), rows in by_key.items():
        meetings[org_id] += len(rows)

    votes: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for meeting_id, org_id, voting, present in Vote.objects.filter(
        where("meeting__organization__"),
        meeting__status=MeetingStatus.HELD,
        meeting__held_on__gte=start,
        meeting__held_on__lte=as_of,
        meeting__kind="general_meeting",
    ).values_list("meeting_id", "meeting__organization_id", "voting_members", "present_voting"):
        votes[org_id].append((meeting_id, voting, present))

    explanations = {
        (org_id, rule_id, key): Explanation(reason, name or username or "", at)
        for org_id, rule_id, key, reason, name, username, at in FindingExplanation.objects.filter(
            where(org), period_key__startswith=str(year)
        ).values_list(
            "organization_id",
            "rule_id",
            "period_key",
            "reason",
            "explained_by__first_name",
            "explained_by__username",
            "explained_at",
        )
    }
    return _Records(orgs, secretaries, by_key, votes, explanations, dict(meetings))


class _Memo:
    """Verdicts shared by organizations with the same figures, for one year, day and rule set:
    kept with a cached report, so recomputing a few organizations rarely evaluates a rule."""

    def __init__(self, year: int, today: dt.date, as_of: dt.date) -> None:
        self.year, self.today, self.as_of = year, today, as_of
        self.period_lists = {
            kind: periods_in_year(year, kind) for kind in ("month", "quarter", "year")
        }
        self.zeros = {kind: (0,) * len(ps) for kind, ps in self.period_lists.items()}
        self.judged: dict[tuple[int, tuple[int, ...]], _Judged] = {}
        self.committee: dict[tuple, tuple[tuple[_Result, ...], dict[str, Cell]]] = {}
        self.plans: dict[tuple[int, str, bool], list[tuple]] = {}

    def judge(self, freq: FrequencyRule, counts: tuple[int, ...]) -> _Judged:
        key = (id(freq), counts)
        found = self.judged.get(key)
        if found is None:
            # Each meeting moved to its period's first day: the same counts, the same
            # verdicts; the real dates go into each organization's facts.
            canonical = [
                p.start
                for p, n in zip(self.period_lists[freq.period], counts, strict=True)
                for _ in range(n)
            ]
            verdicts = tuple(evaluate_frequency(freq, canonical, year=self.year, today=self.today))
            tally = [0, 0, 0, 0]
            for verdict in verdicts:
                tally[_INDEX[verdict.status]] += 1
            worst = min(i for i, n in enumerate(tally) if n)
            cell = Cell()
            cell.tally, cell.worst = list(tally), worst
            found = self.judged[key] = _Judged(
                verdicts, tally, worst, {v.period.key: i for i, v in enumerate(verdicts)}, cell
            )
        return found


@dataclass
class _Evaluated:
    frequency: dict[int, list[tuple[FrequencyRule, _Judged, list[tuple], dict | None]]]
    other: dict[int, list[_Result]]
    cells_by_org: dict[int, dict[str, Cell]]
    used: set[str]


def _compute(
    root: Organization,
    year: int,
    *,
    today: dt.date | None,
    rules: RuleSet | None,
    max_depth: int | None,
) -> ComplianceReport:
    today = today or local_today()
    rules = rules or rules_in_force()
    # Facts about a year that has ended are taken on its last day, so they stay put.
    as_of = min(today, dt.date(year, 12, 31))
    records = _read(_subtree(root.path, max_depth), year, as_of)
    memo = _Memo(year, today, as_of)
    done = _evaluate(records, rules, memo)
    return ComplianceReport(
        root=next(o for o in records.orgs if o.id == root.pk),
        year=year,
        today=today,
        as_of=as_of,
        rules=rules,
        orgs=records.orgs,
        columns=[c for c in _columns(rules) if c.key in done.used],
        meetings_counted=sum(records.meetings.values()),
        _frequency=done.frequency,
        _other=done.other,
        _explanations=records.explanations,
        _cells_by_org=done.cells_by_org,
        _meetings=records.meetings,
        _memo=memo,
    )


def _evaluate(records: _Records, rules: RuleSet, memo: _Memo) -> _Evaluated:
    """The findings of each organization read, evaluated with the engine's own functions."""
    secretaries, by_key, votes = records.secretaries, records.by_key, records.votes
    explanations = records.explanations
    explained_keys: dict[tuple[int, str], list[str]] = defaultdict(list)
    for org_id, rule_id, key in explanations:
        explained_keys[(org_id, rule_id)].append(key)

    year_period = _year_period(memo.year)
    as_of = memo.as_of
    zeros = memo.zeros
    judged_memo, judge = memo.judged, memo.judge
    frequency: dict[int, list[tuple[FrequencyRule, _Judged, list[tuple], dict | None]]] = {}
    other: dict[int, list[_Result]] = {}
    cells_by_org: dict[int, dict[str, Cell]] = {}

    # What stays the same from one organization to the next, worked out once.
    explained_orgs = {org_id for org_id, _, _ in explanations}
    committee_memo = memo.committee
    unverified = {"lecturer_unverified": True}
    empty: tuple = ()
    used: set[str] = set()

    for org in records.orgs:
        org_id = org.id
        has_committee = org.full_members >= COMMITTEE_THRESHOLD
        plan_key = (id(rules), org.kind, has_committee)
        plan = memo.plans.get(plan_key)
        if plan is None:
            plan = memo.plans[plan_key] = [
                (
                    freq,
                    tuple(sorted(freq.meeting_kinds)),
                    freq.period,
                    freq.id == LEADER_LECTURE_RULE,
                )
                for freq in rules.frequency_rules_for(org.kind, has_committee=has_committee)
            ]
        org_cells: dict[str, Cell] = {}
        org_frequency = []
        for freq, kinds, period_kind, leader in plan:
            if len(kinds) == 1:
                rows = by_key.get((org_id, kinds[0]), empty)
            else:
                rows = [r for kind in kinds for r in by_key.get((org_id, kind), empty)]
            extra = None
            if leader:
                posts = secretaries.get(org_id)
                if posts:
                    rows = [r for r in rows if _gave_lecture(r, posts)]
                else:
                    extra = unverified  # no secretary on record: every 党课 is counted
            if not rows:
                counts = zeros[period_kind]
            elif period_kind == "month":
                tally = [0] * 12
                for row in rows:
                    tally[row[_MONTH] - 1] += 1
                counts = tuple(tally)
            elif period_kind == "quarter":
                tally = [0] * 4
                for row in rows:
                    tally[(row[_MONTH] - 1) // 3] += 1
                counts = tuple(tally)
            else:
                counts = (len(rows),)
            judged = judged_memo.get((id(freq), counts)) or judge(freq, counts)
            org_frequency.append((freq, judged, rows, extra))
            cell = judged.cell
            if org_id in explained_orgs:
                cell = Cell()
                cell.tally, cell.worst = list(judged.tally), judged.worst
                for key in explained_keys.get((org_id, freq.id), ()):
                    index = judged.index.get(key)
                    verdict = judged.findings[index] if index is not None else None
                    if verdict is not None and _explainable(verdict.status, verdict.severity):
                        cell.explained += 1
            org_cells[freq.id] = cell
        if org_frequency:
            frequency[org_id] = org_frequency

        key = (org.kind, org.full_members, org.members, org.committee_size, org.term_ends_on)
        entry = committee_memo.get(key)
        if entry is None:
            results = _committee_results(*key, as_of)
            shared: dict[str, Cell] = {}
            for result in results:
                shared.setdefault(result.column, Cell()).add(result.status)
            entry = committee_memo[key] = (results, shared)
        results, shared = entry
        quorum = (
            _quorum_results(org_id, by_key, votes)
            if (org_id, "committee_meeting") in by_key or org_id in votes
            else []
        )
        if quorum or org_id in explained_orgs:
            own = [*results, *quorum]
            fresh: dict[str, Cell] = {}
            for result in own:
                cell = fresh.setdefault(result.column, Cell())
                cell.add(result.status)
                if (org_id, result.rule_id, year_period.key) in explanations and _explainable(
                    result.status, result.severity
                ):
                    cell.explained += 1
            org_cells.update(fresh)
        else:
            own = list(results)
            org_cells.update(shared)
        if own:
            other[org_id] = own
        if org_cells:
            cells_by_org[org_id] = org_cells
            used.update(org_cells)

    return _Evaluated(frequency, other, cells_by_org, used)


def _gave_lecture(row: tuple, posts: list[tuple[int, str, str | None]]) -> bool:
    day, host = row[_DAY], row[_HOST]
    return any(m == host and s <= day and (e is None or e >= day) for m, s, e in posts)


def _committee_results(
    kind: str,
    full_members: int,
    members: int,
    committee_size: int,
    term_ends_on: dt.date | None,
    as_of: dt.date,
) -> tuple[_Result, ...]:
    facts_base = {
        "as_of": as_of.isoformat(),
        "full_members": full_members,
        "members": members,
        "committee_size": committee_size,
    }
    found = check_committee(
        kind,
        full_members,
        committee_size,
        term_ends_on,
        as_of,
        total_members=max(members, full_members),
    )
    out = []
    for violation in found:
        if violation.rule.id == TERM_RULE and violation.severity is Severity.WARNING:
            status = AT_RISK  # the term ends within the warning window: not yet late
        else:
            status = VIOLATED
        out.append(_violation_result(violation, status, facts_base))
    ruled = {r.rule_id for r in out}
    if kind == OrgKind.BRANCH and not ruled & set(COMMITTEE_RULES):
        rule_id = "committee_threshold" if full_members >= COMMITTEE_THRESHOLD else "no_committee"
        out.append(
            _ok_result(
                rule_id,
                f"正式党员{full_members}人，支部委员{committee_size}人，班子设置符合规定",
                facts_base,
            )
        )
    if term_years(kind) is not None and TERM_RULE not in ruled:
        if term_ends_on is None:
            out.append(
                _Result(
                    TERM_RULE,
                    "term",
                    PENDING,
                    None,
                    "未登记本届任期，无法检查换届情况",
                    rule(TERM_RULE).citation,
                    facts_base,
                )
            )
        else:
            out.append(
                _ok_result(
                    TERM_RULE,
                    f"本届任期至{term_ends_on:%Y年%m月%d日}",
                    {**facts_base, "term_end": term_ends_on.isoformat()},
                )
            )
    return tuple(out)


@cache
def _quorum(kind: str, should: int, present: int) -> RuleViolation | None:
    return quorum_violation(kind, should, present)


def _quorum_results(
    org_id: int,
    by_key: dict[tuple[int, str], list[tuple]],
    votes: dict[int, list[tuple[int, int, int]]],
) -> list[_Result]:
    out = []
    committee_meetings = [
        (r[_ID], r[_EXPECTED], r[_PRESENT])
        for r in by_key.get((org_id, "committee_meeting"), ())
        if r[_EXPECTED]
    ]
    cases = [
        ("committee_meeting_quorum", "committee_meeting", committee_meetings),
        ("general_meeting_quorum", "general_meeting", votes.get(org_id, [])),
    ]
    for rule_id, kind, items in cases:
        if not items:
            continue
        failed = []
        first: RuleViolation | None = None
        for meeting_id, should, present in items:
            violation = _quorum(kind, should, min(present, should))
            if violation is not None:
                failed.append(meeting_id)
                first = first or violation
        facts: dict[str, object] = {
            "checked": len(items),
            "meeting_ids": sorted(failed or [m for m, *_ in items]),
        }
        if first is None:
            what = "支委会" if kind == "committee_meeting" else "党员大会表决"
            out.append(_ok_result(rule_id, f"{what}{len(items)}次，到会人数均超过半数", facts))
        else:
            result = _violation_result(first, VIOLATED)
            out.append(
                result._replace(
                    message=f"{len(failed)}次未达到法定到会人数：{first.message}",
                    facts={**result.facts, **facts},
                )
            )
    return out


# ---- the findings page's cache -----------------------------------------------------------------
# A province's whole tree takes about a second to compute; the 机关工委's page must answer in a
# fraction of that, also right after a write. Every write goes through a service that leaves an
# audit event naming the object it changed, and the audit log is in the database, so every
# process sees every other's writes there. A cached report remembers the head of the log it was
# computed at; on the next request one indexed query reads the events added since, and each is
# traced to the organizations whose records it changed (`_changed_organizations`). Only those
# are read again and re-evaluated, and their cells replace the old ones (`_refresh`): per
# organization the findings depend on nothing but its own records, so the report is the one a
# full computation gives. An event that cannot be traced to an organization (an organization
# created, moved or edited, a bulk load's summary, a type not known here) or too many of them
# recompute the whole subtree, as does a new day (`today` is part of the key). Rule pack
# changes read a new RuleSet and so miss the cache; writes that bypass the services are
# picked up after DANGJIAN_COMPLIANCE_CACHE_SECONDS (settings.py: 6 hours; 0 turns it off).

_RELEVANT = (
    Q(object_type__startswith="meetings.")
    | Q(object_type__startswith="members.")
    | Q(object_type__startswith="orgs.")
)
# The rows that name the organization an audited object belongs to.
_OWNER = {
    "meetings.meeting": (Meeting, "organization_id"),
    "meetings.meetingseries": (MeetingSeries, "organization_id"),
    "meetings.findingexplanation": (FindingExplanation, "organization_id"),
    "meetings.attendance": (Attendance, "meeting__organization_id"),
    "meetings.vote": (Vote, "meeting__organization_id"),
    "meetings.leaverequest": (LeaveRequest, "meeting__organization_id"),
    "meetings.attachment": (Attachment, "meeting__organization_id"),
    "members.member": (Member, "organization_id"),
    "orgs.post": (Post, "organization_id"),
}
# Events that change no record the findings are computed from: rule packs (a new RuleSet, so
# a new cache key) and an import's summary (each imported member has an event of its own).
_NOT_RECORDS = frozenset({"meetings.loadedrulepack", "members.roster_import"})
_NOT_WRITES = frozenset(
    {
        AuditAction.REVEAL,
        AuditAction.EXPORT,
        AuditAction.LOGIN,
        AuditAction.LOGOUT,
        AuditAction.LOGIN_FAILED,
        AuditAction.LOCKOUT,
        AuditAction.UNLOCK,
        AuditAction.TOKEN,
    }
)
# Beyond these, recomputing the subtree is as quick and the queries stay small.
_MAX_EVENTS = 500
_MAX_CHANGED = 500
_CACHE_ENTRIES = 4
_cache_lock = threading.Lock()
_reports: OrderedDict[tuple, tuple[tuple[int, str], float, ComplianceReport]] = OrderedDict()


def cache_seconds() -> int:
    return int(getattr(settings, "DANGJIAN_COMPLIANCE_CACHE_SECONDS", 6 * 3600))


def clear_cache() -> None:
    """Forget this process's reports (the next page recomputes its whole subtree)."""
    with _cache_lock:
        _reports.clear()


def _organization_ids(value: object) -> list[int]:
    """The organization ids in an event's `organization` change: [before, after] or one id."""
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _changed_organizations(head: tuple[int, str], now: tuple[int, str]) -> set[int] | None:
    """The organizations whose records changed between two heads of the audit log, or None
    when that cannot be told (recompute everything).

    Two queries at most, whatever the number of events: the events (with the organization
    named in their changes, for creations, moves and deletions), then the organizations the
    changed objects belong to now, all object types in one UNION.
    """
    if head == now:
        return set()
    if now[0] < head[0] or head[0] == 0:
        return None
    rows = list(
        AuditEvent.objects.filter(
            Q(seq=head[0]) | (Q(seq__gt=head[0], seq__lte=now[0]) & _RELEVANT)
        )
        .order_by("seq")
        .values_list("seq", "hash", "action", "object_type", "object_id", "changes__organization")[
            : _MAX_EVENTS + 2
        ]
    )
    # The event at `head` must still be the one seen then (not a new database's).
    if not rows or rows[0][:2] != head or len(rows) > _MAX_EVENTS + 1:
        return None
    changed: set[int] = set()
    wanted: dict[str, set[int]] = defaultdict(set)
    named: dict[tuple[str, int], bool] = {}
    for _, _, action, object_type, object_id, moved in rows[1:]:
        if action in _NOT_WRITES or object_type in _NOT_RECORDS:
            continue
        if object_type not in _OWNER:
            return None  # an organization itself, or a kind of record not known here
        found = _organization_ids(moved)
        changed.update(found)
        if not object_id.isdigit():
            if not found:
                return None  # a bulk load's summary
            continue
        pk = int(object_id)
        wanted[object_type].add(pk)
        named[(object_type, pk)] = named.get((object_type, pk), False) or bool(found)
    if wanted:
        parts = [
            _OWNER[object_type][0]
            .objects.filter(pk__in=sorted(pks))
            .order_by()
            .annotate(object_type=Value(object_type, output_field=CharField()))
            .values_list("object_type", "pk", _OWNER[object_type][1])
            for object_type, pks in sorted(wanted.items())
        ]
        query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for object_type, pk, org_id in query:
            named[(object_type, pk)] = True
            changed.add(org_id)
        # A deleted object whose event did not name its organization: nothing to trace.
        if not all(named.values()):
            return None
    return changed if len(changed) <= _MAX_CHANGED else None


def _refresh(report: ComplianceReport, changed: set[int]) -> ComplianceReport | None:
    """`report` with the organizations in `changed` read and evaluated again (a new report;
    the old one may be in use by another thread). None when the subtree itself changed."""
    ids = changed & report.by_id.keys()
    if not ids:
        return report
    memo = report._memo
    assert memo is not None
    with _gc_paused():
        records = _read(_only(ids), report.year, report.as_of)
        if {o.id for o in records.orgs} != ids:
            return None
        done = _evaluate(records, report.rules, memo)
        fresh = {o.id: o for o in records.orgs}
        orgs = [fresh.get(o.id, o) for o in report.orgs]
        cells = {k: v for k, v in report._cells_by_org.items() if k not in ids}
        cells.update(done.cells_by_org)
        meetings = {k: v for k, v in report._meetings.items() if k not in ids}
        meetings.update(records.meetings)
        used = set().union(*cells.values())
    return ComplianceReport(
        root=fresh.get(report.root.id, report.root),
        year=report.year,
        today=report.today,
        as_of=report.as_of,
        rules=report.rules,
        orgs=orgs,
        columns=[c for c in _columns(report.rules) if c.key in used],
        meetings_counted=sum(meetings.values()),
        _frequency={},
        _other={},
        _explanations={},
        _cells_by_org=cells,
        _meetings=meetings,
        _memo=memo,
        summary=True,
    )


def cached_report(
    root: Organization, year: int, *, today: dt.date | None = None
) -> ComplianceReport:
    """`compute` for the findings page: cells and roll-ups only, reused while still valid and
    brought up to date organization by organization after writes.

    The report returned has no per-period findings (`findings_for` raises); pages that show
    findings call `compute` on their (small) subtree.
    """
    seconds = cache_seconds()
    today = today or local_today()
    rules = rules_in_force()
    if seconds <= 0:
        return compute(root, year, today=today, rules=rules).summary_only()
    head = AuditHead.objects.filter(pk=1).values_list("seq", "last_hash").first() or (0, "")
    key = (root.pk, root.path, year, today, id(rules))
    with _cache_lock:
        entry = _reports.get(key)
    report = None
    if entry is not None and time.monotonic() - entry[1] < seconds:
        changed = _changed_organizations(entry[0], head)
        if changed is not None:
            report = _refresh(entry[2], changed)
    if report is not None:
        started = entry[1]
    else:
        report, started = compute(root, year, today=today, rules=rules), time.monotonic()
        report.summary_only()
    report.top_rollups  # noqa: B018 (computed before other threads see the report)
    with _cache_lock:
        _reports[key] = (head, started, report)
        _reports.move_to_end(key)
        while len(_reports) > _CACHE_ENTRIES:
            _reports.popitem(last=False)
    return report


# ---- output ----------------------------------------------------------------------------------


def report_json(report: ComplianceReport, *, findings: bool = True) -> dict[str, object]:
    """The report as JSON-ready data (the CLI's --json and the API answer)."""
    rollups = report.rollups
    root_rollup = rollups[report.root.id]
    return {
        "organization": {
            "id": report.root.id,
            "code": report.root.code,
            "name": report.root.name,
            "kind": report.root.kind,
        },
        "year": report.year,
        "as_of": report.as_of.isoformat(),
        "rule_packs": list(report.rules.pack_ids),
        "columns": [
            {"key": c.key, "label": c.label, "rule_ids": list(c.rule_ids), "citation": c.citation}
            for c in report.columns
        ],
        "summary": root_rollup.as_dict(),
        "meetings_counted": report.meetings_counted,
        "organizations": [
            {
                "id": org.id,
                "code": org.code,
                "name": org.name,
                "kind": org.kind,
                "depth": org.depth,
                "parent_code": _parent_code(report, org),
                "members": org.members,
                "full_members": org.full_members,
                "committee_size": org.committee_size,
                "rollup": rollups[org.id].as_dict(),
                **(
                    {"findings": [f.as_dict() for f in report.findings_for(org.id)]}
                    if findings
                    else {}
                ),
            }
            for org in report.orgs
        ],
    }


def _parent_code(report: ComplianceReport, org: OrgInfo) -> str | None:
    if org.id == report.root.id:
        return None
    parents = report.__dict__.setdefault("_codes_by_path", {o.path: o.code for o in report.orgs})
    return parents.get(org.parent_path)


def own_depth(org: Organization) -> int:
    """The depth an organization's own page reaches: itself, and a branch's party groups."""
    return org.depth + 1 if org.kind == OrgKind.BRANCH else org.depth


# ---- explanations ----------------------------------------------------------------------------


@transaction.atomic
def explain_finding(
    actor: Actor,
    org: Organization,
    *,
    rule_id: str,
    period_key: str,
    reason: str,
    today: dt.date | None = None,
) -> FindingExplanation:
    """Record (or replace) a secretary's reason for a warning-level finding; audited.

    The caller has checked write access to `org`. The finding is recomputed from the
    records, so only a warning that exists can be explained.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ServiceValidationError({"reason": "请填写情况说明"})
    if len(reason) > 500:
        raise ServiceValidationError({"reason": "情况说明不能超过500字"})
    try:
        year = int(period_key[:4])
    except ValueError:
        raise ServiceValidationError({"period": "期间不正确"}) from None
    report = compute(org, year, today=today, max_depth=org.depth)
    finding = report.finding(org.pk, rule_id, period_key)
    if finding is None:
        raise ServiceValidationError({"rule_id": "没有找到该检查结果"})
    if not finding.explainable:
        raise ServiceValidationError(
            {"rule_id": "只有“一般”性规定的提示（警告级）可以填写情况说明"}
        )
    existing = (
        FindingExplanation.objects.select_for_update()
        .filter(organization=org, rule_id=rule_id, period_key=period_key)
        .first()
    )
    before = _explanation_fields(existing) if existing else None
    if existing is None:
        existing = FindingExplanation(organization=org, rule_id=rule_id, period_key=period_key)
    existing.reason = reason
    existing.explained_by = actor.user
    existing.save()
    after = _explanation_fields(existing)
    record(
        actor,
        AuditAction.UPDATE if before else AuditAction.CREATE,
        existing,
        changes=diff(before, after),
        message=f"{org.name} {finding.period_label} {rule_id} 情况说明",
    )
    return existing


def _explanation_fields(explanation: FindingExplanation) -> dict[str, object]:
    return {
        "organization": explanation.organization_id,
        "rule_id": explanation.rule_id,
        "period_key": explanation.period_key,
        "reason": explanation.reason,
        "explained_by": explanation.explained_by_id,
    }


# ---- member signals (one branch) -------------------------------------------------------------


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


@dataclass(frozen=True)
class SignalVisibility:
    streaks: bool
    lapses: bool


def signal_visibility(user, branch: Organization) -> SignalVisibility:
    """Who sees names: streaks the branch's secretary and committee; lapses also the 机关党委.

    Decided from the user's role assignments (one query), not from the merged scope, so a
    纪检 reader or an officer with write access elsewhere never sees them.
    """
    if branch.kind != OrgKind.BRANCH:
        return SignalVisibility(False, False)
    branch_role = organ_role = False
    for role, path in RoleAssignment.objects.filter(user=user).values_list(
        "role", "organization__path"
    ):
        if path is None or not branch.path.startswith(path):
            continue
        if role in (Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE):
            branch_role = True
        elif role == Role.ORGAN_COMMITTEE:
            organ_role = True
    return SignalVisibility(streaks=branch_role, lapses=branch_role or organ_role)


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
    threshold = int(rules.params.get("absence_streak_threshold", 3))
    warn_after = int(rules.params.get("lapse_warn_after_months", 4))
    people = Member.objects.filter(organization=branch).values_list(
        "id", "name", "admitted_on", "org_since"
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
        for member_id, name in sorted(members.items(), key=lambda item: item[1]):
            finding = lapse_status(
                last.get(member_id),
                since[member_id],
                today,
                warn_after_months=warn_after,
                member_name=name,
            )
            if finding is not None:
                out.lapses.append(
                    MemberSignal(
                        member_id,
                        name,
                        finding.message,
                        finding.citation,
                        finding.severity,  # type: ignore[arg-type]
                        dict(finding.facts),
                    )
                )
    return out
