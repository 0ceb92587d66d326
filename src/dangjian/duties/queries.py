"""Reading the responsibility system: duty lists, item trees, overdue lists, completion rates,
the inbox, and statistics on request. Every figure is computed from the records, in a constant
number of queries whatever the size of the subtree."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from dangjian.accounts.access import Action, scope_for
from dangjian.duties.models import (
    PENDING,
    DutyItem,
    Notice,
    Responsibility,
    WorkItem,
    WorkStatus,
)
from dangjian.meetings.models import LeaveRequest, LeaveStatus, Meeting, MeetingKind, MeetingStatus
from dangjian.members.models import Member, MemberStatus
from dangjian.orgs.models import Organization, OrgKind, Post, PostKind

# ---- duty lists ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Duty:
    key: str
    org_kind: str
    post_kind: str
    responsibility: str
    title: str
    text: str = ""
    source: str = ""
    meeting_kinds: tuple[str, ...] = ()
    order: int = 0
    active: bool = True
    owner_id: int | None = None  # None: shipped with the platform
    owner_name: str = ""

    @property
    def responsibility_label(self) -> str:
        return Responsibility(self.responsibility).label if self.responsibility else ""

    @property
    def post_label(self) -> str:
        return PostKind(self.post_kind).label

    @property
    def org_kind_label(self) -> str:
        return OrgKind(self.org_kind).label

    @property
    def meeting_labels(self) -> list[str]:
        return [MeetingKind(k).label for k in self.meeting_kinds]


@cache
def default_duties() -> tuple[Duty, ...]:
    """The shipped defaults (duties/defaults.toml), validated: a bad file fails loudly."""
    raw = tomllib.loads(
        resources.files("dangjian.duties").joinpath("defaults.toml").read_text("utf-8")
    )
    out = []
    for order, entry in enumerate(raw.get("duty", []), start=1):
        duty = Duty(
            key=entry["key"],
            org_kind=OrgKind(entry["org_kind"]).value,
            post_kind=PostKind(entry["post_kind"]).value,
            responsibility=Responsibility(entry.get("responsibility", "")).value
            if entry.get("responsibility")
            else "",
            title=entry["title"],
            text=entry.get("text", ""),
            source=entry.get("source", ""),
            meeting_kinds=tuple(MeetingKind(k).value for k in entry.get("meeting_kinds", [])),
            order=order,
        )
        out.append(duty)
    keys = [d.key for d in out]
    if len(keys) != len(set(keys)):
        raise ValueError("duties/defaults.toml: duplicate keys")
    return tuple(out)


def _chain(org: Organization) -> list[str]:
    """The paths of the organization and its ancestors, root first."""
    return [org.path[:i] for i in range(org.steplen, len(org.path) + 1, org.steplen)]


def effective_duties(org: Organization, *, include_retired: bool = False) -> list[Duty]:
    """The duties in force at `org`: the defaults, overridden by each ancestor's edits, the
    deepest owner last (it wins)."""
    by_key: dict[str, Duty] = {d.key: d for d in default_duties()}
    rows = DutyItem.objects.filter(owner__path__in=_chain(org)).select_related("owner")
    for row in sorted(rows, key=lambda r: (r.owner.depth, r.pk)):
        by_key[row.key] = Duty(
            key=row.key,
            org_kind=row.org_kind,
            post_kind=row.post_kind,
            responsibility=row.responsibility,
            title=row.title,
            text=row.text,
            source=row.source,
            meeting_kinds=tuple(row.meeting_kinds or ()),
            order=row.order,
            active=row.active,
            owner_id=row.owner_id,
            owner_name=row.owner.name,
        )
    duties = [d for d in by_key.values() if include_retired or d.active]
    return sorted(duties, key=lambda d: (d.org_kind, d.order, d.key))


POST_ORDER = [k.value for k in PostKind]


@dataclass
class DutySection:
    post_kind: str
    holders: list[Post]
    duties: list[tuple[Duty, int]]  # duty, meetings of its kinds held this year
    items: Counter = field(default_factory=Counter)

    @property
    def post_label(self) -> str:
        return PostKind(self.post_kind).label


def duty_list(org: Organization, year: int, today: dt.date) -> list[DutySection]:
    """The organization's duty list: each post, who holds it now, its duties and what they link
    to (meetings held this year, work items by state). Four queries."""
    duties = [d for d in effective_duties(org) if d.org_kind == org.kind]
    posts = list(
        Post.objects.filter(organization=org, ended_on__isnull=True)
        .select_related("member")
        .order_by("kind", "started_on")
    )
    held = dict(
        Meeting.objects.filter(organization=org, status=MeetingStatus.HELD, held_on__year=year)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    items: dict[str, Counter] = defaultdict(Counter)
    for post, status, deadline in WorkItem.objects.filter(
        organization=org, plan_year=year
    ).values_list("responsible_post", "status", "deadline"):
        items[post][state_of(status, deadline, today)] += 1
    kinds = {d.post_kind for d in duties} | {p.kind for p in posts}
    sections = []
    for kind in sorted(kinds, key=POST_ORDER.index):
        sections.append(
            DutySection(
                post_kind=kind,
                holders=[p for p in posts if p.kind == kind],
                duties=[
                    (d, sum(held.get(k, 0) for k in d.meeting_kinds))
                    for d in duties
                    if d.post_kind == kind
                ],
                items=items.get(kind, Counter()),
            )
        )
    return sections


# ---- work items ----------------------------------------------------------------------------


def state_of(status: str, deadline: dt.date, today: dt.date) -> str:
    """open / submitted / done / overdue (pending past its deadline) / withdrawn."""
    if status == WorkStatus.ACCEPTED:
        return "done"
    if status == WorkStatus.WITHDRAWN:
        return "withdrawn"
    if status == WorkStatus.SUBMITTED:
        return "submitted"
    return "overdue" if deadline < today else "open"


STATE_LABELS = {
    "open": "办理中",
    "submitted": "待验收",
    "done": "已完成",
    "overdue": "已逾期",
    "withdrawn": "已撤回",
}


def visible_items(user, action: Action = Action.READ) -> QuerySet[WorkItem]:
    scope = scope_for(user)
    return WorkItem.objects.filter(scope.org_q(action, prefix="organization__"))


def get_item_for_user(user, pk, action: Action = Action.READ) -> WorkItem:
    """404 outside the read scope, 403 when the action is denied (the access module's rule)."""
    try:
        item = WorkItem.objects.select_related("organization", "parent__organization").get(pk=pk)
    except (WorkItem.DoesNotExist, ValueError):
        raise Http404("任务不存在") from None
    scope = scope_for(user)
    if not scope.covers(item.organization.path, Action.READ):
        raise Http404("任务不存在")
    if action != Action.READ and not scope.covers(item.organization.path, action):
        raise PermissionDenied("您对该任务没有此操作权限")
    return item


def can_review(user, item: WorkItem) -> bool:
    return item.parent_id is not None and scope_for(user).covers(
        item.parent.organization.path, Action.WRITE
    )


def can_work(user, item: WorkItem) -> bool:
    return scope_for(user).covers(item.organization.path, Action.WRITE)


@dataclass
class TreeRow:
    item: WorkItem
    depth: int
    state: str
    readable: bool

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


def item_tree(user, item: WorkItem, today: dt.date) -> tuple[list[WorkItem], list[TreeRow]]:
    """The item's ancestors (what it came from) and its subtree as far as the user may read.

    One query for the whole tree; a branch never sees its sibling branches' items.
    """
    scope = scope_for(user)
    everything = {
        i.pk: i
        for i in WorkItem.objects.filter(root_id=item.root_id).select_related("organization")
    }
    everything.setdefault(item.pk, item)
    ancestors = []
    cursor = everything.get(item.parent_id)
    while cursor is not None:
        ancestors.append(cursor)
        cursor = everything.get(cursor.parent_id)
    ancestors.reverse()
    children: dict[int | None, list[WorkItem]] = defaultdict(list)
    for i in everything.values():
        children[i.parent_id].append(i)
    rows: list[TreeRow] = []

    def walk(node: WorkItem, depth: int) -> None:
        for child in sorted(children.get(node.pk, []), key=lambda c: c.organization.path):
            if scope.covers(child.organization.path, Action.READ):
                rows.append(
                    TreeRow(child, depth, state_of(child.status, child.deadline, today), True)
                )
                walk(child, depth + 1)

    walk(everything[item.pk], 1)
    return ancestors, rows


def tree_summary(rows: Sequence[TreeRow]) -> Counter:
    return Counter(r.state for r in rows)


def overdue_items(user, today: dt.date, org: Organization | None = None) -> list[WorkItem]:
    """Received items past their deadline and not done, in the user's scope (督办)."""
    qs = visible_items(user).filter(status__in=PENDING, parent__isnull=False, deadline__lt=today)
    if org is not None:
        qs = qs.filter(organization__path__startswith=org.path)
    items = list(
        qs.select_related("organization", "parent__organization").order_by("deadline", "pk")
    )
    for item in items:
        item.days_overdue = (today - item.deadline).days
    return items


@dataclass
class ItemFilter:
    org: Organization | None = None
    state: str = ""  # open / submitted / done / overdue / review (waiting for my acceptance)
    year: int | None = None


def item_list(user, flt: ItemFilter, today: dt.date) -> QuerySet[WorkItem]:
    scope = scope_for(user)
    if flt.state == "review":
        qs = WorkItem.objects.filter(
            scope.org_q(Action.WRITE, prefix="parent__organization__"),
            status=WorkStatus.SUBMITTED,
        )
    else:
        qs = visible_items(user)
    if flt.org is not None:
        qs = qs.filter(
            Q(organization__path__startswith=flt.org.path)
            | Q(parent__organization__path__startswith=flt.org.path)
        )
    if flt.year:
        qs = qs.filter(plan_year=flt.year)
    if flt.state == "open":
        qs = qs.filter(status__in=PENDING, deadline__gte=today)
    elif flt.state == "overdue":
        qs = qs.filter(status__in=PENDING, deadline__lt=today)
    elif flt.state == "submitted":
        qs = qs.filter(status=WorkStatus.SUBMITTED)
    elif flt.state == "done":
        qs = qs.filter(status=WorkStatus.ACCEPTED)
    return qs.select_related("organization", "parent__organization").order_by(
        "status", "deadline", "pk"
    )


# ---- the inbox -----------------------------------------------------------------------------


@dataclass
class ActionCounts:
    """What waits for the user's action now, derived from the records (not from notices)."""

    items: int = 0  # received items still to do (own write scope)
    review: int = 0  # submitted items the user's organizations must accept or return
    leave: int = 0  # pending leave requests the user may decide
    unread: int = 0  # unread notices

    @property
    def actions(self) -> int:
        return self.items + self.review + self.leave

    @property
    def badge(self) -> int:
        return self.actions + self.unread


def action_counts(user, today: dt.date) -> ActionCounts:
    scope = scope_for(user)
    counts = ActionCounts(
        unread=Notice.objects.filter(recipient=user, read_at__isnull=True).count()
    )
    counts.items = todo_items(user).count()
    if not scope.paths.get(Action.WRITE):
        return counts
    counts.review = review_items(user).count()
    counts.leave = LeaveRequest.objects.filter(
        scope.org_q(Action.WRITE, prefix="meeting__organization__"),
        status=LeaveStatus.PENDING,
        meeting__status=MeetingStatus.PLANNED,
    ).count()
    return counts


def acting_area(user, prefix: str = "") -> Q:
    """A filter on organizations (through `prefix`) the user acts for: those a writer role binds
    them to, and below them every organization nobody else is bound to (its work falls back to
    the nearest level with someone, as `services.responsible_users` decides who is told).

    Two small queries and a path filter, whatever the size of the subtree: each bound subtree
    minus the subtrees of organizations someone else is bound to (a deeper binding of the user's
    own adds its subtree back).
    """
    from dangjian.accounts.models import RoleAssignment
    from dangjian.duties.services import WRITER_ROLES

    bound = set(
        user.roles.filter(role__in=WRITER_ROLES, organization__isnull=False).values_list(
            "organization__path", flat=True
        )
    )
    if not bound:
        return Q(pk__in=[])
    within = Q(pk__in=[])
    for path in bound:
        within |= Q(organization__path__startswith=path)
    staffed = set(
        RoleAssignment.objects.filter(within, role__in=WRITER_ROLES).values_list(
            "organization__path", flat=True
        )
    )
    others = sorted(staffed - bound)
    area = Q(pk__in=[])
    for path in bound:
        below = [o for o in others if o.startswith(path) and o != path]
        # Only the outermost of nested subtrees need excluding.
        outer = [o for o in below if not any(o != p and o.startswith(p) for p in below)]
        part = Q(**{f"{prefix}path__startswith": path})
        for other in outer:
            part &= ~Q(**{f"{prefix}path__startswith": other})
        area |= part
    return area


def _held_posts_q(user, prefix: str = "") -> Q:
    """Items addressed to a post the user's member record holds now."""
    if not user.member_id:
        return Q(pk__in=[])
    scope = scope_for(user)
    posts = Post.objects.filter(member_id=user.member_id, ended_on__isnull=True).values_list(
        "organization_id", "organization__path", "kind"
    )
    q = Q(pk__in=[])
    for org_id, path, kind in posts:
        if scope.covers(path, Action.WRITE):  # a post holder without access cannot act
            q |= Q(**{f"{prefix}organization_id": org_id, f"{prefix}responsible_post": kind})
    return q


def todo_items(user) -> QuerySet[WorkItem]:
    """Received items the user must move: their organizations' (see `acting_area`) and those
    addressed to a post they hold."""
    return WorkItem.objects.filter(
        acting_area(user, "organization__") | _held_posts_q(user),
        status__in=PENDING,
        parent__isnull=False,
    )


def review_items(user) -> QuerySet[WorkItem]:
    """Submitted items sent by the organizations the user acts for."""
    return WorkItem.objects.filter(
        acting_area(user, "parent__organization__"), status=WorkStatus.SUBMITTED
    )


def pending_leave(user) -> QuerySet[LeaveRequest]:
    scope = scope_for(user)
    return (
        LeaveRequest.objects.filter(
            scope.org_q(Action.WRITE, prefix="meeting__organization__"),
            status=LeaveStatus.PENDING,
            meeting__status=MeetingStatus.PLANNED,
        )
        .select_related("meeting__organization", "member")
        .order_by("meeting__starts_at", "pk")
    )


# ---- completion rates and statistics on request --------------------------------------------


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
        source = self.total if org_id is None else self.values[org_id]
        return [source.get(f, 0) for f in self.figures]


def _rate(c: Completion) -> str:
    return "—" if c.rate is None else f"{c.rate * 100:.1f}%"


def statistics(
    within: Organization, level: str, figures: Iterable[str], year: int, today: dt.date
) -> StatTable:
    """The table the 机关党委 asks for, computed without asking any branch (最多报一次).

    At most five queries (rows, branches, members, meetings, work items), whatever the subtree's size.
    """
    chosen = [f for f in FIGURES if f in set(figures)] or list(DEFAULT_FIGURES)
    rows = row_orgs(within, level)
    index = _rows_index(rows)
    steplen = within.steplen
    values: dict[int, dict[str, object]] = {r.pk: defaultdict(int) for r in rows}
    if "branches" in chosen:
        for r in rows:
            values[r.pk]["branches"] = 0
        for path in Organization.objects.filter(
            path__startswith=within.path, kind=OrgKind.BRANCH
        ).values_list("path", flat=True):
            row = _row_of(path, index, steplen)
            if row is not None:
                values[row]["branches"] += 1
    if {"members_full", "members_probationary"} & set(chosen):
        for path, status, n in (
            Member.objects.filter(organization__path__startswith=within.path)
            .values_list("organization__path", "status")
            .annotate(n=Count("pk"))
            .values_list("organization__path", "status", "n")
        ):
            row = _row_of(path, index, steplen)
            if row is not None:
                key = "members_full" if status == MemberStatus.FULL else "members_probationary"
                values[row][key] += n
    meeting_figures = [f for f in chosen if f.startswith("meetings_")]
    if meeting_figures:
        kinds = [f.removeprefix("meetings_") for f in meeting_figures]
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
            row = _row_of(path, index, steplen)
            if row is not None:
                values[row][f"meetings_{kind}"] += n
    completions: dict[int, Completion] = {}
    if any(f.startswith("items_") for f in chosen):
        completions = completion_by_org(within, rows, year, today)
    total_completion = Completion()
    for r in rows:
        c = completions.get(r.pk)
        if c is None:
            continue
        for name in ("on_time", "late", "overdue", "submitted", "open"):
            setattr(total_completion, name, getattr(total_completion, name) + getattr(c, name))
        values[r.pk].update(
            items_total=c.total,
            items_on_time=c.on_time,
            items_late=c.late,
            items_overdue=c.overdue,
            items_rate=_rate(c),
        )
    total: dict[str, object] = {}
    for f in chosen:
        if f == "items_rate":
            total[f] = _rate(total_completion)
        else:
            total[f] = sum(int(values[r.pk].get(f, 0)) for r in rows)
    return StatTable(within, year, chosen, rows, values, total)
