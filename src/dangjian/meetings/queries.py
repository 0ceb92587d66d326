"""Reads of meetings, always scoped to what the user may see.

A meeting is visible where its organization is (the roles' subtrees); an ordinary member sees
the meetings they are expected at: the ones they have an attendance record for, and the planned
ones their organization holds for them (their branch, their party group, the committees they sit
on). Who is expected by default is decided once, in `default_attendees` and its mirror
`_expected_meeting_q`, which the tests hold to agree. A planner may replace the default with a
list of their own (`ExpectedAttendee` rows); both sides read that list first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from dangjian.accounts.access import Action, scope_for
from dangjian.meetings.models import (
    Attendance,
    AttendanceStatus,
    ExpectedAttendee,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
)
from dangjian.members import history
from dangjian.members.access import visible_members
from dangjian.members.models import Member, MemberStatus
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, OrgKind, Post
from dangjian.regulations.periods import TZ

# Organizations that hold meetings on this platform, and the kinds each may hold.
MEETING_ORG_KINDS: dict[str, tuple[str, ...]] = {
    OrgKind.BRANCH: (
        MeetingKind.GENERAL_MEETING,
        MeetingKind.COMMITTEE_MEETING,
        MeetingKind.PARTY_LECTURE,
        MeetingKind.THEME_DAY,
        MeetingKind.ORG_LIFE_MEETING,
        MeetingKind.MEMBER_APPRAISAL,
        MeetingKind.HEART_TO_HEART_TALK,
    ),
    OrgKind.PARTY_GROUP: (
        MeetingKind.GROUP_MEETING,
        MeetingKind.PARTY_LECTURE,
        MeetingKind.ORG_LIFE_MEETING,
        MeetingKind.HEART_TO_HEART_TALK,
    ),
    OrgKind.ORGAN_COMMITTEE: (
        MeetingKind.COMMITTEE_MEETING,
        MeetingKind.PARTY_LECTURE,
        MeetingKind.CENTRAL_GROUP_STUDY,
        MeetingKind.HEART_TO_HEART_TALK,
    ),
    # A 党组 (部门党组（党委）): its members' 民主生活会 and its secretary's 党课 (issue 12).
    OrgKind.LEADING_GROUP: (
        MeetingKind.DEMOCRATIC_LIFE_MEETING,
        MeetingKind.PARTY_LECTURE,
    ),
}

# Organizations whose meetings are attended by their seats (书记, 委员…), not by members they
# hold: an organ committee and a 党组 hold no members of their own.
SEATED_ORG_KINDS = frozenset({OrgKind.ORGAN_COMMITTEE, OrgKind.LEADING_GROUP})


def _committee_seat_q(org_id: int) -> Q:
    """Members holding a current committee seat (书记, 委员…) in the organization."""
    seats = Post.objects.filter(
        organization_id=org_id,
        member=OuterRef("pk"),
        ended_on__isnull=True,
        kind__in=COMMITTEE_POSTS,
    )
    return Q(Exists(seats))


def _default_rule(org: Organization, kind: str) -> str:
    """Which rule decides the default attendees of a `kind` meeting held by `org`."""
    if org.kind == OrgKind.PARTY_GROUP:
        return "group"
    if org.kind == OrgKind.ORGAN_COMMITTEE:
        return "subtree" if kind == MeetingKind.PARTY_LECTURE else "seats"
    if org.kind == OrgKind.LEADING_GROUP:
        # The 民主生活会's 应到 is the 党组's members (dlm_scope: 党组成员); the secretary's 党课
        # is for the cadres the planner names, the 党组 by default.
        return "seats"
    return "seats" if kind == MeetingKind.COMMITTEE_MEETING else "members"


def default_attendees(org: Organization, kind: str) -> QuerySet[Member]:
    """Who is expected at a meeting of `kind` held by `org`, unless the planner chose otherwise.

    A party group: its group members. A branch: the members whose organization is the branch,
    or its committee for a 支委会. An organ committee: its committee, or every member of its
    subtree for a 党课. A 党组: its members (the seats: 书记, 副书记, 成员).
    """
    rule = _default_rule(org, kind)
    qs = Member.objects.all()
    if rule == "group":
        return qs.filter(party_group=org)
    if rule == "subtree":
        return qs.filter(organization__path__startswith=org.path)
    if rule == "seats":
        return qs.filter(_committee_seat_q(org.pk))
    return qs.filter(organization=org)


def default_attendee_ids(org: Organization) -> dict[str, set[int]]:
    """The default attendees of every kind `org` may hold, by kind (one query per rule)."""
    by_rule: dict[str, set[int]] = {}
    out: dict[str, set[int]] = {}
    for kind in MEETING_ORG_KINDS.get(org.kind, ()):
        rule = _default_rule(org, kind)
        if rule not in by_rule:
            by_rule[rule] = set(default_attendees(org, kind).values_list("pk", flat=True))
        out[kind] = by_rule[rule]
    return out


def expected_attendees(meeting: Meeting) -> QuerySet[Member]:
    """The attendees of a meeting: its attendance record once held; before, the list its
    planner chose, or the default list when they chose none.

    Before the record, members who checked in by QR code are expected by definition (they were
    let in as expected); after it, the record is history and does not follow later transfers.
    """
    recorded = Member.objects.filter(attendance__meeting=meeting)
    if meeting.status == MeetingStatus.HELD:
        return recorded
    chosen = ExpectedAttendee.objects.filter(meeting=meeting)
    default = default_attendees(meeting.organization, meeting.kind)
    # One query whichever list applies: the default counts only when no list was chosen.
    return Member.objects.filter(
        Q(pk__in=chosen.values("member_id"))
        | (~Q(Exists(chosen)) & Q(pk__in=default.values("pk")))
        | Q(pk__in=recorded.values("pk"))
    )


# Meetings whose quorum the regulations fix: 第十一条 (党员大会) and 第十二条 (支委会).
QUORUM_KINDS = frozenset({MeetingKind.GENERAL_MEETING, MeetingKind.COMMITTEE_MEETING})


def meeting_day(meeting: Meeting) -> dt.date:
    """The day a meeting is (or was) held, in China."""
    return meeting.held_on or meeting.starts_at.astimezone(TZ).date()


def entitled_voters(meeting: Meeting, day: dt.date | None = None) -> QuerySet[Member]:
    """Who the quorum and the votes of a meeting count against, on its day (or `day`), from
    the membership history, whatever the planner's expected list says.

    A 党员大会: the full members of the organization (有表决权的党员, 第十一条), probationary
    members and guests excluded, members on leave included. A 支委会: the 委员 seated that day
    (第十二条: 半数以上委员到会), and only they. Other kinds: nobody (no quorum).
    """
    day = day or meeting_day(meeting)
    org = meeting.organization
    if meeting.kind == MeetingKind.COMMITTEE_MEETING:
        return Member.objects.filter(pk__in=history.committee_on(org, day).values("member_id"))
    if meeting.kind == MeetingKind.GENERAL_MEETING:
        return history.members_on(org, day, MemberStatus.FULL)
    return Member.objects.none()


def _expected_meeting_parts(member: Member) -> list[Q]:
    """Meetings `member` is expected at (mirrors `expected_attendees` from the member's side),
    as disjoint-enough parts whose OR is the whole: each part is selective on its own index
    (the member's attendance rows, the member's list rows, a few organizations), so a list
    can ask the parts one by one and take their UNION instead of testing every meeting."""
    attended = Q(pk__in=Attendance.objects.filter(member=member).values("meeting_id"))
    # The lists the member is on: one uncorrelated subquery (the member's rows, by index); each
    # meeting is then only asked whether it has a list when the default would expect them.
    listed = Q(pk__in=ExpectedAttendee.objects.filter(member=member).values("meeting_id"))
    chosen = Q(Exists(ExpectedAttendee.objects.filter(meeting=OuterRef("pk"))))
    branch = member.organization
    seats = list(
        Post.objects.filter(
            member=member, ended_on__isnull=True, kind__in=COMMITTEE_POSTS
        ).values_list("organization_id", flat=True)
    )
    ancestors = [
        branch.path[:end] for end in range(branch.steplen, len(branch.path) + 1, branch.steplen)
    ]
    by_default = Q(organization_id=branch.pk) & ~Q(kind=MeetingKind.COMMITTEE_MEETING)
    if member.party_group_id:
        by_default |= Q(organization_id=member.party_group_id)
    if seats:
        by_default |= Q(organization_id__in=seats, organization__kind=OrgKind.BRANCH) & Q(
            kind=MeetingKind.COMMITTEE_MEETING
        )
        by_default |= Q(organization_id__in=seats, organization__kind=OrgKind.ORGAN_COMMITTEE) & ~Q(
            kind=MeetingKind.PARTY_LECTURE
        )
        by_default |= Q(organization_id__in=seats, organization__kind=OrgKind.LEADING_GROUP)
    lectures = Q(
        organization__kind=OrgKind.ORGAN_COMMITTEE,
        organization__path__in=ancestors,
        kind=MeetingKind.PARTY_LECTURE,
    )
    not_held = ~Q(status=MeetingStatus.HELD)
    return [
        attended,
        not_held & listed,
        not_held & by_default & ~chosen,
        not_held & lectures & ~chosen,
    ]


def _expected_meeting_q(member: Member) -> Q:
    """Meetings `member` is expected at: the OR of `_expected_meeting_parts`."""
    q = Q(pk__in=[])
    for part in _expected_meeting_parts(member):
        q |= part
    return q


def attendee_candidates(user, org: Organization) -> QuerySet[Member]:
    """The members a planner may tick as expected at a meeting of `org`: those the user may see
    in the organization's part of the tree (a party group's: its branch, for joint meetings),
    and everyone a default list of `org` holds."""
    home = org.path[: -org.steplen] if org.kind == OrgKind.PARTY_GROUP else org.path
    q = Q(pk__in=visible_members(user).filter(organization__path__startswith=home).values("pk"))
    rules: set[str] = set()
    for kind in MEETING_ORG_KINDS.get(org.kind, ()):
        rule = _default_rule(org, kind)
        if rule not in rules:
            rules.add(rule)
            q |= Q(pk__in=default_attendees(org, kind).values("pk"))
    return Member.objects.filter(q).select_related("party_group").order_by("name_pinyin", "pk")


def own_member(user) -> Member | None:
    """The user's own member record, fetched once per user object."""
    member_id = scope_for(user).own_member_id
    if not member_id:
        return None
    cached = getattr(user, "_dangjianown_member", None)
    if cached is None or cached.pk != member_id:
        cached = Member.objects.select_related("organization").filter(pk=member_id).first()
        user._dangjianown_member = cached
    return cached


def visible_meetings(user, action: Action = Action.READ) -> QuerySet[Meeting]:
    """Meetings in the user's scope for `action`; for reading, also the user's own meetings."""
    scope = scope_for(user)
    q = scope.org_q(action, prefix="organization__")
    if action == Action.READ:
        member = own_member(user)
        if member is not None:
            q |= _expected_meeting_q(member)
    return Meeting.objects.filter(q)


def is_expected(meeting: Meeting, member: Member) -> bool:
    return expected_attendees(meeting).filter(pk=member.pk).exists()


def get_meeting_for_user(user, pk, action: Action = Action.READ) -> Meeting:
    """The meeting for this user: 404 outside the read scope, 403 when `action` is denied.

    An ordinary member may read the meetings they are expected at; any other action on them
    (recording, approving leave) is a 403.
    """
    try:
        meeting = Meeting.objects.select_related("organization", "host", "recorder").get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404("会议不存在") from None
    scope = scope_for(user)
    if scope.covers(meeting.organization.path, Action.READ):
        if action != Action.READ and not scope.covers(meeting.organization.path, action):
            raise PermissionDenied("您对该会议没有此操作权限")
        return meeting
    member = own_member(user)
    if member is not None and visible_meetings(user).filter(pk=meeting.pk).exists():
        if action != Action.READ:
            raise PermissionDenied("您对该会议没有此操作权限")
        return meeting
    raise Http404("会议不存在")


def can_manage(user, meeting: Meeting) -> bool:
    """Whether the user may record, cancel and approve leave for the meeting."""
    return scope_for(user).covers(meeting.organization.path, Action.WRITE)


def can_read_records(user, meeting: Meeting) -> bool:
    """Whether the user sees everyone's attendance and the attachments (not just their own)."""
    return scope_for(user).covers(meeting.organization.path, Action.READ)


# ---- lists ---------------------------------------------------------------------------------


def local_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=TZ)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    first = dt.date(year, month, 1)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return local_start(first), local_start(following)


@dataclass
class MeetingFilter:
    org: Organization | None = None
    kind: str = ""
    status: str = ""
    year: int | None = None
    month: int | None = None


def meeting_list(user, flt: MeetingFilter) -> QuerySet[Meeting]:
    """The meetings `user` may read, filtered, in calendar order.

    Visibility is an OR of a scope (organization subtrees) and, for a member, the meetings they
    are expected at. An OR across those makes the database test every meeting of the year; so
    each part is asked on its own, with the filters pushed into it (each then runs on its own
    index), and the list is the UNION of their ids: one query, whatever the tree's size.
    """
    filters = Q()
    if flt.org is not None:
        filters &= Q(organization__path__startswith=flt.org.path)
    if flt.kind:
        filters &= Q(kind=flt.kind)
    if flt.status:
        filters &= Q(status=flt.status)
    if flt.year and flt.month:
        start, end = month_bounds(flt.year, flt.month)
        filters &= Q(starts_at__gte=start, starts_at__lt=end)
    elif flt.year:
        filters &= Q(
            starts_at__gte=local_start(dt.date(flt.year, 1, 1)),
            starts_at__lt=local_start(dt.date(flt.year + 1, 1, 1)),
        )
    scope = scope_for(user)
    # The scope's organizations first, then their meetings by the organization index: a path
    # LIKE through the join made SQLite read every meeting of the year (77 ms for one branch's
    # secretary on the province, 2 ms this way).
    parts = (
        [Q(organization_id__in=Organization.objects.filter(scope.org_q(Action.READ)).values("pk"))]
        if scope.paths.get(Action.READ)
        else []
    )
    member = own_member(user)
    if member is not None:
        parts += _expected_meeting_parts(member)
    if not parts:
        ids = Meeting.objects.none().values("pk")
    else:
        queries = [Meeting.objects.filter(part & filters).values("pk") for part in parts]
        ids = queries[0].union(*queries[1:]) if len(queries) > 1 else queries[0]
    qs = Meeting.objects.filter(pk__in=ids).select_related("organization", "host")
    return qs.order_by("starts_at", "pk")


def default_org(user) -> Organization | None:
    """The organization a calendar opens on: the user's single writable one, else the first
    readable one (a secretary lands on their branch, a 机关党委 officer on the committee)."""
    scope = scope_for(user)
    for action in (Action.WRITE, Action.READ):
        paths = scope.paths.get(action, [])
        if paths:
            return Organization.objects.filter(path=paths[0]).first()
    return None


# ---- the record page -----------------------------------------------------------------------


@dataclass
class SheetRow:
    member: Member
    status: str  # present, checked_in, on_leave or absent
    reason: str
    checked_in: bool
    leave: LeaveRequest | None

    @property
    def choice(self) -> str:
        """The value of the row's radio: checked in counts as 出席 on the sheet."""
        return (
            AttendanceStatus.PRESENT if self.status == AttendanceStatus.CHECKED_IN else self.status
        )

    @property
    def voting(self) -> bool:
        return self.member.status == MemberStatus.FULL


def mark_voters(meeting: Meeting, rows: list[SheetRow]) -> int:
    """Mark the sheet's rows that count for the quorum and return how many people do: those the
    regulations name on the meeting's day (`entitled_voters`), not the rows of the sheet."""
    entitled: set[int] = set()
    if meeting.kind in QUORUM_KINDS:
        entitled = set(entitled_voters(meeting).values_list("pk", flat=True))
    for row in rows:
        row.entitled = row.member.pk in entitled
    return len(entitled)


def attendance_sheet(meeting: Meeting) -> list[SheetRow]:
    """One row per expected attendee with what the sheet starts from: the saved record; before
    it, a QR check-in, else an approved leave request (请假 with its reason), else 出席."""
    members = list(expected_attendees(meeting).order_by("name_pinyin", "pk"))
    saved = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    leaves = {lr.member_id: lr for lr in LeaveRequest.objects.filter(meeting=meeting)}
    rows = []
    for member in members:
        record = saved.get(member.pk)
        leave = leaves.get(member.pk)
        if record is not None and (
            meeting.status == MeetingStatus.HELD or record.status == AttendanceStatus.CHECKED_IN
        ):
            status, reason = record.status, record.reason
        elif leave is not None and leave.status == LeaveStatus.APPROVED:
            status, reason = AttendanceStatus.ON_LEAVE, leave.reason
        else:
            status, reason = AttendanceStatus.PRESENT, ""
        rows.append(
            SheetRow(
                member=member,
                status=status,
                reason=reason,
                checked_in=record is not None and record.status == AttendanceStatus.CHECKED_IN,
                leave=leave,
            )
        )
    return rows


# ---- a member's own page -------------------------------------------------------------------


def upcoming_for_member(member: Member, today: dt.date) -> QuerySet[Meeting]:
    """The planned meetings from `today` on that `member` is expected at: each part of
    `_expected_meeting_parts` asked on its own and their UNION taken, as the meetings list does.
    One OR of the parts tested every planned meeting of the province from today (16,500 on the
    province demo: 16-22 ms on PostgreSQL for each member's home and meetings page)."""
    window = Q(status=MeetingStatus.PLANNED, starts_at__gte=local_start(today))
    parts = [
        Meeting.objects.filter(part & window).order_by().values("pk")
        for part in _expected_meeting_parts(member)
    ]
    return (
        Meeting.objects.filter(pk__in=parts[0].union(*parts[1:]))
        .select_related("organization")
        .order_by("starts_at", "pk")
    )


def leave_requests_of(member: Member) -> QuerySet[LeaveRequest]:
    return (
        LeaveRequest.objects.filter(member=member)
        .select_related("meeting", "meeting__organization")
        .order_by("-meeting__starts_at", "-pk")
    )


def attendance_history(member: Member) -> QuerySet[Attendance]:
    return (
        Attendance.objects.filter(member=member, meeting__status=MeetingStatus.HELD)
        .select_related("meeting", "meeting__organization")
        .order_by("-meeting__held_on", "-meeting__starts_at")
    )
