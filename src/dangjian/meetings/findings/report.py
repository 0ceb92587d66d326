"""The report objects: columns, organizations, findings, cells, roll-ups and the report.

A `ComplianceReport` holds, per organization, one `Cell` per column (the worst status of its
findings in the year) and builds `Finding` objects only when asked (`findings_for`); roll-ups
count a subtree. Nothing here reads the database.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from dangjian.orgs.models import Organization, OrgKind
from dangjian.regulations.base import Severity
from dangjian.regulations.engine import RuleSet
from dangjian.regulations.meetings import FindingStatus, FrequencyRule, PeriodFinding
from dangjian.regulations.periods import Period, periods_in_year

if TYPE_CHECKING:
    from dangjian.meetings.findings.evaluation import _Memo


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
    term_started_on: dt.date | None = None
    members: int = 0
    full_members: int = 0
    committee_size: int = 0
    deputies: int = 0  # 副书记 seated on the period's last day
    officers: int = 0  # other seats than 书记 and 副书记 (组织委员…) that day
    # Members of the organization and its whole subtree that day, for the 机关 thresholds of a
    # 机关党委 and a 总支 (None for other kinds).
    subtree_members: int | None = None
    # Full members on each month's last day (or `as_of`, for the months after it), for the
    # month-by-month applicability of the monthly 支委会 (branches only; None otherwise).
    full_by_month: tuple[int, ...] | None = None
    # The same readings on every month's last day, for the committee rules (issue 12): (members,
    # full members), (委员 seated, 副书记, other seats), and the subtree's members. None: nobody
    # (or no seat) on record in the year.
    counts_by_month: tuple[tuple[int, int], ...] | None = None
    seats_by_month: tuple[tuple[int, int, int], ...] | None = None
    subtree_by_month: tuple[int, ...] | None = None
    # The kind on every month's reading day, None on a day it did not exist, for an
    # organization whose kind or existence changed in the year (`kind` is then the last one
    # it had); None when it was today's kind all year (findings/as_was.py).
    kinds_by_month: tuple[str | None, ...] | None = None

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
# present, month, seated, seated present). The last two are the 支委会 quorum's figures: the
# 委员 seated on the meeting's day and those of them present (None on a record made before
# they were kept).
_ID, _ORG, _KIND, _DAY, _HOST, _EXPECTED, _PRESENT, _MONTH, _SEATED, _SEATED_PRESENT = range(10)


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
    _other: dict[int, list[Result]]
    _explanations: dict[tuple[int, str, str], Explanation]
    _cells_by_org: dict[int, dict[str, Cell]]
    # Meetings counted per organization and month (index 0 is January), up to `as_of`.
    _meetings: dict[int, list[int]] = field(default_factory=dict)
    _memo: _Memo | None = None
    _built: dict[int, list[Finding]] = field(default_factory=dict)
    # What a page derives from this report, kept with it (a refreshed report is a new object,
    # so nothing derived outlives the records it was derived from).
    derived: dict = field(default_factory=dict, repr=False, compare=False)

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
            buckets: list[list[tuple]] = [[] for _ in judged.findings]
            # A rule judged for some months only (the 支委会 of a branch that crossed 7 full
            # members): a meeting of another month stands in no finding.
            every = periods_in_year(self.year, freq.period)
            masked = len(judged.findings) != len(every)
            for row in sorted(rows, key=lambda r: (r[_DAY], r[_ID])):
                position = _period_index(freq.period, row[_MONTH])
                if masked:
                    found = judged.index.get(every[position].key)
                    if found is None:
                        continue
                    position = found
                buckets[position].append(row)
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

    def meetings_by_month(self) -> dict[int, list[int]]:
        """Held meetings counted per organization (with any) and month, January first."""
        return self._meetings

    def cells_by_org(self) -> dict[int, dict[str, Cell]]:
        """Every organization's cells (those with one), by column key."""
        return self._cells_by_org

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


def _year_period(year: int) -> Period:
    return periods_in_year(year, "year")[0]


class Result(NamedTuple):
    """A finding for one organization's year (committee, quorum, or another app's), before it
    is tied to the organization and the year."""

    rule_id: str
    column: str
    status: FindingStatus
    severity: Severity | None
    message: str
    citation: str
    facts: dict[str, object]


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
            # Everything allocated meanwhile is still in the youngest generation: the first
            # collection after `enable` would walk it all (a second at province scale, once
            # per computation). Freezing and unfreezing moves it to the oldest generation
            # without a walk; the oldest is collected as rarely as ever, so nothing is kept
            # that a full collection would free.
            gc.freeze()
            gc.unfreeze()
            gc.enable()
