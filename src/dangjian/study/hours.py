"""Study hours (学时) reads: from attendance and completed trainings only, always scoped.

Who sees what (issue 13, docs/study.md):
- a member: their own hours and the sessions behind them;
- a branch's secretary and committee (roles bound to the branch): the branch's members in
  roster order with 达标/未达标, and each member's sessions; never sorted by hours;
- the levels above: counts and coverage, and the names only of cadres (secretaries and
  committee members), for training planning.

Every figure is a fixed number of queries whatever the number of members or sessions: the
hours are summed by the database per member (one query for meetings, one for trainings, one
for external trainings) and the requirement is worked out in Python by regulations/study.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Round, Substr

from dangjian.accounts.access import Action, scope_for
from dangjian.accounts.models import Role, RoleAssignment
from dangjian.meetings.models import ATTENDED, Attendance, Meeting, MeetingStatus
from dangjian.meetings.packs import rules_in_force
from dangjian.members.models import Member
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, OrgKind, Post, PostKind
from dangjian.regulations import study as rules
from dangjian.study.models import (
    CONCENTRATED_KINDS,
    ExternalStatus,
    ExternalTraining,
    MeetingMaterial,
    Participant,
)

ROSTER_ORDER = ("organization__path", "name_pinyin", "pk")
BRANCH_ROLES = (Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE)
HOURS = DecimalField(max_digits=7, decimal_places=1)


def params() -> rules.StudyParams:
    return rules_in_force().study


# ---- sums -----------------------------------------------------------------------------------


def _attendance(members, year: int, p: rules.StudyParams) -> QuerySet:
    """Present attendance at held meetings of the year that count as study, with `hours`."""
    start, end = rules.year_bounds(year)
    default = Case(
        *(When(meeting__kind=k, then=Value(h)) for k, h in p.kind_hours.items()),
        default=Value(Decimal(0)),
        output_field=HOURS,
    )
    qs = Attendance.objects.filter(
        member__in=members,
        status__in=list(ATTENDED),
        meeting__status=MeetingStatus.HELD,
        meeting__kind__in=list(p.kind_hours),
        meeting__starts_at__gte=start,
        meeting__starts_at__lt=end,
    )
    if p.kinds_needing_topic:
        studied = MeetingMaterial.objects.filter(meeting=OuterRef("meeting"))
        qs = qs.annotate(studied=Exists(studied)).filter(
            ~Q(meeting__kind__in=list(p.kinds_needing_topic))
            | Q(studied=True)
            | Q(meeting__study_hours__isnull=False)
        )
    return qs.annotate(hours=Coalesce("meeting__study_hours__hours", default, output_field=HOURS))


def _counted_meetings(year: int, p: rules.StudyParams) -> QuerySet:
    """The held meetings of the year that count as study (with a topic where one is needed)."""
    start, end = rules.year_bounds(year)
    counted = Meeting.objects.filter(
        status=MeetingStatus.HELD,
        kind__in=list(p.kind_hours),
        starts_at__gte=start,
        starts_at__lt=end,
    )
    if p.kinds_needing_topic:
        counted = counted.filter(
            ~Q(kind__in=list(p.kinds_needing_topic))
            | Q(pk__in=MeetingMaterial.objects.values("meeting_id"))
            | Q(study_hours__isnull=False)
        )
    return counted


def _meeting_tenths(p: rules.StudyParams) -> Cast:
    """A meeting's study hours in whole tenths: its own figure, or its kind's default."""
    default = Case(
        *(When(kind=k, then=Value(h)) for k, h in p.kind_hours.items()),
        default=Value(Decimal(0)),
        output_field=HOURS,
    )
    return Cast(
        Round(Coalesce("study_hours__hours", default, output_field=HOURS) * 10), IntegerField()
    )


def _tenths_by_member(members, year: int, p: rules.StudyParams) -> QuerySet:
    """Whole tenths of an hour per member id, driven from these members' attendance rows (the
    `(member, status)` index), each row's meeting judged by its primary key in a correlated
    subquery. Joined to the meetings instead, SQLite's planner walks every counted meeting of
    the year (0.3–1.5 s for one branch at province scale, against about 1 ms). For many
    members, `attended_tenths` reads the year's counted meetings instead."""
    tenths = _meeting_tenths(p)
    per_meeting = (
        _counted_meetings(year, p)
        .filter(pk=OuterRef("meeting_id"))
        .annotate(tenths=tenths)
        .values("tenths")[:1]
    )
    return (
        Attendance.objects.filter(member__in=members, status__in=list(ATTENDED))
        .annotate(tenths=Subquery(per_meeting))
        .filter(tenths__isnull=False)
        .values("member_id")
        .annotate(t=Sum("tenths"))
        .values_list("member_id", "t")
    )


def plain_rows(qs: QuerySet) -> list[tuple]:
    """The rows of a `values_list` queryset through a plain cursor: no Django converter per
    row (a whole tree is 60,000 members); the caller reads only integers and ISO text."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def attended_tenths(year: int, p: rules.StudyParams, members=None) -> dict[int, int]:
    """Whole tenths of an hour per member id (one query): of `members` (`_tenths_by_member`),
    or of everyone who attended a counted meeting of the year (the caller keeps its members).

    For everyone: for a subtree holding most of the members, reading the year's counted
    meetings and their attendance rows is an order of magnitude faster than walking every
    member's rows of every year. Each counted meeting's tenths are worked out once, in a
    derived table, and joined to its attendance rows, summed per member: joining the meetings
    and their hours to each attendance row instead cost a quarter more on SQLite at province
    scale. Read through a plain cursor: the sums arrive as integers (MariaDB's SUM is a
    decimal: made an int)."""
    if members is not None:
        return {m: int(t) for m, t in _tenths_by_member(members, year, p)}
    tenths = _meeting_tenths(p)
    meetings = (
        _counted_meetings(year, p)
        .order_by()
        .annotate(counted_id=F("pk"), tenths=tenths)
        .values_list("counted_id", "tenths")
    )
    inner, params = meetings.query.sql_with_params()
    qn = connection.ops.quote_name
    member, meeting, status = (
        qn(Attendance._meta.get_field(f).column) for f in ("member", "meeting", "status")
    )
    attended = sorted(ATTENDED)
    # Model names, Django's compiled subquery and placeholders only: values go as parameters.
    sql = (
        f"SELECT a.{member}, SUM(m.{qn('tenths')}) FROM ({inner}) m"  # noqa: S608
        f" INNER JOIN {qn(Attendance._meta.db_table)} a ON a.{meeting} = m.{qn('counted_id')}"
        f" WHERE a.{status} IN ({', '.join(['%s'] * len(attended))}) GROUP BY a.{member}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, *attended))
        return {member_id: int(total or 0) for member_id, total in cursor.fetchall()}


def _of(qs: QuerySet, members) -> QuerySet:
    """`qs` for these members; None: for everyone (the caller keeps its members). A whole
    tree's members as a subquery cost each small read the subquery's 60,000 rows."""
    return qs if members is None else qs.filter(member__in=members)


def _participations(members, year: int) -> QuerySet:
    return _of(
        Participant.objects.filter(
            completed=True, training__completed_at__isnull=False, training__ends_on__year=year
        ),
        members,
    )


def _externals(members, year: int) -> QuerySet:
    return _of(
        ExternalTraining.objects.filter(status=ExternalStatus.APPROVED, ends_on__year=year),
        members,
    )


@dataclass
class Totals:
    hours: Decimal = Decimal(0)
    trainings: int = 0  # concentrated trainings completed


# Above this many members, a subtree's attendance is read from the year's meetings
# (`attended_tenths`) rather than member by member.
BULK_MEMBERS = 5000


class Judge:
    """The year's requirement and status of many members, each distinct input worked out once.

    Both rules are pure and most members share their inputs (a province is 60,000 members and
    a few hundred distinct admission months), so the subtree pages and the findings column ask
    one `Judge` per year. The requirement depends on the admission's month within the year only
    (`rules.months_in_year`): everyone admitted before the year shares one key.
    """

    _NONE = Totals()

    def __init__(self, year: int) -> None:
        self.year = year
        self._first = dt.date(year, 1, 1)
        self._last = dt.date(year, 12, 31)
        self._reqs: dict[tuple, rules.StudyRequirement] = {}
        self._statuses: dict[tuple, rules.StudyStatus] = {}

    def admission_key(self, admitted_on: dt.date | None) -> dt.date | None:
        """What of the admission day the requirement depends on: None before the year, the
        month's first day within it, the day itself after it."""
        if admitted_on is not None:
            if admitted_on < self._first:
                return None
            if admitted_on <= self._last:
                return admitted_on.replace(day=1)
        return admitted_on

    def __call__(
        self, admitted_on: dt.date | None, cadre_months: int, got: Totals | None
    ) -> tuple[rules.StudyRequirement, rules.StudyStatus]:
        admitted_on = self.admission_key(admitted_on)
        key = (admitted_on, cadre_months)
        req = self._reqs.get(key)
        if req is None:
            req = self._reqs[key] = rules.requirement_for(
                self.year, admitted_on=admitted_on, cadre_months=cadre_months
            )
        got = got or self._NONE
        vkey = (got.hours, got.trainings, req)
        status = self._statuses.get(vkey)
        if status is None:
            status = self._statuses[vkey] = rules.status_for(got.hours, req, got.trainings)
        return req, status


def totals(members, year: int, *, only: set[int] | None = None) -> dict[int, Totals]:
    """Hours and concentrated trainings per member id: three queries for any number.

    `only`: the ids of `members`, when there are many (over BULK_MEMBERS): the attendance is
    then summed for everyone from the year's meetings and these members kept."""
    p = params()
    out: dict[int, Totals] = defaultdict(Totals)
    # Summed as whole tenths of an hour (every figure has one decimal place at most), so the
    # tens of thousands of rows of a whole tree come back as plain integers: no Decimal
    # conversion per row, and exactly the same sums.
    summed = attended_tenths(year, p, members if only is None else None)
    as_hours: dict[int, Decimal] = {}
    for member_id, total in summed.items():
        if only is None or member_id in only:
            out[member_id].hours += tenths_as_hours(total, as_hours)
    for member_id, extra in training_totals(members, year).items():
        out[member_id].hours += extra.hours
        out[member_id].trainings += extra.trainings
    return out


def tenths_as_hours(total: int | None, memo: dict[int, Decimal]) -> Decimal | int:
    """80 -> Decimal("8.0"), as a decimal column's sum reads (each distinct total made once)."""
    if not total:
        return 0
    value = memo.get(total)
    if value is None:
        value = memo[total] = Decimal(total).scaleb(-1)
    return value


def training_totals(members, year: int) -> dict[int, Totals]:
    """Hours and concentrated trainings per member id from completed trainings and approved
    external trainings (two queries; the members who have any; `members` None: everyone's)."""
    out: dict[int, Totals] = defaultdict(Totals)
    concentrated = Count("pk", filter=Q(training__kind__in=list(CONCENTRATED_KINDS)))
    for row in (
        _participations(members, year)
        .values("member_id")
        .annotate(total=Sum("training__hours"), concentrated=concentrated)
    ):
        out[row["member_id"]].hours += row["total"] or 0
        out[row["member_id"]].trainings += row["concentrated"]
    for row in (
        _externals(members, year)
        .values("member_id")
        .annotate(total=Sum("hours"), concentrated=Count("pk", filter=Q(concentrated=True)))
    ):
        out[row["member_id"]].hours += row["total"] or 0
        out[row["member_id"]].trainings += row["concentrated"]
    return dict(out)


def _committee_posts(members, year: int) -> QuerySet[Post]:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return _of(
        Post.objects.filter(kind__in=list(COMMITTEE_POSTS), started_on__lte=end).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=start)
        ),
        members,
    )


def _month_of(field: str) -> Cast:
    """The month number (1–12) of a date column: CAST(date AS text) is YYYY-MM-DD on SQLite,
    PostgreSQL and MariaDB alike."""
    return Cast(Substr(Cast(field, CharField(max_length=10)), 6, 2), IntegerField())


def cadre_months(members, year: int) -> dict[int, int]:
    """Months of the year each member held a committee post (one query; `members` None:
    everyone's, a few tens of thousands of posts at province scale).

    `rules.months_in_year` of each post, with the months read by the database: a post the
    query keeps overlaps the year, so it runs from January when it started before the year (or
    from its start's month) to December when it is open or ends after the year (or to its end's
    month). No date per post crosses into Python."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    posts = (
        _committee_posts(members, year)
        .order_by()
        .annotate(
            from_month=Case(
                When(started_on__lt=first, then=Value(1)), default=_month_of("started_on")
            ),
            to_month=Case(
                When(Q(ended_on__isnull=True) | Q(ended_on__gt=last), then=Value(12)),
                default=_month_of("ended_on"),
            ),
        )
        .values_list("member_id", "from_month", "to_month")
    )
    out: dict[int, int] = {}
    for member_id, from_month, to_month in plain_rows(posts):
        months = to_month - from_month + 1
        if months > out.get(member_id, 0):
            out[member_id] = months
    return out


@dataclass
class MemberStatus:
    member: Member
    requirement: rules.StudyRequirement
    status: rules.StudyStatus

    @property
    def cadre(self) -> bool:
        return self.requirement.cadre


def statuses(members: QuerySet[Member], year: int) -> list[MemberStatus]:
    """Each member's status for the year, in the order of `members` (five queries)."""
    people = list(members)
    # The members as a subquery, not a list of ids: a province has more members than SQLite
    # allows parameters in one statement.
    ids = members.order_by().values("pk")
    sums = totals(ids, year)
    months = cadre_months(ids, year)
    out = []
    for member in people:
        req = rules.requirement_for(
            year, admitted_on=member.admitted_on, cadre_months=months.get(member.pk, 0)
        )
        got = sums.get(member.pk, Totals())
        out.append(MemberStatus(member, req, rules.status_for(got.hours, req, got.trainings)))
    return out


# ---- access ---------------------------------------------------------------------------------


def _branch_role_orgs(user) -> set[int]:
    if user is None or not user.is_authenticated:
        return set()
    cached = getattr(user, "_study_branch_orgs", None)
    if cached is None:
        cached = set(
            RoleAssignment.objects.filter(user=user, role__in=BRANCH_ROLES).values_list(
                "organization_id", flat=True
            )
        )
        user._study_branch_orgs = cached
    return cached


def can_see_member_hours(user, member: Member) -> bool:
    """A member's own hours, or a member of a branch the user serves on (secretary, 支委)."""
    if member.pk == scope_for(user).own_member_id:
        return True
    return member.organization_id in _branch_role_orgs(user)


def require_member_hours(user, member: Member) -> None:
    if not can_see_member_hours(user, member):
        raise PermissionDenied("只有本人和所在支部的书记、支委可以查看个人学时")


@dataclass
class Session:
    day: dt.date
    kind: str
    title: str
    hours: Decimal
    source: str  # meeting | training | external


def sessions(member: Member, year: int) -> list[Session]:
    """The sessions behind a member's hours, by date (three queries)."""
    p = params()
    out = [
        Session(
            row.meeting.starts_at.astimezone(rules.BEIJING).date(),
            row.meeting.get_kind_display(),
            row.meeting.topic,
            row.hours,
            "meeting",
        )
        for row in _attendance([member.pk], year, p).select_related("meeting")
    ]
    for part in _participations([member.pk], year).select_related("training"):
        t = part.training
        out.append(Session(t.ends_on, t.get_kind_display(), t.title, t.hours, "training"))
    for ext in _externals([member.pk], year):
        label = "外部培训（集中）" if ext.concentrated else "外部培训"
        out.append(Session(ext.ends_on, label, ext.title, ext.hours, "external"))
    out.sort(key=lambda s: s.day)
    return out


def member_status(member: Member, year: int) -> MemberStatus:
    return statuses(Member.objects.filter(pk=member.pk), year)[0]


# ---- a branch and the levels above ------------------------------------------------------------


def can_see_roster(user, org: Organization) -> bool:
    return org.kind == OrgKind.BRANCH and org.pk in _branch_role_orgs(user)


def branch_roster(user, org: Organization, year: int) -> list[MemberStatus]:
    """The branch's members in roster order with 达标/未达标: never sorted by hours."""
    if not can_see_roster(user, org):
        raise PermissionDenied("只有本支部的书记、支委可以查看党员学时名单")
    members = Member.objects.filter(organization=org).order_by(*ROSTER_ORDER)
    return statuses(members, year)


@dataclass
class Coverage:
    members: int = 0
    members_met: int = 0
    cadres: int = 0
    cadres_met: int = 0
    cadres_trained: int = 0  # with a concentrated training this year
    secretaries: int = 0
    secretaries_inducted: int = 0  # who have had induction training (ever)


@dataclass
class CadreRow:
    """A cadre named for the levels above (training planning): no hours, no order by hours."""

    member: Member
    org: Organization | None
    posts: str
    met: bool
    trained: bool
    inducted: bool | None  # None: not a secretary


def require_coverage_reader(user, org: Organization) -> None:
    if not scope_for(user).covers(org.path, Action.READ):
        raise PermissionDenied("您不能查看该组织的学时统计")


def _subtree_statuses(
    members: QuerySet[Member], year: int
) -> list[tuple[rules.StudyRequirement, rules.StudyStatus, Member | None]]:
    """`statuses` for a subtree of any size, in the order of `members`: every member's status
    from two columns, with the Member (and its organization) only for the cadres, whom the
    levels above see by name."""
    people = list(members.values_list("pk", "admitted_on"))
    ids = members.order_by().values("pk")
    sums = totals(ids, year, only={pk for pk, _ in people} if len(people) > BULK_MEMBERS else None)
    months = cadre_months(ids, year)
    cadres = {
        m.pk: m
        for m in members.filter(
            pk__in=_committee_posts(ids, year).values("member_id")
        ).select_related("organization")
    }
    judge = Judge(year)
    out = []
    for pk, admitted_on in people:
        req, status = judge(admitted_on, months.get(pk, 0), sums.get(pk))
        out.append((req, status, cadres.get(pk)))
    return out


def coverage(user, org: Organization, year: int) -> tuple[Coverage, list[CadreRow]]:
    """Counts for the subtree of `org` and the cadres by name, in roster order."""
    require_coverage_reader(user, org)
    members = Member.objects.filter(organization__path__startswith=org.path).order_by(*ROSTER_ORDER)
    rows = _subtree_statuses(members, year)
    cov = Coverage(members=len(rows), members_met=sum(status.met for _, status, _ in rows))
    in_tree = members.order_by().values("pk")
    posts: dict[int, list[str]] = defaultdict(list)
    secretaries: set[int] = set()
    for member_id, kind, label_org in (
        Post.objects.filter(member__in=in_tree, kind__in=list(COMMITTEE_POSTS))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=dt.date(year, 1, 1)))
        .values_list("member_id", "kind", "organization__name")
    ):
        posts[member_id].append(f"{label_org}{PostKind(kind).label}")
        if kind == PostKind.SECRETARY:
            secretaries.add(member_id)
    inducted = set(
        Participant.objects.filter(
            member__in=in_tree,
            completed=True,
            training__completed_at__isnull=False,
            training__kind="induction",
        ).values_list("member_id", flat=True)
    )
    cadres = []
    for req, status, member in rows:
        if not req.cadre:
            continue
        assert member is not None  # every cadre holds a committee post in the year
        trained = status.trainings >= 1
        is_sec = member.pk in secretaries
        inducted_now = is_sec and member.pk in inducted
        cov.cadres += 1
        cov.cadres_met += status.met
        cov.cadres_trained += trained
        cov.secretaries += is_sec
        cov.secretaries_inducted += inducted_now
        cadres.append(
            CadreRow(
                member=member,
                org=member.organization,
                posts="、".join(posts.get(member.pk, [])),
                met=status.met,
                trained=trained,
                inducted=inducted_now if is_sec else None,
            )
        )
    return cov, cadres
