"""Reading: the records the findings of some organizations in a year are computed from, in a
fixed number of queries whatever the subtree's size (organizations, member counts, posts,
meetings, votes, explanations).

This is the seam for membership history: who was a member, and where, on each day of the year
is read here, and nothing after this step touches the database.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, Substr

from dangjian.meetings.findings.as_was import read_kinds
from dangjian.meetings.findings.report import _KIND, _MONTH, _ORG, Explanation, OrgInfo
from dangjian.meetings.models import (
    ATTENDED,
    Attendance,
    FindingExplanation,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Vote,
)
from dangjian.members.models import MembershipSpell, MemberStatus
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, OrgKind, Post, PostKind


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
            "quorum_base",
            "quorum_present",
        )
    )
    return qs.query.sql_with_params()


# `where(prefix)` picks the organizations to read, through the relation `prefix` leads to
# ("" for Organization itself, "organization__" for its meetings, members and posts).
Where = Callable[[str], Q]


def _subtree(prefix: str, max_depth: int | None) -> Where:
    def where(field: str) -> Q:
        q = Q(**{f"{field}path__startswith": prefix})
        return q & Q(**{f"{field}depth__lte": max_depth}) if max_depth is not None else q

    return where


def _everything(field: str) -> Q:
    """Every organization: a root's whole tree is read without a filter on the organization
    (most installations hold one tree), each row kept when its organization was read. The
    join to the organizations for their path was a tenth of the meetings read."""
    return Q()


def _only(ids: Iterable[int]) -> Where:
    ids = sorted(ids)
    return lambda field: Q(**{f"{field}id__in": ids})


@dataclass
class _Records:
    """What the findings of some organizations in a year are computed from (six queries)."""

    orgs: list[OrgInfo]
    secretaries: dict[int, list[tuple[int, str, str | None]]]
    # Per branch: (members on the period's last day, those of them in fewer 谈心谈话 than the
    # minimum, 委员 seated that day, those of them in no talk with another 委员).
    talks: dict[int, tuple[int, int, int, int]]
    by_key: dict[tuple[int, str], list[tuple]]
    votes: dict[int, list[tuple[int, int, int]]]
    explanations: dict[tuple[int, str, str], Explanation]
    # Meetings counted per organization and month (index 0 is January): the dashboard's
    # 组织生活 by month reads them from the cached report.
    meetings: dict[int, list[int]]
    where: Where  # the organizations read, for the other contributors


def month_ends(year: int, as_of: dt.date) -> list[dt.date]:
    """The day each month of `year` is read on: its last day, or `as_of` when that is earlier
    (the months after `as_of` are read on `as_of`)."""
    ends = []
    for month in range(1, 13):
        last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        ends.append(min(last, as_of))
    return ends


def _covering(day: dt.date) -> Q:
    return Q(started_on__lte=day) & (Q(ended_on__isnull=True) | Q(ended_on__gte=day))


def _count_members(where: Where, year: int, as_of: dt.date, by_id: dict[int, OrgInfo]) -> None:
    """Members and full members as they were on the period's last day (or today), from the
    membership history: a past year is judged with its own roster. One spell per member
    covers a day, so counting spells counts people.

    In the same query, the members and full members on every month's last day
    (`OrgInfo.counts_by_month`, and a branch's `full_by_month`): the monthly 支委会 binds only
    the months a branch had 7, and the committee rules are judged on every month's last day.

    The spells that cover every reading day (most of them) are only counted, per organization
    and status; the others come grouped by their dates as ISO text (CAST gives YYYY-MM-DD on
    SQLite, PostgreSQL and MariaDB), and are placed on the days they cover here: a few
    thousand groups at province scale, where a filtered count per day made the database test
    every spell against every day."""
    ends = month_ends(year, as_of)
    days = sorted(set(ends))
    texts = [day.isoformat() for day in days]
    width = len(days)
    every_day = Q(started_on__lte=days[0]) & (Q(ended_on__isnull=True) | Q(ended_on__gte=days[-1]))
    text = CharField(max_length=10)

    def dated(field: str) -> Case:
        return Case(When(every_day, then=Value(None)), default=Cast(field, text), output_field=text)

    rows = (
        MembershipSpell.objects.filter(where("organization__"), started_on__lte=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=ends[0]))
        .order_by()
        .annotate(started=dated("started_on"), ended=dated("ended_on"))
        .values("organization_id", "status", "started", "ended")
        .annotate(n=Count("id"))
        .values_list("organization_id", "status", "started", "ended", "n")
    )
    # Per organization: members on each reading day, then full members on each.
    tallies: dict[int, list[int]] = {}
    full_status = MemberStatus.FULL
    for org_id, status, started, ended, n in rows:
        tally = tallies.get(org_id)
        if tally is None:
            tally = tallies[org_id] = [0] * (2 * width)
        full = status == full_status
        if started is None:  # covers every reading day
            for i in range(width):
                tally[i] += n
                if full:
                    tally[width + i] += n
            continue
        for i, day in enumerate(texts):
            if started <= day and (ended is None or ended >= day):
                tally[i] += n
                if full:
                    tally[width + i] += n
    position = [days.index(day) for day in ends]
    for org_id, tally in tallies.items():
        org = by_id.get(org_id)
        if org is None:
            continue  # another tree's (`_everything`)
        # The last reading day is `as_of` itself.
        org.members, org.full_members = tally[width - 1], tally[2 * width - 1]
        full_by_month = tuple(tally[width + i] for i in position)
        org.counts_by_month = tuple(zip((tally[i] for i in position), full_by_month, strict=True))
        if org.kind == "branch" or "branch" in (org.kinds_by_month or ()):
            org.full_by_month = full_by_month


# The kinds held to the 机关 thresholds, which count the members of their whole subtree.
SUBTREE_COUNTED = frozenset({"organ_committee", "general_branch"})


def _count_subtrees(orgs: list[OrgInfo], complete: bool, year: int, as_of: dt.date) -> None:
    """Each 机关党委's and 总支's members over its subtree on `as_of` and on every month's last
    day (`subtree_by_month`).

    `complete`: every descendant of every organization read was read too (a subtree read to
    its leaves), so the sums come from the counts already read, without a query. Otherwise
    (an organization's own page, a cache refresh) one query counts the subtrees of those
    organizations."""
    counted = [
        o
        for o in orgs
        if o.kind in SUBTREE_COUNTED or SUBTREE_COUNTED & set(o.kinds_by_month or ())
    ]
    if not counted:
        return
    ends = month_ends(year, as_of)
    if complete:
        by_path = sorted((o.path, o.members, o.counts_by_month) for o in orgs)
        paths = [p for p, _, _ in by_path]
        for org in counted:
            start = bisect.bisect_left(paths, org.path)
            end = bisect.bisect_left(paths, org.path + "\U0010ffff")
            inside = by_path[start:end]
            org.subtree_members = sum(n for _, n, _ in inside)
            org.subtree_by_month = tuple(
                sum(monthly[i][0] for _, _, monthly in inside if monthly) for i in range(12)
            )
        return
    days = sorted(set(ends))
    position = [days.index(day) for day in ends]
    roots = Q()
    for org in counted:
        roots |= Q(organization__path__startswith=org.path)
    by_day = {f"d{i}": Count("id", filter=_covering(day)) for i, day in enumerate(days)}
    totals = list(
        MembershipSpell.objects.filter(roots, started_on__lte=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=ends[0]))
        .order_by()
        .values("organization__path")
        .annotate(**by_day)
        .values_list("organization__path", *by_day)
    )
    for org in counted:
        inside = [counts for path, *counts in totals if path.startswith(org.path)]
        per_day = [sum(c[i] for c in inside) for i in range(len(days))]
        org.subtree_members = per_day[-1]
        org.subtree_by_month = tuple(per_day[i] for i in position)


def _read_posts(
    where: Where, year: int, as_of: dt.date, by_id: dict[int, OrgInfo], *, seats: bool = True
) -> tuple[dict[int, list[tuple[int, str, str | None]]], dict[int, set[int]]]:
    """Posts held at some time in the year: the seats on the year's last day (or today) and on
    every month's last day (`seats_by_month`), by kind, into `by_id`. Returns the secretaries
    on each day (for the leader's 党课) and each branch's 委员 on `as_of`. `seats=False`: the
    secretaries only (the frequency rules need no seat).

    The dates are read as ISO text (they are only compared), and an organization whose posts
    all cover every month's last day has its seats counted once."""
    ends = month_ends(year, as_of)
    texts = [day.isoformat() for day in ends]
    first, last = texts[0], texts[-1]
    text = CharField(max_length=10)
    held: dict[int, list[tuple[int, str, str, str | None]]] = defaultdict(list)
    secretaries: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
    for org_id, member_id, kind, started, ended in (
        Post.objects.filter(where("organization__"), started_on__lte=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=dt.date(year, 1, 1)))
        .order_by()
        .annotate(started=Cast("started_on", text), ended=Cast("ended_on", text))
        .values_list("organization_id", "member_id", "kind", "started", "ended")
    ):
        if org_id not in by_id:
            continue  # another tree's (`_everything`)
        if kind in COMMITTEE_POSTS:
            held[org_id].append((member_id, kind, started, ended))
        if kind == PostKind.SECRETARY:
            secretaries[org_id].append((member_id, started, ended))
    seated: dict[int, set[int]] = {}
    if not seats:
        return secretaries, seated
    for org_id, posts in held.items():
        org = by_id[org_id]
        if all(s <= first and (e is None or e >= last) for _, _, s, e in posts):
            # The same seats all year (up to `as_of`): counted once.
            on_last = _seats_on(posts, last)
            org.seats_by_month = (on_last,) * len(texts)
        else:
            org.seats_by_month = tuple(_seats_on(posts, day) for day in texts)
            on_last = org.seats_by_month[-1]
        org.committee_size, org.deputies, org.officers = on_last
        if org.kind == OrgKind.BRANCH:
            seated[org_id] = {m for m, _, s, e in posts if s <= last and (e is None or e >= last)}
    return secretaries, seated


def _seats_on(posts: list[tuple[int, str, str, str | None]], day: str) -> tuple[int, int, int]:
    """(委员 seated, 副书记, other seats than 书记 and 副书记) on `day` (ISO text)."""
    seated: set[int] = set()
    deputies = officers = 0
    for member_id, kind, started, ended in posts:
        if started <= day and (ended is None or ended >= day):
            seated.add(member_id)
            if kind == PostKind.DEPUTY_SECRETARY:
                deputies += 1
            elif kind != PostKind.SECRETARY:
                officers += 1
    return len(seated), deputies, officers


# Up to this many people, a refresh's or an organization's own page reads the talk sheets of
# its people only (driven from the attendance's member index), not every sheet of the year.
_FEW_PEOPLE = 2000


def _read_talks(
    where: Where,
    year: int,
    as_of: dt.date,
    minimum: int,
    seats: dict[int, set[int]],
    complete: bool = True,
    orgs: Iterable[OrgInfo] = (),
) -> dict[int, tuple[int, int, int, int]]:
    """谈心谈话 coverage per branch (two queries): who took part is who the talk's sign-in
    sheet marks present (出席 or 签到), in any talk held in the year up to `as_of`; `seats`:
    each branch's 委员 on `as_of`; `complete`: whole subtrees are read (see `_read`); `orgs`:
    the organizations read, with their kind on `as_of`. Nothing when `minimum` is 0 (not
    checked)."""
    if not minimum:
        return {}
    branches = {o.id for o in orgs if o.kind == OrgKind.BRANCH}
    talks = Meeting.objects.filter(
        kind=MeetingKind.HEART_TO_HEART_TALK,
        status=MeetingStatus.HELD,
        held_on__gte=dt.date(year, 1, 1),
        held_on__lte=as_of,
    )
    # The branches on `as_of` (their kind then, `branches`), not today's.
    belonging = [
        (org_id, member_id)
        for org_id, member_id in MembershipSpell.objects.filter(
            where("organization__"), _covering(as_of)
        ).values_list("organization_id", "member_id")
        if org_id in branches
    ]
    people = {m for _, m in belonging}.union(*seats.values())
    if not complete and len(people) <= _FEW_PEOPLE:
        # Only these people's sheets count below (their own talks and their 委员's): read
        # from their attendance rows, each row's meeting checked by primary key.
        talk = Q(member_id__in=sorted(people), status__in=list(ATTENDED)) & Q(
            Exists(talks.filter(pk=OuterRef("meeting_id")))
        )
    else:
        # By the talks (a few thousand a year at province scale), then their sheets by meeting.
        talk = Q(meeting_id__in=talks.values("id"), status__in=list(ATTENDED))
    sheets = list(Attendance.objects.filter(talk).values_list("meeting_id", "member_id"))
    taken: dict[int, int] = defaultdict(int)
    for _, member_id in sheets:
        taken[member_id] += 1
    out: dict[int, tuple[int, int, int, int]] = {}
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for org_id, member_id in belonging:
        entry = counts[org_id]
        entry[0] += 1
        entry[1] += taken.get(member_id, 0) < minimum
    for org_id, (n, missed) in counts.items():
        out[org_id] = (n, missed, 0, 0)
    # The 委员 of each branch on `as_of` (from the posts already read), and the talks they
    # sat in.
    held_by: dict[int, set[int]] = defaultdict(set)  # member → the branches they sit in
    for org_id, members in seats.items():
        for member_id in members:
            held_by[member_id].add(org_id)
    sat: dict[int, set[int]] = defaultdict(set)
    for meeting_id, member_id in sheets:
        if member_id in held_by:
            sat[meeting_id].add(member_id)
    talked: dict[int, set[int]] = defaultdict(set)
    for present in sat.values():
        for org_id in {o for m in present for o in held_by[m]}:
            together = present & seats[org_id]
            if len(together) >= 2:
                talked[org_id] |= together
    for org_id, members in seats.items():
        n, missed, _, _ = out.get(org_id, (0, 0, 0, 0))
        out[org_id] = (n, missed, len(members), len(members - talked[org_id]))
    return out


def _read_meetings(
    where: Where, start: dt.date, end: dt.date, by_id: dict[int, OrgInfo]
) -> tuple[dict[tuple[int, str], list[tuple]], dict[int, list[int]]]:
    """The meetings held between two days, by (organization, kind), and counted per
    organization and month (one pass over the indexed held_on column); the rows of
    organizations not in `by_id` are dropped (`_everything`)."""
    by_key: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    meetings: dict[int, list[int]] = defaultdict(lambda: [0] * 12)
    sql, params = _subtree_meetings_sql(where("organization__"), start, end)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    for row in fetched:
        org_id = row[_ORG]
        if org_id in by_id:
            by_key[(org_id, row[_KIND])].append(row)
            meetings[org_id][row[_MONTH] - 1] += 1
    return by_key, meetings


def _read(
    where: Where,
    year: int,
    as_of: dt.date,
    *,
    complete: bool = False,
    talk_minimum: int = 0,
    frequency_only: bool = False,
) -> _Records:
    """The records of the organizations `where` picks; `complete` when they are whole subtrees
    down to their leaves (see `_count_subtrees`); `talk_minimum`: the 谈心谈话 each member
    should take part in a year (the pack's `heart_talk` minimum; 0: not checked);
    `frequency_only`: what the frequency rules need only (organizations, member counts, posts,
    meetings), with no subtree counts, votes, explanations or talks."""
    start = dt.date(year, 1, 1)
    org = "organization__"
    orgs = [
        OrgInfo(
            id=pk,
            code=code,
            name=name,
            kind=kind,
            path=path,
            depth=level,
            term_ends_on=t,
            term_started_on=s,
        )
        for pk, code, name, kind, path, level, t, s in Organization.objects.filter(where(""))
        .order_by("path")
        .values_list(
            "id", "code", "name", "kind", "path", "depth", "term_ends_on", "term_started_on"
        )
    ]
    by_id = read_kinds(where, month_ends(year, as_of), orgs)
    # A root's whole tree: the records are read without a filter on their organization.
    rows_of: Where = _everything if complete and orgs and orgs[0].depth == 1 else where

    _count_members(rows_of, year, as_of, by_id)
    if not frequency_only:
        _count_subtrees(orgs, complete, year, as_of)

    secretaries, seated = _read_posts(rows_of, year, as_of, by_id, seats=not frequency_only)

    by_key, meetings = _read_meetings(rows_of, start, as_of, by_id)
    if frequency_only:
        return _Records(orgs, secretaries, {}, by_key, {}, {}, dict(meetings), where)

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
    talks = _read_talks(where, year, as_of, talk_minimum, seated, complete, orgs)
    return _Records(orgs, secretaries, talks, by_key, votes, explanations, dict(meetings), where)
