"""Synthetic organizational life for the demo: three years of meetings, with attendance.

Reads the organizations, members and posts already built (by `demo.organ`), and writes
meetings from 1 January two years before `today` up to `today` (held), plus the next few
weeks (planned). Most branches keep their calendar; some skip meetings, and members are
sometimes on leave or absent. `ORGAN_SCENARIO` gives the demo organ its stories: the
secretary's branch missed one 党员大会 (a warning the secretary can explain) and has a
member absent from every meeting for two months (an absence streak) and a member on leave
for five months (the 党章 第九条 early warning); its sibling branch has real gaps.

Rows are written in bulk (explicit meeting ids, attendance by multi-row INSERT) with one
audit event for the whole step, so the province scale stays within minutes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max, Q

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.meetings.models import Meeting, MeetingKind, MeetingSeries, MeetingStatus
from dangjian.meetings.quorum import fill_committee_quorums
from dangjian.members.models import Member, MemberCategory, MemberStatus
from dangjian.orgs.models import COMMITTEE_POSTS, Organization, OrgKind, Post, PostKind
from dangjian.regulations.periods import TZ

TOPICS: dict[str, list[str]] = {
    MeetingKind.THEME_DAY: [
        "重温入党誓词",
        "学习《中国共产党章程》",
        "廉政警示教育",
        "志愿服务进社区",
        "参观革命传统教育基地",
        "读书分享会",
        "学习贯彻中央八项规定精神",
        "学习党的创新理论",
        "“我为群众办实事”实践活动",
        "党史学习交流",
    ],
    MeetingKind.COMMITTEE_MEETING: [
        "研究本月支部工作安排",
        "研究发展党员工作",
        "研究党费收缴情况",
        "研究主题党日活动方案",
        "研究党员教育培训计划",
    ],
    MeetingKind.GENERAL_MEETING: [
        "传达学习上级会议精神",
        "通报支部工作情况",
        "学习党纪学习教育内容",
        "讨论支部年度工作计划",
    ],
    MeetingKind.GROUP_MEETING: ["党小组集中学习", "交流学习体会", "学习党的创新理论"],
    MeetingKind.PARTY_LECTURE: [
        "以党的创新理论武装头脑",
        "加强党性修养",
        "坚持以人民为中心",
        "锤炼过硬作风",
        "做忠诚干净担当的党员干部",
    ],
    MeetingKind.ORG_LIFE_MEETING: ["年度组织生活会"],
    MeetingKind.MEMBER_APPRAISAL: ["年度民主评议党员"],
    MeetingKind.DEMOCRATIC_LIFE_MEETING: ["年度民主生活会"],
    MeetingKind.HEART_TO_HEART_TALK: ["支部委员与党员谈心谈话", "党员之间谈心谈话"],
}
PLACES = ["党员活动室", "第一会议室", "第二会议室", "三楼会议室"]
LEAVE_REASONS = ["出差", "病假", "外出培训", "参加上级会议", "事假"]
START = dt.time(14, 30)

# Demo organ stories, by branch code: meetings not held, as (kind, year offset from today's
# year, month), and the members whose attendance tells a story.
ORGAN_SCENARIO: dict[str, dict] = {
    "FGW-B01": {
        "skip_prob": 0.0,
        "theme_day": 12,
        "skip": {(MeetingKind.GENERAL_MEETING, 0, 9)},
        "streak_member": -2,  # absent without leave from every meeting of the last two months
        "lapse_member": -1,  # on leave for five months: the 党章 第九条 early warning
    },
    "FGW-B02": {
        "skip_prob": 0.0,
        "theme_day": 26,
        "skip": {
            (MeetingKind.THEME_DAY, -1, 7),
            (MeetingKind.THEME_DAY, -1, 8),
            (MeetingKind.THEME_DAY, 0, 4),
            (MeetingKind.GENERAL_MEETING, -1, 6),
            (MeetingKind.ORG_LIFE_MEETING, -1, 12),
            (MeetingKind.MEMBER_APPRAISAL, -1, 12),
            (MeetingKind.HEART_TO_HEART_TALK, -1, 9),
            (MeetingKind.COMMITTEE_MEETING, 0, 2),
            (MeetingKind.COMMITTEE_MEETING, 0, 5),
            (MeetingKind.PARTY_LECTURE, 0, 5),
        },
    },
    "FGW-B03": {"skip_prob": 0.0, "theme_day": 8},
    "CZJ-B03": {
        "skip_prob": 0.0,
        "skip": {(MeetingKind.COMMITTEE_MEETING, 0, m) for m in (3, 6, 7, 10)},
    },
    "JYJ-B02": {"skip_prob": 0.0, "theme_day": 28},
}
# Organ committees whose secretary has not yet given this year's 党课, and leading groups
# whose 党组书记 skipped last year's.
ORGAN_LECTURE_PENDING = {"CZJ-JGDW"}
LEADING_LECTURE_SKIPPED = {"JYJ-DZ"}
# Leading groups whose 民主生活会 last year had only half its members (two away on duty): short
# of the 2/3 quorum.
DLM_SHORT_LAST_YEAR = {"CZJ-DZ"}
DLM_AWAY = 2
# The story's members: on long leave (外出学习培训) for the last 150 days, absent without leave
# for the last 63.
LAPSE_STORY_DAYS = 150
STREAK_STORY_DAYS = 63


@dataclass
class _Unit:
    """A branch (or organ-level organization) and the people its meetings expect."""

    org_id: int
    code: str
    kind: str
    members: list[int] = field(default_factory=list)
    full: int = 0
    retired: bool = False
    committee: list[int] = field(default_factory=list)
    secretary: int | None = None
    groups: dict[int, list[int]] = field(default_factory=dict)


@dataclass
class Profile:
    skip_prob: float
    present: float
    leave: float
    theme_day: int
    skip: set = field(default_factory=set)
    streak_member: int | None = None
    lapse_member: int | None = None


def _profile(rng: random.Random, unit: _Unit, scenario: dict | None) -> Profile:
    if scenario is not None:
        base = Profile(
            skip_prob=scenario.get("skip_prob", 0.02),
            present=0.86 if unit.retired else 0.93,
            leave=0.11 if unit.retired else 0.05,
            theme_day=scenario.get("theme_day", rng.randint(5, 22)),
            skip=scenario.get("skip", set()),
            streak_member=scenario.get("streak_member"),
            lapse_member=scenario.get("lapse_member"),
        )
        return base
    roll = rng.random()
    skip = 0.01 if roll < 0.75 else 0.08 if roll < 0.95 else 0.3
    present = rng.uniform(0.84, 0.97) - (0.06 if unit.retired else 0.0)
    return Profile(
        skip_prob=skip,
        present=present,
        leave=(1 - present) * 0.8,
        theme_day=rng.randint(5, 28),
    )


class _Writer:
    """Buffers meetings and attendance and writes them in big batches."""

    ATTENDANCE_ROWS_PER_INSERT = 500

    def __init__(self, flush_every: int = 20000):
        last = Meeting.objects.aggregate(m=Max("id"))["m"] or 0
        self.next_id = last + 1
        self.meetings: list[Meeting] = []
        self.attendance: list[tuple[int, int, str, str]] = []
        self.flush_every = flush_every
        self.total_meetings = 0
        self.total_attendance = 0

    def meeting(self, **fields) -> int:
        pk = self.next_id
        self.next_id += 1
        self.meetings.append(Meeting(id=pk, **fields))
        if len(self.meetings) >= self.flush_every:
            self.flush()
        return pk

    def attend(self, rows: Iterable[tuple[int, int, str, str]]) -> None:
        self.attendance.extend(rows)

    def flush(self) -> None:
        if self.meetings:
            Meeting.objects.bulk_create(self.meetings, batch_size=1000)
            self.total_meetings += len(self.meetings)
            self.meetings = []
        rows, self.attendance = self.attendance, []
        if not rows:
            return
        # By member: the (member, status) index then fills page by page, not at random.
        rows.sort(key=lambda row: (row[1], row[0]))
        self.total_attendance += len(rows)
        step = self.ATTENDANCE_ROWS_PER_INSERT
        with connection.cursor() as cursor:
            table = connection.ops.quote_name("meetings_attendance")
            for start in range(0, len(rows), step):
                chunk = rows[start : start + step]
                values = ",".join(["(%s,%s,%s,%s)"] * len(chunk))
                cursor.execute(
                    f"INSERT INTO {table} (meeting_id, member_id, status, reason) VALUES {values}",  # noqa: S608 (fixed table, parameters bound)
                    [value for row in chunk for value in row],
                )

    def finish(self) -> None:
        self.flush()
        # Ids were given explicitly: move PostgreSQL's sequence past them (SQLite and
        # MariaDB follow explicit ids on their own).
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Meeting]):
                cursor.execute(sql)


def _units(roots: list[Organization]) -> tuple[list[_Unit], list[_Unit]]:
    """Branches, and organ-level organizations (organ committees, leading groups)."""

    def under(prefix: str = "") -> Q:
        q = Q(pk__in=[])
        for root in roots:
            q |= Q(**{f"{prefix}path__startswith": root.path})
        return q

    orgs = list(Organization.objects.filter(under()).order_by("path").values("id", "code", "kind"))
    by_id: dict[int, _Unit] = {}
    branches, organs = [], []
    for row in orgs:
        unit = _Unit(row["id"], row["code"], row["kind"])
        if row["kind"] == OrgKind.BRANCH:
            branches.append(unit)
            by_id[unit.org_id] = unit
        elif row["kind"] in {OrgKind.ORGAN_COMMITTEE, OrgKind.LEADING_GROUP}:
            organs.append(unit)
            by_id[unit.org_id] = unit
    members = (
        Member.objects.filter(under("organization__"), organization__kind=OrgKind.BRANCH)
        .order_by("id")
        .values_list("id", "organization_id", "party_group_id", "status", "category")
        .iterator(chunk_size=5000)
    )
    retired_counts: dict[int, int] = defaultdict(int)
    for member_id, org_id, group_id, status, category in members:
        unit = by_id[org_id]
        unit.members.append(member_id)
        unit.full += status == MemberStatus.FULL
        retired_counts[org_id] += category == MemberCategory.RETIRED
        if group_id is not None:
            unit.groups.setdefault(group_id, []).append(member_id)
    for unit in branches:
        unit.retired = bool(unit.members) and retired_counts[unit.org_id] * 2 > len(unit.members)
    posts = (
        Post.objects.filter(under("organization__"), ended_on__isnull=True)
        .order_by("id")
        .values_list("organization_id", "member_id", "kind")
    )
    for org_id, member_id, kind in posts:
        unit = by_id.get(org_id)
        if unit is None:  # a party group leader: no meetings of its own to plan
            continue
        if kind in COMMITTEE_POSTS:
            unit.committee.append(member_id)
        if kind == PostKind.SECRETARY:
            unit.secretary = member_id
    return branches, organs


def _day(year: int, month: int, day: int) -> dt.date:
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day, last))


def _branch_calendar(
    rng: random.Random, unit: _Unit, profile: Profile, year: int, today: dt.date
) -> list[tuple[str, dt.date, int | None]]:
    """(kind, date, party group id or None) of the meetings a branch plans in `year`."""
    plan: list[tuple[str, dt.date, int | None]] = []
    has_committee = unit.full >= 7
    for month in range(1, 13):
        plan.append((MeetingKind.THEME_DAY, _day(year, month, profile.theme_day), None))
        if has_committee:
            plan.append((MeetingKind.COMMITTEE_MEETING, _day(year, month, rng.randint(2, 8)), None))
        for group_id in unit.groups:
            plan.append(
                (MeetingKind.GROUP_MEETING, _day(year, month, rng.randint(12, 22)), group_id)
            )
        if month % 3 == 2:
            plan.append((MeetingKind.PARTY_LECTURE, _day(year, month, rng.randint(15, 26)), None))
        if month % 3 == 0:
            plan.append((MeetingKind.GENERAL_MEETING, _day(year, month, rng.randint(10, 24)), None))
    # 组织生活会 with 民主评议党员, usually in December; some branches hold it in November.
    month = 11 if rng.random() < 0.3 else 12
    day = _day(year, month, rng.randint(5, 20))
    plan.append((MeetingKind.ORG_LIFE_MEETING, day, None))
    plan.append((MeetingKind.MEMBER_APPRAISAL, day, None))
    return plan


def _attendance(
    rng: random.Random,
    meeting_id: int,
    expected: list[int],
    profile: Profile,
    held_on: dt.date,
    today: dt.date,
    streak: int | None,
    lapse: int | None,
    committee: bool = False,
) -> tuple[list[tuple[int, int, str, str]], int]:
    rows = []
    present = 0
    for member_id in expected:
        if member_id == lapse and held_on > today - dt.timedelta(days=LAPSE_STORY_DAYS):
            rows.append((meeting_id, member_id, "on_leave", "外出学习培训"))
            continue
        if member_id == streak and held_on > today - dt.timedelta(days=STREAK_STORY_DAYS):
            rows.append((meeting_id, member_id, "absent", ""))
            continue
        roll = rng.random() * (0.3 if committee else 1.0)  # committee members rarely miss
        if roll < profile.present:
            rows.append((meeting_id, member_id, "present", ""))
            present += 1
        elif roll < profile.present + profile.leave:
            rows.append((meeting_id, member_id, "on_leave", rng.choice(LEAVE_REASONS)))
        else:
            rows.append((meeting_id, member_id, "absent", ""))
    return rows, present


def _meeting_fields(
    rng: random.Random, org_id: int, kind: str, day: dt.date, today: dt.date, host, recorder
) -> dict:
    held = day <= today
    return {
        "organization_id": org_id,
        "kind": kind,
        "topic": rng.choice(TOPICS[kind]),
        "starts_at": dt.datetime.combine(day, START, tzinfo=TZ),
        "place": rng.choice(PLACES),
        "status": MeetingStatus.HELD if held else MeetingStatus.PLANNED,
        "held_on": day if held else None,
        "host_id": host,
        "recorder_id": recorder,
    }


def generate_meetings(
    roots: list[Organization],
    *,
    today: dt.date,
    seed: int,
    years: int = 3,
    planned_days: int = 31,
    scenario: dict[str, dict] | None = None,
    organ_skip: float = 0.0,
    out: Callable[[str], None] = lambda s: None,
) -> tuple[int, int]:
    """Write `years` calendar years of meetings (the last one up to `today`) for the subtrees.

    Returns (meetings, attendance rows). Call inside a transaction.
    """
    rng = random.Random(seed)
    scenario = scenario or {}
    branches, organs = _units(roots)
    profiles = {unit.org_id: _profile(rng, unit, scenario.get(unit.code)) for unit in branches}
    calendar = _Calendar(rng, today, today + dt.timedelta(days=planned_days), organ_skip)
    writer = _Writer()
    meetings = _Meetings(rng, today, writer, profiles, _theme_day_series(branches, profiles))
    # Written in calendar order, the way records accumulate in a live system, so that a
    # year's meetings sit together on disk as they would in a real database.
    for year in range(today.year - years + 1, today.year + 1):
        items = calendar.branch_items(year, branches, profiles)
        items += calendar.organ_items(year, organs, first_index=len(branches))
        items.sort(key=lambda item: (item[0], item[1]))
        for day, index, kind, group_id in items:
            if index >= len(branches):
                meetings.organ_meeting(organs[index - len(branches)], kind, day)
            else:
                meetings.branch_meeting(branches[index], kind, day, group_id)
    from dangjian.demo.talks import heart_talks  # it builds on this module's helpers

    heart_talks(random.Random(seed + 1), branches, profiles, meetings, today, years)
    writer.finish()
    # The 支委会's quorum figures (the 委员 seated on each day), as the service would keep them.
    in_roots = Q()
    for root in roots:
        in_roots |= Q(organization__path__startswith=root.path)
    fill_committee_quorums(Meeting.objects.filter(in_roots))
    record(
        Actor.system("demo"),
        AuditAction.CREATE,
        object_type="meetings.meeting",
        object_repr="演示数据",
        message=(
            f"生成演示会议记录：{writer.total_meetings} 次会议，"
            f"{writer.total_attendance} 条出勤记录（合成数据）"
        ),
    )
    out(f"已生成会议记录：{writer.total_meetings} 次会议，{writer.total_attendance} 条出勤记录。")
    return writer.total_meetings, writer.total_attendance


def _theme_day_series(branches: list[_Unit], profiles: dict[int, Profile]) -> dict[int, int]:
    """Each branch's monthly 主题党日 series: organization id → series id."""
    series = MeetingSeries.objects.bulk_create(
        [
            MeetingSeries(
                organization_id=unit.org_id,
                kind=MeetingKind.THEME_DAY,
                topic="",  # each month's meeting is titled "某年某月主题党日"
                day_of_month=min(profiles[unit.org_id].theme_day, 28),
                start_time=START,
                place=PLACES[0],
            )
            for unit in branches
        ],
        batch_size=1000,
    )
    return {s.organization_id: s.pk for s in series}


# (day, unit index, kind, party group id or None); organ-level units come after the branches.
_Item = tuple[dt.date, int, str, int | None]


class _Calendar:
    """The meetings each unit holds in a year, less the ones its profile or story skips."""

    def __init__(self, rng: random.Random, today: dt.date, horizon: dt.date, organ_skip: float):
        self.rng, self.today, self.horizon, self.organ_skip = rng, today, horizon, organ_skip

    def branch_items(
        self, year: int, branches: list[_Unit], profiles: dict[int, Profile]
    ) -> list[_Item]:
        offset = year - self.today.year
        items: list[_Item] = []
        for index, unit in enumerate(branches):
            if not unit.members:
                continue
            profile = profiles[unit.org_id]
            for kind, day, group_id in _branch_calendar(self.rng, unit, profile, year, self.today):
                if day > self.horizon:
                    continue
                skipped = (kind, offset, day.month) in profile.skip
                if skipped or self.rng.random() < profile.skip_prob:
                    continue
                items.append((day, index, kind, group_id))
        return items

    def organ_items(self, year: int, organs: list[_Unit], first_index: int) -> list[_Item]:
        """The 党委/党组 secretary's yearly 党课, the leading group's 民主生活会."""
        rng, offset = self.rng, year - self.today.year
        items: list[_Item] = []
        for index, unit in enumerate(organs, start=first_index):
            lecture = _day(year, rng.choice([4, 5, 6, 9]), rng.randint(5, 25))
            skipped = (
                (offset == 0 and unit.code in ORGAN_LECTURE_PENDING)
                or (offset == -1 and unit.code in LEADING_LECTURE_SKIPPED)
                or rng.random() < self.organ_skip
            )
            if lecture <= self.today and not skipped:
                items.append((lecture, index, MeetingKind.PARTY_LECTURE, None))
            if unit.kind == OrgKind.LEADING_GROUP:
                meeting_day = _day(year, 12, rng.randint(15, 28))
                if meeting_day <= self.horizon:
                    items.append((meeting_day, index, MeetingKind.DEMOCRATIC_LIFE_MEETING, None))
        return items


class _Meetings:
    """Writes one meeting of the calendar, with its attendance when it has been held."""

    def __init__(self, rng, today, writer: _Writer, profiles, series_by_org: dict[int, int]):
        self.rng, self.today, self.writer = rng, today, writer
        self.profiles, self.series_by_org = profiles, series_by_org
        self.people: dict[int, tuple] = {}

    def organ_meeting(self, unit: _Unit, kind: str, day: dt.date) -> None:
        host = unit.secretary if kind == MeetingKind.PARTY_LECTURE else None
        fields = _meeting_fields(self.rng, unit.org_id, kind, day, self.today, host, None)
        if kind == MeetingKind.PARTY_LECTURE:
            fields["topic"] = "书记讲党课：" + fields["topic"]
        if kind == MeetingKind.DEMOCRATIC_LIFE_MEETING and unit.committee:
            self._democratic_life_meeting(unit, fields, day)
            return
        self.writer.meeting(**fields, expected_count=0)

    def _democratic_life_meeting(self, unit: _Unit, fields: dict, day: dt.date) -> None:
        """A 党组's 民主生活会 with its sign-in sheet: its members (the seats) expected, all
        present but in the story's short year. No random draw, so every other meeting stays
        as it was before these had sheets."""
        expected = unit.committee
        fields["host_id"] = unit.secretary
        if day > self.today:
            self.writer.meeting(**fields, expected_count=len(expected))
            return
        short = unit.code in DLM_SHORT_LAST_YEAR and day.year == self.today.year - 1
        away = set(expected[-DLM_AWAY:]) if short else set()
        meeting_id = self.writer.next_id
        rows = [
            (meeting_id, m, "on_leave", "因公出差") if m in away else (meeting_id, m, "present", "")
            for m in expected
        ]
        present = len(expected) - len(away)
        self.writer.meeting(**fields, expected_count=len(expected), present_count=present)
        self.writer.attend(rows)

    def _people(self, unit: _Unit) -> tuple:
        """(host, recorder, streak member, lapsed member, committee) of a branch."""
        if unit.org_id not in self.people:
            profile = self.profiles[unit.org_id]
            host = unit.secretary or (unit.members[0] if unit.members else None)
            self.people[unit.org_id] = (
                host,
                unit.committee[1] if len(unit.committee) > 1 else host,
                unit.members[profile.streak_member] if profile.streak_member is not None else None,
                unit.members[profile.lapse_member] if profile.lapse_member is not None else None,
                unit.committee or [host],
            )
        return self.people[unit.org_id]

    def branch_meeting(self, unit: _Unit, kind: str, day: dt.date, group_id: int | None) -> None:
        profile = self.profiles[unit.org_id]
        host, recorder, streak, lapse, committee = self._people(unit)
        if kind == MeetingKind.COMMITTEE_MEETING:
            expected = committee
        elif group_id is not None:
            expected = unit.groups[group_id]
        else:
            expected = unit.members
        org_id = group_id or unit.org_id
        fields = _meeting_fields(self.rng, org_id, kind, day, self.today, host, recorder)
        if kind == MeetingKind.THEME_DAY:
            fields["series_id"] = self.series_by_org[unit.org_id]
        writer = self.writer
        if day > self.today:
            writer.meeting(**fields, expected_count=len(expected))
            return
        rows, present = _attendance(
            self.rng,
            writer.next_id,
            expected,
            profile,
            day,
            self.today,
            streak,
            lapse,
            committee=kind == MeetingKind.COMMITTEE_MEETING,
        )
        writer.meeting(**fields, expected_count=len(expected), present_count=present)
        writer.attend(rows)
        if len(writer.attendance) > 200000:
            writer.flush()
