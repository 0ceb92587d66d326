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
from django.db.models import CharField, Count, IntegerField, Q
from django.db.models.functions import Cast, Substr

from dangjian.meetings.findings.report import _KIND, _ORG, Explanation, OrgInfo
from dangjian.meetings.models import FindingExplanation, Meeting, MeetingStatus, Vote
from dangjian.members.models import MembershipSpell, MemberStatus
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, Post, PostKind


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


def _only(ids: Iterable[int]) -> Where:
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

    In the same query, each branch's full members on every month's last day
    (`OrgInfo.full_by_month`): the monthly 支委会 binds only the months a branch had 7."""
    ends = month_ends(year, as_of)
    days = sorted(set(ends))
    full = Q(status=MemberStatus.FULL)
    monthly = {f"m{i}": Count("id", filter=_covering(day) & full) for i, day in enumerate(days)}
    rows = (
        MembershipSpell.objects.filter(where("organization__"), started_on__lte=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=ends[0]))
        .order_by()
        .values("organization_id")
        .annotate(
            n=Count("id", filter=_covering(as_of)),
            n_full=Count("id", filter=_covering(as_of) & full),
            **monthly,
        )
        .values_list("organization_id", "n", "n_full", *monthly)
    )
    position = [days.index(day) for day in ends]
    for org_id, n, n_full, *by_day in rows:
        org = by_id[org_id]
        org.members, org.full_members = n, n_full
        if org.kind == "branch":
            org.full_by_month = tuple(by_day[i] for i in position)


# The kinds held to the 机关 thresholds, which count the members of their whole subtree.
SUBTREE_COUNTED = frozenset({"organ_committee", "general_branch"})


def _count_subtrees(orgs: list[OrgInfo], complete: bool, as_of: dt.date) -> None:
    """Each 机关党委's and 总支's members over its subtree on `as_of`.

    `complete`: every descendant of every organization read was read too (a subtree read to
    its leaves), so the sums come from the counts already read, without a query. Otherwise
    (an organization's own page, a cache refresh) one query counts the subtrees of those
    organizations."""
    counted = [o for o in orgs if o.kind in SUBTREE_COUNTED]
    if not counted:
        return
    if complete:
        by_path = sorted((o.path, o.members) for o in orgs)
        paths = [p for p, _ in by_path]
        for org in counted:
            start = bisect.bisect_left(paths, org.path)
            end = bisect.bisect_left(paths, org.path + "\U0010ffff")
            org.subtree_members = sum(n for _, n in by_path[start:end])
        return
    roots = Q()
    for org in counted:
        roots |= Q(organization__path__startswith=org.path)
    per_path = (
        MembershipSpell.objects.filter(roots, started_on__lte=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=as_of))
        .order_by()
        .values("organization__path")
        .annotate(n=Count("id"))
        .values_list("organization__path", "n")
    )
    totals = list(per_path)
    for org in counted:
        org.subtree_members = sum(n for path, n in totals if path.startswith(org.path))


def _read_posts(
    where: Where, start: dt.date, as_of: dt.date, by_id: dict[int, OrgInfo]
) -> dict[int, list[tuple[int, str, str | None]]]:
    """Posts held at some time in the year: the seats on the year's last day (or today), by
    kind, into `by_id`; the secretaries on each day (for the leader's 党课) returned."""
    seats: dict[int, set[int]] = defaultdict(set)
    secretaries: dict[int, list[tuple[int, str, str | None]]] = defaultdict(list)
    for org_id, member_id, kind, started, ended in (
        Post.objects.filter(where("organization__"), started_on__lte=as_of)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .values_list("organization_id", "member_id", "kind", "started_on", "ended_on")
    ):
        if kind in COMMITTEE_POSTS and (ended is None or ended >= as_of):
            seats[org_id].add(member_id)
            if kind == PostKind.DEPUTY_SECRETARY:
                by_id[org_id].deputies += 1
            elif kind != PostKind.SECRETARY:
                by_id[org_id].officers += 1
        if kind == PostKind.SECRETARY:
            secretaries[org_id].append(
                (member_id, started.isoformat(), ended.isoformat() if ended else None)
            )
    for org_id, held in seats.items():
        by_id[org_id].committee_size = len(held)
    return secretaries


def _read(where: Where, year: int, as_of: dt.date, *, complete: bool = False) -> _Records:
    """The records of the organizations `where` picks; `complete` when they are whole subtrees
    down to their leaves (see `_count_subtrees`)."""
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
    by_id = {o.id: o for o in orgs}

    _count_members(where, year, as_of, by_id)
    _count_subtrees(orgs, complete, as_of)

    secretaries = _read_posts(where, start, as_of, by_id)

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
    return _Records(orgs, secretaries, by_key, votes, explanations, dict(meetings), where)
