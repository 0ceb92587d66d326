"""`dangjian demo --scale province`: the demo organ plus about a hundred more departments under
the same 机关工委, ≈3,000 branches and ≈60,000 members, with three years of meetings.

Everything is written in bulk (organizations level by level with their materialized paths,
members and posts in big batches), with one summary audit event per step.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable

from django.db import connection, transaction

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core import clock
from dangjian.demo.founding import found_from_records
from dangjian.demo.meetings import generate_meetings
from dangjian.demo.organ import ROOT_CODE, ensure_demo
from dangjian.demo.people import COMMITTEE_ORDER, PeopleBuilder, add_years, save_people
from dangjian.demo.users import DEFAULT_PASSWORD, ensure_province_user
from dangjian.members.models import Member, MemberCategory, MemberStatus
from dangjian.orgs.models import Organization, OrgKind, Post, PostKind

PROVINCE_PREFIX = "S"
PROVINCE_DEPARTMENT_STEMS = [
    "发展和改革委员会",
    "教育厅",
    "科学技术厅",
    "工业和信息化厅",
    "民族宗教事务委员会",
    "公安厅",
    "民政厅",
    "司法厅",
    "财政厅",
    "人力资源和社会保障厅",
    "自然资源厅",
    "生态环境厅",
    "住房和城乡建设厅",
    "交通运输厅",
    "水利厅",
    "农业农村厅",
    "商务厅",
    "文化和旅游厅",
    "卫生健康委员会",
    "退役军人事务厅",
    "应急管理厅",
    "审计厅",
    "外事办公室",
    "国有资产监督管理委员会",
    "市场监督管理局",
    "广播电视局",
    "体育局",
    "统计局",
    "医疗保障局",
    "地方金融管理局",
    "机关事务管理局",
    "信访局",
    "粮食和物资储备局",
    "林业局",
    "乡村振兴局",
    "数据局",
    "人民防空办公室",
    "地方志办公室",
    "档案局",
    "社会科学院",
    "农业科学院",
    "供销合作社",
    "总工会",
    "团委",
    "妇联",
    "科协",
    "文联",
    "作协",
    "侨联",
    "残联",
]
PROVINCE_DIVISIONS = [
    "办公室",
    "综合处",
    "法规处",
    "财务处",
    "人事处",
    "规划处",
    "政策研究室",
    "督查处",
    "信息中心",
    "监督处",
    "审批处",
    "宣传处",
    "机关党委办公室",
    "科技处",
    "对外合作处",
    "统计处",
    "安全处",
    "保障处",
    "发展处",
    "研究室",
    "服务中心",
    "执法总队",
    "培训中心",
    "资料室",
    "评估中心",
    "监测站",
    "事务中心",
    "第一业务处",
    "第二业务处",
    "第三业务处",
    "第四业务处",
    "第五业务处",
    "第六业务处",
    "第七业务处",
    "第八业务处",
    "第九业务处",
]


def _province_branch_sizes(rng: random.Random, count: int, members: int) -> list[int]:
    sizes = [
        rng.choices(
            [rng.randint(4, 9), rng.randint(10, 20), rng.randint(21, 34), rng.randint(35, 48)],
            weights=[18, 42, 30, 10],
        )[0]
        for _ in range(count)
    ]
    scale = members / sum(sizes)
    return [max(3, round(size * scale)) for size in sizes]


def ensure_province(
    *,
    password: str = DEFAULT_PASSWORD,
    seed: int = 20261125,
    today: dt.date | None = None,
    departments: int = 100,
    branches: int = 3000,
    members: int = 60000,
    out: Callable[[str], None] = lambda s: None,
) -> bool:
    """Add the province-scale departments under the demo organ's root, once.

    Builds the demo organ first when it is missing. Returns False when the province
    departments already exist.
    """
    today = today or clock.today()
    ensure_demo(password=password, seed=seed, today=today, out=out)
    if Organization.objects.filter(code=f"{PROVINCE_PREFIX}001-DZ").exists():
        return False
    with transaction.atomic():
        _build_province(
            password=password,
            seed=seed + 1,
            today=today,
            departments=departments,
            branches=branches,
            members=members,
            out=out,
        )
    _analyze()
    return True


# Tables the bulk load fills. Without fresh statistics a planner takes the new tables for
# empty and picks nested loops over hundreds of thousands of rows.
BULK_TABLES = (
    "orgs_organization",
    "orgs_organizationspell",
    "orgs_post",
    "members_member",
    "meetings_meeting",
    "meetings_attendance",
    "meetings_meetingseries",
)


def _analyze() -> None:
    """Refresh the planner's statistics after a bulk load (outside the transaction: on
    MariaDB, ANALYZE TABLE commits)."""
    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            if connection.in_atomic_block:
                return  # it would commit the caller's transaction
            cursor.execute("ANALYZE TABLE " + ", ".join(BULK_TABLES))
            cursor.fetchall()
            return
        if connection.vendor == "sqlite":
            # Sample instead of reading every row: seconds instead of a minute.
            cursor.execute("PRAGMA analysis_limit = 1000")
        for table in BULK_TABLES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _node(parent: Organization, step: int, **fields) -> Organization:
    depth = parent.depth + 1
    return Organization(
        path=Organization._get_path(parent.path, depth, step), depth=depth, numchild=0, **fields
    )


def _build_province(
    *,
    password: str,
    seed: int,
    today: dt.date,
    departments: int,
    branches: int,
    members: int,
    out: Callable[[str], None],
) -> None:
    started = time.perf_counter()
    build = _Province(seed, today)

    def step(text: str) -> None:
        out(f"  {text}：{time.perf_counter() - started:.0f} 秒")

    org_count = build.organizations(departments, branches, members)
    step(f"党组织 {org_count} 个（{len(build.branches)} 个党支部）")
    step(f"党员 {build.members()} 名")
    step(f"职务 {build.posts()} 条")
    step(f"组织成立日期 {found_from_records(build.root, today)} 条")
    generate_meetings(build.leading, today=today, seed=seed, organ_skip=0.1, out=out)
    step("会议与出勤")
    # The meetings place some organizations (party groups, mostly) earlier than their posts.
    step(f"组织成立日期（按会议提前）{found_from_records(build.root, today)} 条")
    ensure_province_user(build.actor, password, build.root)
    out(
        f"已生成省级规模演示数据：{Organization.objects.count()} 个党组织，"
        f"{Member.objects.count()} 名党员。"
    )


class _Province:
    """The province's departments, built level by level (each level needs its parents' ids),
    then its members and posts; one random stream in a fixed order, so a seed gives one tree."""

    def __init__(self, seed: int, today: dt.date):
        self.rng = random.Random(seed)
        self.today = today
        self.actor = Actor.system("demo")
        self.root = Organization.objects.get(code=ROOT_CODE)
        self.people = PeopleBuilder(self.rng, today)
        self.people.used_ids.update(m.id_number for m in Member.objects.all())
        self.leading: list[Organization] = []
        self.committees: list[Organization] = []
        self.disciplines: list[Organization] = []
        self.branches: list[tuple[Organization, int]] = []  # (branch, members)
        self.groups_of: dict[str, list[Organization]] = {}
        self.by_branch: dict[str, list[Member]] = {}

    def organizations(self, departments: int, branches: int, members: int) -> int:
        rng = self.rng
        per_dept = [
            branches // departments + (i < branches % departments) for i in range(departments)
        ]
        sizes = _province_branch_sizes(rng, branches, members)
        self._departments(departments)
        generals = self._committee_children()
        self._branches(per_dept, iter(sizes), generals)
        groups = self._groups()
        root = self.root
        Organization.objects.filter(pk=root.pk).update(numchild=root.numchild + departments)
        Organization.objects.bulk_update(self.leading, ["numchild"], batch_size=500)
        count = len(self.leading) + 3 * len(self.committees) + len(self.branches) + len(groups)
        record(
            self.actor,
            AuditAction.CREATE,
            object_type="orgs.organization",
            object_repr="演示数据（省级规模）",
            message=f"批量生成演示党组织 {count} 个（合成数据）",
        )
        return count

    def _departments(self, departments: int) -> None:
        stems = PROVINCE_DEPARTMENT_STEMS
        for d in range(departments):
            code = f"{PROVINCE_PREFIX}{d + 1:03d}"
            stem = stems[d % len(stems)]
            name = (
                f"示范省{stem}"
                if d < len(stems)
                else f"示范省{stem}（第{d // len(stems) + 1}单元）"
            )
            self.leading.append(
                _node(
                    self.root,
                    self.root.numchild + d + 1,
                    name=f"{name}党组",
                    kind=OrgKind.LEADING_GROUP,
                    code=f"{code}-DZ",
                )
            )
        Organization.objects.bulk_create(self.leading, batch_size=500)
        for group in self.leading:
            committee_start = self.today - dt.timedelta(days=self.rng.randint(200, 1700))
            self.committees.append(
                _node(
                    group,
                    1,
                    name=group.name.replace("党组", "机关党委"),
                    kind=OrgKind.ORGAN_COMMITTEE,
                    code=group.code.replace("-DZ", "-JGDW"),
                    term_started_on=committee_start,
                    term_ends_on=add_years(committee_start, 5),
                )
            )
            group.numchild = 1
        Organization.objects.bulk_create(self.committees, batch_size=500)

    def _committee_children(self) -> list[Organization]:
        """Each committee's discipline committee and general branch; returns the latter."""
        generals = []
        for committee in self.committees:
            code = committee.code.replace("-JGDW", "")
            discipline = _node(
                committee,
                1,
                name=committee.name.replace("机关党委", "机关纪委"),
                kind=OrgKind.ORGAN_DISCIPLINE_COMMITTEE,
                code=f"{code}-JW",
                term_started_on=committee.term_started_on,
                term_ends_on=committee.term_ends_on,
            )
            general_start = self.today - dt.timedelta(days=self.rng.randint(100, 1200))
            general = _node(
                committee,
                2,
                name=committee.name.replace("机关党委", "机关党总支"),
                kind=OrgKind.GENERAL_BRANCH,
                code=f"{code}-ZZ",
                term_started_on=general_start,
                term_ends_on=add_years(general_start, 3),
            )
            self.disciplines.append(discipline)
            generals.append(general)
            committee.numchild = 2
        lower = [org for pair in zip(self.disciplines, generals, strict=True) for org in pair]
        Organization.objects.bulk_create(lower, batch_size=500)
        return generals

    def _branches(self, per_dept: list[int], sizes, generals: list[Organization]) -> None:
        divisions = PROVINCE_DIVISIONS
        for committee, general, count in zip(self.committees, generals, per_dept, strict=False):
            code = committee.code.replace("-JGDW", "")
            under_general = count // 3
            for b in range(count):
                size = next(sizes)
                start = self.today - dt.timedelta(days=self.rng.randint(30, 1290))
                division = divisions[b % len(divisions)]
                name = "离退休干部党支部" if b == count - 1 else f"{division}党支部"
                if b >= len(divisions) and b != count - 1:
                    name = f"{division}第{b // len(divisions) + 1}党支部"
                parent = general if b >= count - under_general else committee
                parent.numchild += 1
                branch = _node(
                    parent,
                    parent.numchild,
                    name=name,
                    kind=OrgKind.BRANCH,
                    code=f"{code}-B{b + 1:02d}",
                    term_started_on=start,
                    term_ends_on=add_years(start, 3),
                )
                self.branches.append((branch, size))
        Organization.objects.bulk_create([b for b, _ in self.branches], batch_size=1000)
        Organization.objects.bulk_update(self.committees + generals, ["numchild"], batch_size=500)

    def _groups(self) -> list[Organization]:
        groups: list[Organization] = []
        for branch, size in self.branches:
            if size >= 12:
                made = [
                    _node(
                        branch,
                        g + 1,
                        name=f"第{'一二三'[g]}党小组",
                        kind=OrgKind.PARTY_GROUP,
                        code=f"{branch.code}-G{g + 1}",
                    )
                    for g in range(2 if size < 20 else 3)
                ]
                branch.numchild = len(made)
                self.groups_of[branch.code] = made
                groups.extend(made)
        Organization.objects.bulk_create(groups, batch_size=1000)
        Organization.objects.bulk_update(
            [b for b, _ in self.branches if b.numchild], ["numchild"], batch_size=1000
        )
        return groups

    def members(self) -> int:
        """Members, branch by branch, written in big batches."""
        people: list[Member] = []
        total = 0
        for branch, size in self.branches:
            retired = branch.name.startswith("离退休")
            made = []
            branch_groups = self.groups_of.get(branch.code, [])
            for i in range(size):
                probationary = not retired and i >= 3 and self.rng.random() < 0.06
                m = self.people.person(branch, retired=retired, probationary=probationary)
                if branch_groups:
                    m.party_group = branch_groups[i % len(branch_groups)]
                made.append(m)
            self.by_branch[branch.code] = made
            people.extend(made)
            if len(people) >= 10000:
                save_people(people)
                total += len(people)
                people = []
        save_people(people)
        total += len(people)
        record(
            self.actor,
            AuditAction.CREATE,
            object_type="members.member",
            object_repr="演示数据（省级规模）",
            message=f"批量生成演示党员 {total} 名（合成数据，非真实人员）",
        )
        return total

    def posts(self) -> int:
        """Branch committees (or a secretary alone below 7 full members), group leaders, each
        department's organ committee and discipline committee, and its 党组's four seats."""
        posts: list[Post] = []
        dept_people: dict[str, list[Member]] = {}
        # Each department's branch secretaries (a branch's first member) with the day they
        # took office, for its 党组's seats.
        dept_secretaries: dict[str, list[tuple[Member, dt.date]]] = {}
        for branch, _ in self.branches:
            made = self.by_branch[branch.code]
            full = sum(m.status == MemberStatus.FULL for m in made)
            seats = self.rng.choice([3, 4, 5, 5]) if full >= 7 else self.rng.choice([1, 1, 2])
            started_on = branch.term_started_on
            dept_secretaries.setdefault(branch.code.split("-")[0], []).append((made[0], started_on))
            for seat, member in zip(COMMITTEE_ORDER[:seats], made, strict=False):
                posts.append(
                    Post(organization=branch, member=member, kind=seat, started_on=started_on)
                )
            leaders = zip(self.groups_of.get(branch.code, []), made[seats:], strict=False)
            for group_org, member in leaders:
                posts.append(
                    Post(
                        organization=group_org,
                        member=member,
                        kind=PostKind.GROUP_LEADER,
                        started_on=started_on,
                    )
                )
            dept_people.setdefault(branch.code.split("-")[0], []).extend(
                m
                for m in made
                if m.category == MemberCategory.EMPLOYED and m.status == MemberStatus.FULL
            )
        for group, committee, discipline in zip(
            self.leading, self.committees, self.disciplines, strict=True
        ):
            employed = dept_people[committee.code.split("-")[0]]
            start = committee.term_started_on
            seated = _leading_seats(employed, dept_secretaries[committee.code.split("-")[0]], start)
            posts += [
                Post(organization=group, member=member, kind=kind, started_on=since)
                for member, kind, since in seated
            ]
            posts += [
                Post(
                    organization=committee,
                    member=employed[2],
                    kind=PostKind.SECRETARY,
                    started_on=start,
                    full_time=True,
                ),
                Post(
                    organization=committee,
                    member=employed[5],
                    kind=PostKind.DEPUTY_SECRETARY,
                    started_on=start,
                ),
                Post(
                    organization=committee,
                    member=employed[8],
                    kind=PostKind.COMMITTEE_MEMBER,
                    started_on=start,
                ),
                Post(
                    organization=discipline,
                    member=employed[11],
                    kind=PostKind.SECRETARY,
                    started_on=start,
                ),
            ]
        Post.objects.bulk_create(posts, batch_size=2000)
        record(
            self.actor,
            AuditAction.CREATE,
            object_type="orgs.post",
            object_repr="演示数据（省级规模）",
            message=f"批量生成演示职务 {len(posts)} 条（合成数据）",
        )
        return len(posts)


LEADING_SEATS = 4


def _leading_seats(
    employed: list[Member], secretaries: list[tuple[Member, dt.date]], start: dt.date
) -> list[tuple[Member, str, dt.date]]:
    """A 党组's seats as the demo organ's (demo/organ.py): the organ committee's deputy
    secretary as its secretary, its 委员 and two branch secretaries as members; four distinct
    people who already hold a seat, so no one becomes a cadre for the study requirement. A
    branch secretary's seat starts no earlier than their branch post, so no one's months in
    post grow either. No random draw: every later step of the generator stays as it was."""
    candidates = [(employed[5], start), (employed[8], start)]
    candidates += [(m, max(start, since)) for m, since in secretaries[2:] + secretaries[:2]]
    chosen: list[tuple[Member, str, dt.date]] = []
    seen: set[int] = set()
    for member, since in candidates:
        if member.pk in seen or member.status != MemberStatus.FULL:
            continue
        seen.add(member.pk)
        kind = PostKind.SECRETARY if not chosen else PostKind.COMMITTEE_MEMBER
        chosen.append((member, kind, since))
        if len(chosen) == LEADING_SEATS:
            break
    return chosen
