"""Derived figures for the dashboard and the statistics: counted from the records of a subtree
at the moment of asking, folded onto the root's children. Nothing here is typed in by anyone.

Each figure is one grouped query over the subtree (by organization path), folded in Python onto
the child whose path prefixes it, so a province costs the same number of queries as a branch.
No figure names a person: organizations are the unit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from dangjian.core import clock
from dangjian.duties.models import PENDING, WorkItem, WorkStatus
from dangjian.meetings import findings as compliance
from dangjian.meetings.models import Meeting, MeetingKind, MeetingStatus
from dangjian.members.models import (
    Education,
    Gender,
    Member,
    MemberCategory,
    MembershipSpell,
    MemberStatus,
    SpellEvent,
)
from dangjian.orgs import history as org_history
from dangjian.orgs.models import Organization
from dangjian.regulations.engine import PackError
from dangjian.transfers.queries import mobile_counts_on


@dataclass
class OrgRow:
    """One child of the root (or the root itself, for its own records)."""

    org_id: int
    code: str
    name: str
    path: str
    members: int = 0
    meetings: int = 0
    items: int = 0
    items_done: int = 0
    items_on_time: int = 0
    items_overdue: int = 0
    violated: int = 0
    at_risk: int = 0

    @property
    def on_time_rate(self) -> str:
        return f"{self.items_on_time * 100 // self.items_done}%" if self.items_done else "—"


@dataclass
class Dashboard:
    root: Organization
    year: int
    rows: list[OrgRow]
    by_month: list[int] = field(default_factory=list)  # meetings held per month, whole subtree
    findings_error: str = ""
    # The findings heat map: organizations (the rows) × finding columns (rules or rule groups of
    # the findings report), the counts of red (violated) and amber (at risk) findings of each
    # row's subtree. Counts only: organizations are the unit, no person appears.
    heat_columns: list[tuple[str, str]] = field(default_factory=list)  # (key, label)
    heat: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

    def heat_rows(self) -> list[tuple[OrgRow, list[tuple[int, int]]]]:
        """Per row, per heat column: (violated, at risk); rows and columns as in the report."""
        return [
            (r, [self.heat.get((r.path, key), (0, 0)) for key, _ in self.heat_columns])
            for r in self.rows
        ]

    @property
    def heat_max(self) -> int:
        return max((v + a for v, a in self.heat.values()), default=0)

    @property
    def total(self) -> OrgRow:
        t = OrgRow(self.root.pk, self.root.code, "合计", self.root.path)
        for r in self.rows:
            for name in (
                "members",
                "meetings",
                "items",
                "items_done",
                "items_on_time",
                "items_overdue",
                "violated",
                "at_risk",
            ):
                setattr(t, name, getattr(t, name) + getattr(r, name))
        return t


def _children(root: Organization) -> list[Organization]:
    return list(
        Organization.objects.filter(path__startswith=root.path, depth=root.depth + 1).order_by(
            "path"
        )
    )


def _folder(root: Organization, rows: list[OrgRow]):
    """A function from an organization path to the row it counts towards (the root's own row
    for the root's own records)."""
    width = len(root.path) + Organization.steplen
    by_prefix = {r.path: r for r in rows}

    def fold(path: str) -> OrgRow | None:
        return by_prefix.get(path[:width]) if len(path) >= width else by_prefix.get(path)

    return fold


def _rows(root: Organization, children: list[Organization] | None = None) -> list[OrgRow]:
    own = OrgRow(root.pk, root.code, f"{root.name}（本级）", root.path)
    if children is None:
        children = _children(root)
    rows = [OrgRow(c.pk, c.code, c.name, c.path) for c in children]
    return [own, *rows]


def dashboard(root: Organization, year: int, *, today: dt.date | None = None) -> Dashboard:
    """The leaders' figures for the subtree of `root` in `year`, by child organization.

    The meetings by month and by organization come from the findings report's cache, which
    counts them when it reads the year's meetings and keeps them up to date organization by
    organization after writes; only when the rule pack cannot be read are they counted here
    (grouped by day, never by a per-row month function: that cost 1.7 s at province scale).
    """
    today = today or clock.today()
    rows = _rows(root)
    fold = _folder(root, rows)
    # The members on the year's last day (today for the current year), from the membership
    # history: each counted in the branch that held them then, as the year's findings count
    # them; who left or moved away since still counts there, who arrived since does not.
    as_of = min(today, dt.date(year, 12, 31))
    spells = MembershipSpell.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=as_of),
        organization__path__startswith=root.path,
        started_on__lte=as_of,
    )
    for path, n in (
        spells.values("organization__path")
        .annotate(n=Count("member_id"))
        .values_list("organization__path", "n")
    ):
        if (row := fold(path)) is not None:
            row.members += n
    _count_items(root, year, today, fold)
    out = Dashboard(root, year, rows, [0] * 12)
    try:
        report = compliance.cached_report(root, year)
    except PackError as exc:
        out.findings_error = str(exc)
        _count_meetings(root, year, fold, out.by_month)
    else:
        _from_report(report, fold, out)
    out.rows = [
        r
        for r in rows
        if r is not rows[0] or r.members or r.meetings or r.items or r.violated or r.at_risk
    ]
    return out


def _count_items(root: Organization, year: int, today: dt.date, fold) -> None:
    items = WorkItem.objects.filter(
        deadline__year=year, organization__path__startswith=root.path
    ).exclude(status=WorkStatus.WITHDRAWN)
    for r in items.values("organization__path", "status", "deadline", "completed_on").annotate(
        n=Count("pk")
    ):
        row = fold(r["organization__path"])
        if row is None:
            continue
        row.items += r["n"]
        if r["status"] == WorkStatus.ACCEPTED:
            row.items_done += r["n"]
            if r["completed_on"] and r["completed_on"] <= r["deadline"]:
                row.items_on_time += r["n"]
        elif r["status"] in PENDING and r["deadline"] < today:
            row.items_overdue += r["n"]


def _count_meetings(root: Organization, year: int, fold, by_month: list[int]) -> None:
    """Held meetings per month and row, read grouped by organization and day (no report)."""
    held = Meeting.objects.filter(
        status=MeetingStatus.HELD, held_on__year=year, organization__path__startswith=root.path
    )
    for r in held.values("organization__path", "held_on").annotate(n=Count("pk")):
        by_month[r["held_on"].month - 1] += r["n"]
        if (row := fold(r["organization__path"])) is not None:
            row.meetings += r["n"]


def _from_report(report, fold, out: Dashboard) -> None:
    """Meetings by month and row, and the findings heat map, from the findings report: folded
    once per report and rows (kept with the cached report, which a write replaces)."""
    key = ("desk.dashboard", tuple(r.path for r in out.rows))
    folded = report.derived.get(key)
    if folded is None:
        folded = report.derived[key] = _fold_report(report, fold)
    months, per_row, heat = folded
    out.by_month = list(months)
    for row in out.rows:
        meetings, violated, at_risk = per_row.get(row.path, (0, 0, 0))
        row.meetings += meetings
        row.violated += violated
        row.at_risk += at_risk
    out.heat = dict(heat)
    # The columns with a finding somewhere in the subtree, in the report's order.
    shown = {key for _, key in heat}
    out.heat_columns = [(c.key, c.label) for c in report.columns if c.key in shown]


def _fold_report(report, fold) -> tuple[list[int], dict[str, tuple[int, int, int]], dict]:
    """(meetings per month, per row path (meetings, red, amber), heat map) of the report."""
    by_id = report.by_id
    months = [0] * 12
    per_row: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for org_id, counts in report.meetings_by_month().items():
        info = by_id.get(org_id)
        if info is None:
            continue
        for i, n in enumerate(counts):
            months[i] += n
        if (row := fold(info.path)) is not None:
            per_row[row.path][0] += sum(counts)
    heat: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for org_id, cells in report.cells_by_org().items():
        info = by_id.get(org_id)
        row = fold(info.path) if info is not None else None
        if row is None:
            continue
        totals = per_row[row.path]
        for key, cell in cells.items():
            violated, at_risk = cell.tally[0], cell.tally[1]
            if violated or at_risk:
                totals[1] += violated
                totals[2] += at_risk
                counts = heat[(row.path, key)]
                counts[0] += violated
                counts[1] += at_risk
    return (
        months,
        {path: (v[0], v[1], v[2]) for path, v in per_row.items()},
        {k: (v[0], v[1]) for k, v in heat.items()},
    )


# ---- member structure ------------------------------------------------------------------------

AGE_BANDS = (
    (0, 35, "35岁以下"),
    (35, 46, "35至45岁"),
    (46, 56, "46至55岁"),
    (56, 200, "56岁及以上"),
)
PARTY_AGE_BANDS = (
    (0, 5, "5年以下"),
    (5, 11, "5至10年"),
    (11, 21, "11至20年"),
    (21, 200, "20年以上"),
)


def _banded(counts: dict[int, int], year: int, bands) -> list[tuple[str, int]]:
    out = dict.fromkeys((label for _, _, label in bands), 0)
    for born, n in counts.items():
        age = year - born
        for low, high, label in bands:
            if low <= age < high:
                out[label] += n
                break
    return list(out.items())


def structure(root: Organization, today: dt.date) -> list[tuple[str, list[tuple[str, int]]]]:
    """The members of the subtree by gender, ethnicity, education, age band, party age and
    category (today's roster: members who left no longer count; ages by calendar year): one
    grouped query per dimension."""
    members = Member.objects.current().filter(organization__path__startswith=root.path)

    def grouped(field: str) -> dict:
        return dict(members.values_list(field).annotate(n=Count("pk")).order_by())

    gender = grouped("gender")
    ethnicity = grouped("ethnicity")
    education = grouped("education")
    born = grouped("birth_date__year")
    admitted = grouped("admitted_on__year")
    category = grouped("category")
    han = ethnicity.get("汉族", 0)
    return [
        ("性别", [(label, gender.get(key, 0)) for key, label in Gender.choices]),
        ("民族", [("汉族", han), ("少数民族", sum(ethnicity.values()) - han)]),
        (
            "学历",
            [(label, education.get(key, 0)) for key, label in Education.choices]
            + [("未填", education.get("", 0))],
        ),
        ("年龄", _banded(born, today.year, AGE_BANDS)),
        ("党龄", _banded(admitted, today.year, PARTY_AGE_BANDS)),
        ("人员类别", [(label, category.get(key, 0)) for key, label in MemberCategory.choices]),
    ]


# ---- statistics -----------------------------------------------------------------------------

MEMBER_COLUMNS = [
    ("full", "正式党员"),
    ("probationary", "预备党员"),
    ("male", "男"),
    ("female", "女"),
    ("employed", "在职"),
    ("retired", "离退休"),
]


# The year's changes from the membership history: what opened a spell, what closed one.
CHANGE_STARTS = ("admitted", "confirmed", "transferred_in", "restored")
CHANGE_ENDS = ("transferred_out", "died", "expelled", "removed", "withdrew", "suspended")
CHANGE_COLUMNS = [(key, SpellEvent(key).label) for key in CHANGE_STARTS + CHANGE_ENDS]


@dataclass
class Statistics:
    root: Organization
    years: list[int]
    as_of: dt.date
    # (row name, [total, *one count per MEMBER_COLUMNS])
    members: list[tuple[str, list[int]]]
    # (row name, year, [total, *one count per meeting kind])
    meetings: list[tuple[str, int, list[int]]]
    kinds: list[tuple[str, str]]
    # organizations by kind existing in the subtree on `as_of`: (kind label, count, of them with
    # a committee set up that day, or None for kinds not led by a committee)
    org_kinds: list[tuple[str, int, int | None]]
    # (row name, one count per CHANGE_COLUMNS) in the last of `years`
    changes: list[tuple[str, list[int]]] = field(default_factory=list)
    # 流动党员 of the subtree on `as_of`: (away, of them due to transfer their relationship)
    mobile: tuple[int, int] = (0, 0)


def _members_on(root: Organization, rows: list[OrgRow], fold, day: dt.date) -> dict:
    """Per row: members on `day` by status, gender and category, from the spells covering it."""
    members: dict[str, dict[str, int]] = {r.path: defaultdict(int) for r in rows}
    on_day = MembershipSpell.objects.filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=day),
        started_on__lte=day,
        organization__path__startswith=root.path,
    )
    qs = on_day.values("organization__path", "status", "member__gender", "member__category")
    for r in qs.annotate(n=Count("pk")).order_by():
        row = fold(r["organization__path"])
        if row is None:
            continue
        counts = members[row.path]
        counts["total"] += r["n"]
        for key in (r["status"], r["member__gender"], r["member__category"]):
            counts[key] += r["n"]
    return members


def _changes(root: Organization, rows: list[OrgRow], fold, year: int, day: dt.date) -> dict:
    """Per row: spells opened (CHANGE_STARTS) or closed (CHANGE_ENDS) in `year` up to `day`."""
    changes: dict[str, dict[str, int]] = {r.path: defaultdict(int) for r in rows}
    spells = MembershipSpell.objects.filter(organization__path__startswith=root.path)
    for field_name, reason, keys in (
        ("started_on", "start_reason", CHANGE_STARTS),
        ("ended_on", "end_reason", CHANGE_ENDS),
    ):
        grouped = (
            spells.filter(
                **{
                    f"{field_name}__year": year,
                    f"{field_name}__lte": day,
                    f"{reason}__in": keys,
                }
            )
            .values_list("organization__path", reason)
            .annotate(n=Count("pk"))
            .order_by()
        )
        for path, key, n in grouped:
            if (row := fold(path)) is not None:
                changes[row.path][key] += n
    return changes


def statistics(root: Organization, years: list[int], *, as_of: dt.date | None = None) -> Statistics:
    """The statistics of the subtree of `root` as of a day (today by default), by its child
    organizations (nine queries whatever the size of the tree: the children, the spells, one per
    year of meetings, two for the changes, two for the organizations):

    - members by status, gender and category: who belonged where on `as_of`, from the
      membership history (`MembershipSpell`: the branch and the status of that day; gender and
      category as recorded on the member today);
    - meetings held by kind and year, up to `as_of`;
    - the changes of the last of `years` (spells opened or closed), up to `as_of`;
    - organizations by kind existing on `as_of` (their history, `orgs.history`), and of them
      those with a committee set up that day (at least three members in its seats);
    - 流动党员 on `as_of` (counts only, `transfers.queries.mobile_counts_on`).
    """
    day = as_of or clock.today()
    children = _children(root)
    rows = _rows(root, children)
    fold = _folder(root, rows)
    sub = {"organization__path__startswith": root.path}
    members = _members_on(root, rows, fold, day)
    meetings: dict[tuple[str, int], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # One query per year over a date range: the index on (status, held_on) serves a large
    # subtree, where held_on__year__in made SQLite call its year extraction on every meeting.
    # When the children are leaves (a branch and its party groups) the subtree is the rows
    # themselves: by their ids SQLite takes the (organization, held_on) index instead of a
    # year of the whole province's meetings (1.2 s of a secretary's 党内统计, bench/README.md).
    if all(c.numchild == 0 for c in children):
        held_in: dict = {"organization_id__in": [r.org_id for r in rows]}
    else:
        held_in = sub
    for y in years:
        if dt.date(y, 1, 1) > day:
            continue
        held = Meeting.objects.filter(
            status=MeetingStatus.HELD,
            held_on__range=(dt.date(y, 1, 1), min(dt.date(y, 12, 31), day)),
            **held_in,
        )
        for r in held.values("organization__path", "kind").annotate(n=Count("pk")).order_by():
            row = fold(r["organization__path"])
            if row is not None:
                counts = meetings[(row.path, y)]
                counts[r["kind"]] += r["n"]
                counts["total"] += r["n"]
    changes = _changes(root, rows, fold, years[-1], day)
    away = mobile_counts_on(root, day)
    org_kinds = org_history.kind_counts_on(root, day)
    return Statistics(
        root=root,
        years=years,
        as_of=day,
        members=[
            (r.name, [members[r.path][k] for k in ("total", *(c for c, _ in MEMBER_COLUMNS))])
            for r in rows
            if members[r.path]
        ],
        meetings=[
            (r.name, y, [meetings[(r.path, y)][k] for k in ("total", *MeetingKind.values)])
            for r in rows
            for y in years
            if (r.path, y) in meetings
        ],
        kinds=list(MeetingKind.choices),
        org_kinds=[(k.label, k.organizations, k.with_committee) for k in org_kinds],
        mobile=(away.away, away.should_transfer),
        changes=[
            (r.name, [changes[r.path][k] for k, _ in CHANGE_COLUMNS])
            for r in rows
            if changes[r.path]
        ],
    )


# Keep the labels importable for the export and the page alike.
LABELS = {
    **dict(MemberStatus.choices),
    **dict(Gender.choices),
    **dict(MemberCategory.choices),
}
