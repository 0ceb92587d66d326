"""What the work desk shows a user: their to-dos first, then what concerns them, each scoped.

Every part comes from the apps' own scoped reads (the inbox's to-do providers, the member's
meetings and study hours, the findings cache for the organizations the user reads), so the desk
decides no visibility of its own and adds a fixed number of queries per part.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from dangjian.accounts.access import Action, scope_for
from dangjian.accounts.models import Role
from dangjian.core import clock
from dangjian.meetings import findings as compliance
from dangjian.meetings.models import Meeting, MeetingStatus
from dangjian.meetings.queries import leave_requests_of, own_member, upcoming_for_member
from dangjian.notices.queries import ActionCounts, action_counts, notices_for
from dangjian.notices.registry import TodoRow, todo_providers
from dangjian.orgs.models import Organization, OrgKind, Post, PostKind
from dangjian.regulations.engine import PackError
from dangjian.regulations.periods import cn_date
from dangjian.study.hours import member_status

TODO_ROWS = 5  # per provider: the desk is a summary, the inbox has the full list
UPCOMING = 5
NOTICES = 5
FINDING_ORGS = 8


@dataclass
class TodoGroup:
    key: str
    label: str
    count: int
    rows: list[TodoRow]


@dataclass
class OrgFindings:
    """Red and amber findings of one organization's subtree this year (the findings cache)."""

    org: Organization
    violated: int
    at_risk: int
    children: list[tuple[Any, int, int]] = field(default_factory=list)  # (OrgInfo, red, amber)


@dataclass
class Desk:
    counts: ActionCounts
    todo: list[TodoGroup]
    notices: list[Any]
    upcoming: list[Any] = field(default_factory=list)
    to_record: list[Any] = field(default_factory=list)  # meetings past their time, not recorded
    to_record_count: int = 0
    study: Any = None
    findings: list[OrgFindings] = field(default_factory=list)
    findings_error: str = ""
    # (branch, reason) for branches without a secretary or past their term, in the read scope
    branch_gaps: list[tuple[Any, str]] = field(default_factory=list)
    branch_gaps_count: int = 0
    leads: bool = False  # reads organizations: the dashboard and statistics are offered
    admin_links: list[tuple[str, str]] = field(default_factory=list)
    year: int = 0

    @property
    def todo_total(self) -> int:
        return self.counts.actions


def _todo(user, counts: ActionCounts) -> list[TodoGroup]:
    groups = []
    for provider in todo_providers():
        n = counts.todo.get(provider.key, 0)
        if n:
            groups.append(
                TodoGroup(provider.key, provider.label, n, provider.rows(user, TODO_ROWS))
            )
    return groups


def _upcoming(user, today: dt.date) -> tuple[list[Any], Any]:
    member = own_member(user)
    if member is None:
        return [], None
    upcoming = list(upcoming_for_member(member, today)[:UPCOMING])
    ids = [m.pk for m in upcoming]
    leaves = {lr.meeting_id: lr for lr in leave_requests_of(member).filter(meeting_id__in=ids)}
    for meeting in upcoming:
        meeting.my_leave = leaves.get(meeting.pk)
    return upcoming, member_status(member, today.year)


def _to_record(user) -> tuple[list[Any], int]:
    """Meetings of the organizations the user is bound to with write access (not the whole
    subtree: a branch's unrecorded meeting is its secretary's work) whose time has passed."""
    paths = scope_for(user).paths.get(Action.WRITE, [])
    if not paths:
        return [], 0
    qs = Meeting.objects.filter(
        organization__path__in=paths,
        status=MeetingStatus.PLANNED,
        starts_at__lt=timezone.now(),
    ).select_related("organization")
    return list(qs.order_by("starts_at", "pk")[:UPCOMING]), qs.count()


def _findings(user, year: int) -> tuple[list[OrgFindings], str]:
    """Per organization the user reads at the top of their scope: the subtree's red and amber
    counts and the children that carry them (worst first)."""
    scope = scope_for(user)
    roots = list(Organization.objects.filter(path__in=scope.paths.get(Action.READ, [])))
    out = []
    for org in sorted(roots, key=lambda o: o.path):
        try:
            report = compliance.cached_report(org, year)
        except PackError as exc:
            return [], str(exc)
        rollups = report.top_rollups
        total = rollups[report.root.id]
        children = []
        for info in report.children(report.root):
            r = rollups.get(info.id)
            if r is not None and (r.tally[0] or r.tally[1]):
                children.append((info, r.tally[0], r.tally[1]))
        children.sort(key=lambda c: (-c[1], -c[2], c[0].path))
        out.append(OrgFindings(org, total.tally[0], total.tally[1], children[:FINDING_ORGS]))
    return out, ""


BRANCH_KINDS = (OrgKind.BRANCH, OrgKind.GENERAL_BRANCH)


def _branch_gaps(user, today: dt.date) -> tuple[list[tuple[Any, str]], int]:
    """Branches below the user's own organizations with no secretary in office today or whose
    term has ended (two queries). A branch's own secretary is not told about their own branch:
    the level above acts on it."""
    scope = scope_for(user)
    paths = scope.paths.get(Action.READ, [])
    below = Q(pk__in=[])
    for path in paths:
        below |= Q(path__startswith=path, depth__gt=len(path) // Organization.steplen)
    branches = Organization.objects.filter(below, kind__in=BRANCH_KINDS)
    with_secretary = Post.objects.filter(kind=PostKind.SECRETARY, started_on__lte=today).exclude(
        ended_on__lt=today
    )
    gaps = list(
        branches.filter(
            ~Q(pk__in=with_secretary.values("organization_id")) | Q(term_ends_on__lt=today)
        )
        .order_by("path")
        .values_list("pk", "name", "term_ends_on")[: FINDING_ORGS + 1]
    )
    count = len(gaps)
    if count > FINDING_ORGS:
        count = branches.filter(
            ~Q(pk__in=with_secretary.values("organization_id")) | Q(term_ends_on__lt=today)
        ).count()
    out = []
    for pk, name, ends in gaps[:FINDING_ORGS]:
        reason = f"任期已于{cn_date(ends)}届满" if ends and ends < today else "无在任书记"
        out.append(((pk, name), reason))
    return out, count


def _admin_links(roles: set[str]) -> list[tuple[str, str]]:
    links = []
    if Role.SYSADMIN in roles:
        links += [("用户与角色", "accounts:users"), ("授权审批", "accounts:grants")]
    if Role.SECADMIN in roles:
        links += [("账号锁定", "accounts:lockouts"), ("授权审批", "accounts:grants")]
        links += [("双因素认证", "accounts:two_factor_admin")]
    if Role.AUDITOR in roles:
        links += [("审计日志", "audit:list"), ("审计链校验", "audit:verify")]
    seen: set[str] = set()
    return [(label, name) for label, name in links if not (name in seen or seen.add(name))]


def desk_for(user) -> Desk:
    """The work desk of this user: to-dos, unread notices, and by role their meetings and study
    hours (a member), their organizations' findings (who reads organizations), admin links."""
    scope = scope_for(user)
    today = clock.today()
    counts = action_counts(user)
    desk = Desk(
        counts=counts,
        todo=_todo(user, counts),
        notices=list(notices_for(user, unread_only=True)[:NOTICES]),
        year=today.year,
    )
    desk.upcoming, desk.study = _upcoming(user, today)
    desk.to_record, desk.to_record_count = _to_record(user)
    if scope.paths.get(Action.READ):
        desk.leads = True
        desk.findings, desk.findings_error = _findings(user, today.year)
        desk.branch_gaps, desk.branch_gaps_count = _branch_gaps(user, today)
    desk.admin_links = _admin_links(scope.roles)
    return desk
