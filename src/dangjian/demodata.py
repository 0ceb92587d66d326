"""The demo organ: a realistic, fully synthetic 机关工委 with departments, branches and members.

No real person's data: names, ID numbers (checksum-correct) and phones come from
`regulations.synth` with a fixed seed, so every run builds the same organ.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction

from dangjian.accounts.models import Role, User
from dangjian.accounts.services import assign_role, create_user
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core import clock
from dangjian.crypto import default_keyring
from dangjian.demodata_meetings import ORGAN_SCENARIO, generate_meetings
from dangjian.members.models import Education, Member, MemberCategory, MemberStatus
from dangjian.members.pinyin import pinyin_keys
from dangjian.orgs.models import Organization, OrgKind, Post, PostKind
from dangjian.orgs.services import add_post, create_organization
from dangjian.regulations.membership import probation_end
from dangjian.regulations.synth import make_birth_date, make_id_number, make_name, make_phone

DEFAULT_PASSWORD = "Dangjian@2026"  # noqa: S105 (the published demo password)
ROOT_CODE = "GW"
DEMO_USERS = [
    ("sysadmin", "系统管理员"),
    ("secadmin", "安全管理员"),
    ("auditor", "审计员"),
    ("organ", "机关党委（第一个部门）"),
    ("inspector", "机关纪委（第一个部门）"),
    ("secretary", "支部书记（第一个部门的第一个党支部）"),
    ("member", "普通党员（同一党支部）"),
]

# (department, code prefix, [(branch name, members, committee posts, term started)])
DEPARTMENTS = [
    (
        "市发展和改革委员会",
        "FGW",
        [
            ("办公室党支部", 18, 5, dt.date(2024, 6, 1)),
            ("综合规划处党支部", 14, 2, dt.date(2022, 5, 1)),  # committee too small, term run out
            (
                "价格管理处党支部",
                5,
                1,
                dt.date(2024, 9, 1),
            ),  # under 7 full members: a secretary only
            ("离退休干部党支部", 16, 3, dt.date(2023, 12, 1)),
        ],
    ),
    (
        "市财政局",
        "CZJ",
        [
            ("办公室党支部", 17, 3, dt.date(2024, 3, 1)),
            ("预算处党支部", 15, 3, dt.date(2023, 4, 1)),
            ("国库处党支部", 12, 3, dt.date(2025, 1, 1)),
            ("税政处党支部", 9, 3, dt.date(2024, 11, 1)),
            ("离退休干部党支部", 14, 3, dt.date(2024, 5, 1)),
        ],
    ),
    (
        "市教育局",
        "JYJ",
        [
            ("办公室党支部", 22, 5, dt.date(2025, 3, 1)),
            ("基础教育处党支部", 16, 3, dt.date(2023, 10, 1)),
            ("职业教育处党支部", 13, 3, dt.date(2024, 2, 1)),
            ("离退休干部党支部", 15, 3, dt.date(2024, 7, 1)),
        ],
    ),
]
JOB_TITLES = [
    "科员",
    "副主任科员",
    "主任科员",
    "四级调研员",
    "三级调研员",
    "副处长",
    "处长",
    "一级主任科员",
]
COMMITTEE_ORDER = [
    PostKind.SECRETARY,
    PostKind.ORGANIZATION_OFFICER,
    PostKind.PUBLICITY_OFFICER,
    PostKind.DISCIPLINE_OFFICER,
    PostKind.DEPUTY_SECRETARY,
]


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


class _Builder:
    def __init__(self, rng: random.Random, today: dt.date):
        self.rng = rng
        self.today = today
        self.keyring = default_keyring()
        self.used_ids: set[str] = set()

    def person(self, org: Organization, *, retired: bool, probationary: bool) -> Member:
        rng = self.rng
        gender = rng.choice(["male", "female"])
        if retired:
            birth = make_birth_date(rng, self.today, min_age=61, max_age=85)
        else:
            birth = make_birth_date(rng, self.today, min_age=24, max_age=59)
        while True:
            id_number = make_id_number(rng, birth, gender)
            if id_number not in self.used_ids:
                self.used_ids.add(id_number)
                break
        name = make_name(rng, gender)
        phone = make_phone(rng)
        adult = _add_years(birth, 18)
        if probationary:
            admitted = self.today - dt.timedelta(days=rng.randint(30, 330))
            confirmed = None
        else:
            latest = min(self.today - dt.timedelta(days=400), _add_years(birth, 45))
            start = _add_years(adult, 2)
            admitted = start + dt.timedelta(days=rng.randint(0, max((latest - start).days, 1)))
            confirmed = probation_end(admitted) + dt.timedelta(days=rng.randint(0, 20))
        full, initials = pinyin_keys(name)
        return Member(
            name=name,
            name_pinyin=full,
            name_initials=initials,
            gender=gender,
            birth_date=birth,
            ethnicity=rng.choices(
                ["汉族", "回族", "满族", "蒙古族", "壮族"], weights=[90, 3, 3, 2, 2]
            )[0],
            education=rng.choice(
                [
                    Education.POSTGRADUATE,
                    Education.UNIVERSITY,
                    Education.UNIVERSITY,
                    Education.COLLEGE,
                ]
            ),
            id_number_encrypted=self.keyring.encrypt(id_number),
            id_number_index=self.keyring.blind_index(id_number),
            phone_encrypted=self.keyring.encrypt(phone),
            phone_index=self.keyring.blind_index(phone),
            organization=org,
            status=MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
            category=MemberCategory.RETIRED
            if retired
            else rng.choices([MemberCategory.EMPLOYED, MemberCategory.OTHER], weights=[95, 5])[0],
            admitted_on=admitted,
            confirmed_on=confirmed,
            probation_ends_on=probation_end(admitted),
            # The demo's meeting history reaches back years: its records start at admission.
            org_since=admitted,
            job_title="" if retired else rng.choice(JOB_TITLES),
        )


def ensure_demo(
    *,
    password: str = DEFAULT_PASSWORD,
    seed: int = 20261125,
    today: dt.date | None = None,
    out: Callable[[str], None] = lambda s: None,
) -> bool:
    """Build the demo organ once; return False (and change nothing) when it already exists."""
    if Organization.objects.filter(code=ROOT_CODE).exists():
        return False
    today = today or clock.today()
    with transaction.atomic():
        _build(password=password, seed=seed, today=today, out=out)
        root = Organization.objects.get(code=ROOT_CODE)
        generate_meetings([root], today=today, seed=seed, scenario=ORGAN_SCENARIO)
    return True


def _build(*, password: str, seed: int, today: dt.date, out: Callable[[str], None]) -> None:
    rng = random.Random(seed)
    actor = Actor.system("demo")
    builder = _Builder(rng, today)
    root = create_organization(
        actor, None, name="示范市直属机关工作委员会", kind=OrgKind.WORKING_COMMITTEE, code=ROOT_CODE
    )
    first: dict[str, object] = {}
    total = 0
    for d_index, (dept, prefix, branches) in enumerate(DEPARTMENTS):
        group = create_organization(
            actor, root, name=f"{dept}党组", kind=OrgKind.LEADING_GROUP, code=f"{prefix}-DZ"
        )
        committee = create_organization(
            actor,
            group,
            name=f"{dept}机关党委",
            kind=OrgKind.ORGAN_COMMITTEE,
            code=f"{prefix}-JGDW",
            term_started_on=dt.date(2023, 6, 1),
            term_ends_on=dt.date(2028, 6, 1),
        )
        discipline = create_organization(
            actor,
            committee,
            name=f"{dept}机关纪委",
            kind=OrgKind.ORGAN_DISCIPLINE_COMMITTEE,
            code=f"{prefix}-JW",
            term_started_on=dt.date(2023, 6, 1),
            term_ends_on=dt.date(2028, 6, 1),
        )
        general = create_organization(
            actor,
            committee,
            name=f"{dept}机关党总支",
            kind=OrgKind.GENERAL_BRANCH,
            code=f"{prefix}-ZZ",
            term_started_on=dt.date(2024, 1, 1),
            term_ends_on=dt.date(2027, 1, 1),
        )
        dept_members: list[Member] = []
        for b_index, (name, size, seats, term_start) in enumerate(branches):
            # The last two branches of each department sit under the general branch.
            parent = general if b_index >= len(branches) - 2 else committee
            branch = create_organization(
                actor,
                parent,
                name=name,
                kind=OrgKind.BRANCH,
                code=f"{prefix}-B{b_index + 1:02d}",
                term_started_on=term_start,
                term_ends_on=_add_years(term_start, 3),
            )
            groups = []
            if size >= 12:
                for g in range(2 if size < 20 else 3):
                    groups.append(
                        create_organization(
                            actor,
                            branch,
                            name=f"第{'一二三'[g]}党小组",
                            kind=OrgKind.PARTY_GROUP,
                            code=f"{prefix}-B{b_index + 1:02d}-G{g + 1}",
                        )
                    )
            retired = name.startswith("离退休")
            members = []
            for i in range(size):
                probationary = not retired and i >= 3 and rng.random() < 0.08
                m = builder.person(branch, retired=retired, probationary=probationary)
                if groups:
                    m.party_group = groups[i % len(groups)]
                members.append(m)
            Member.objects.bulk_create(members)
            total += len(members)
            for seat, member in zip(COMMITTEE_ORDER[:seats], members, strict=False):
                add_post(actor, branch, member, seat, term_start)
            for group_org, member in zip(groups, members[seats:], strict=False):
                add_post(actor, group_org, member, PostKind.GROUP_LEADER, term_start)
            dept_members.extend(members)
            if d_index == 0 and b_index == 0:
                first.update(branch=branch, secretary=members[0], member=members[seats + 1])
        # The organ committee's secretary is full-time; its members come from the branches.
        employed = [
            m
            for m in dept_members
            if m.category == MemberCategory.EMPLOYED and m.status == MemberStatus.FULL
        ]
        add_post(
            actor, committee, employed[2], PostKind.SECRETARY, dt.date(2023, 6, 1), full_time=True
        )
        add_post(actor, committee, employed[5], PostKind.DEPUTY_SECRETARY, dt.date(2023, 6, 1))
        add_post(actor, committee, employed[8], PostKind.COMMITTEE_MEMBER, dt.date(2023, 6, 1))
        add_post(actor, discipline, employed[11], PostKind.SECRETARY, dt.date(2023, 6, 1))
        if d_index == 0:
            first.update(committee=committee, organ_officer=employed[2], inspector=employed[11])
    record(
        actor,
        AuditAction.CREATE,
        object_type="members.member",
        object_repr="演示数据",
        message=f"生成演示数据：{total} 名党员（合成数据，非真实人员）",
    )

    def user(username, display, role, org=None, member=None):
        u = create_user(actor, username, password, display_name=display, member=member)
        assign_role(actor, u, role, org)
        return u

    user("sysadmin", "系统管理员", Role.SYSADMIN)
    user("secadmin", "安全管理员", Role.SECADMIN)
    user("auditor", "审计员", Role.AUDITOR)
    user(
        "organ",
        first["organ_officer"].name,
        Role.ORGAN_COMMITTEE,
        first["committee"],
        first["organ_officer"],
    )
    user(
        "inspector",
        first["inspector"].name,
        Role.DISCIPLINE,
        first["committee"],
        first["inspector"],
    )
    user(
        "secretary",
        first["secretary"].name,
        Role.BRANCH_SECRETARY,
        first["branch"],
        first["secretary"],
    )
    # An ordinary member holds no role: their own record is their whole scope.
    create_user(
        actor, "member", password, display_name=first["member"].name, member=first["member"]
    )
    out(
        f"已生成演示数据：{Organization.objects.count()} 个党组织，{total} 名党员，{User.objects.count()} 个账号。"
    )


# ---- province scale --------------------------------------------------------------------------
# `dangjian demo --scale province`: the demo organ above plus about a hundred more departments
# under the same 机关工委, ≈3,000 branches and ≈60,000 members, with three years of meetings.
# Everything is written in bulk, with one summary audit event per step.

PROVINCE_PREFIX = "S"
PROVINCE_USER = ("gongwei", "机关工委（全部组织，省级规模演示）")
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
    "orgs_post",
    "members_member",
    "meetings_meeting",
    "meetings_attendance",
    "meetings_meetingseries",
)


def _analyze() -> None:
    """Refresh the planner's statistics after a bulk load (outside the transaction: on
    MariaDB, ANALYZE TABLE commits)."""
    from django.db import connection

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
    import time

    started = time.perf_counter()
    rng = random.Random(seed)
    actor = Actor.system("demo")
    root = Organization.objects.get(code=ROOT_CODE)
    builder = _Builder(rng, today)
    builder.used_ids.update(m.id_number for m in Member.objects.all())

    # Organizations, level by level (each level needs its parents' ids for the next).
    per_dept = [branches // departments + (i < branches % departments) for i in range(departments)]
    sizes = _province_branch_sizes(rng, branches, members)
    leading, committees, lower = [], [], []
    for d in range(departments):
        code = f"{PROVINCE_PREFIX}{d + 1:03d}"
        stem = PROVINCE_DEPARTMENT_STEMS[d % len(PROVINCE_DEPARTMENT_STEMS)]
        name = (
            f"示范省{stem}"
            if d < len(PROVINCE_DEPARTMENT_STEMS)
            else f"示范省{stem}（第{d // len(PROVINCE_DEPARTMENT_STEMS) + 1}单元）"
        )
        leading.append(
            _node(
                root,
                root.numchild + d + 1,
                name=f"{name}党组",
                kind=OrgKind.LEADING_GROUP,
                code=f"{code}-DZ",
            )
        )
    Organization.objects.bulk_create(leading, batch_size=500)
    for group in leading:
        committee_start = today - dt.timedelta(days=rng.randint(200, 1700))
        committees.append(
            _node(
                group,
                1,
                name=group.name.replace("党组", "机关党委"),
                kind=OrgKind.ORGAN_COMMITTEE,
                code=group.code.replace("-DZ", "-JGDW"),
                term_started_on=committee_start,
                term_ends_on=_add_years(committee_start, 5),
            )
        )
        group.numchild = 1
    Organization.objects.bulk_create(committees, batch_size=500)
    branch_specs: list[tuple[Organization, int, int]] = []  # (branch, size, committee seats)
    size_iter = iter(sizes)
    general_of: dict[int, Organization] = {}
    for d, committee in enumerate(committees):
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
        general_start = today - dt.timedelta(days=rng.randint(100, 1200))
        general = _node(
            committee,
            2,
            name=committee.name.replace("机关党委", "机关党总支"),
            kind=OrgKind.GENERAL_BRANCH,
            code=f"{code}-ZZ",
            term_started_on=general_start,
            term_ends_on=_add_years(general_start, 3),
        )
        general_of[d] = general
        lower.extend([discipline, general])
        committee.numchild = 2
    Organization.objects.bulk_create(lower, batch_size=500)
    branch_orgs: list[Organization] = []
    for d, committee in enumerate(committees):
        general = general_of[d]
        code = committee.code.replace("-JGDW", "")
        count = per_dept[d]
        under_general = count // 3
        for b in range(count):
            size = next(size_iter)
            start = today - dt.timedelta(days=rng.randint(30, 1290))
            division = PROVINCE_DIVISIONS[b % len(PROVINCE_DIVISIONS)]
            name = "离退休干部党支部" if b == count - 1 else f"{division}党支部"
            if b >= len(PROVINCE_DIVISIONS) and b != count - 1:
                name = f"{division}第{b // len(PROVINCE_DIVISIONS) + 1}党支部"
            parent = general if b >= count - under_general else committee
            parent.numchild += 1
            branch = _node(
                parent,
                parent.numchild,
                name=name,
                kind=OrgKind.BRANCH,
                code=f"{code}-B{b + 1:02d}",
                term_started_on=start,
                term_ends_on=_add_years(start, 3),
            )
            branch_orgs.append(branch)
            branch_specs.append((branch, size, 0))
    Organization.objects.bulk_create(branch_orgs, batch_size=1000)
    Organization.objects.bulk_update(
        committees + list(general_of.values()), ["numchild"], batch_size=500
    )
    groups: list[Organization] = []
    groups_of: dict[str, list[Organization]] = {}
    for branch, size, _ in branch_specs:
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
            groups_of[branch.code] = made
            groups.extend(made)
    Organization.objects.bulk_create(groups, batch_size=1000)
    Organization.objects.bulk_update(
        [b for b, _, _ in branch_specs if b.numchild], ["numchild"], batch_size=1000
    )
    Organization.objects.filter(pk=root.pk).update(numchild=root.numchild + departments)
    Organization.objects.bulk_update(leading, ["numchild"], batch_size=500)
    org_count = len(leading) + len(committees) + len(lower) + len(branch_orgs) + len(groups)
    record(
        actor,
        AuditAction.CREATE,
        object_type="orgs.organization",
        object_repr="演示数据（省级规模）",
        message=f"批量生成演示党组织 {org_count} 个（合成数据）",
    )
    out(
        f"  党组织 {org_count} 个（{len(branch_orgs)} 个党支部）：{time.perf_counter() - started:.0f} 秒"
    )

    # Members, branch by branch, written in big batches.
    people: list[Member] = []
    by_branch: dict[str, list[Member]] = {}
    total = 0
    for branch, size, _ in branch_specs:
        retired = branch.name.startswith("离退休")
        made = []
        branch_groups = groups_of.get(branch.code, [])
        for i in range(size):
            probationary = not retired and i >= 3 and rng.random() < 0.06
            m = builder.person(branch, retired=retired, probationary=probationary)
            if branch_groups:
                m.party_group = branch_groups[i % len(branch_groups)]
            made.append(m)
        by_branch[branch.code] = made
        people.extend(made)
        if len(people) >= 10000:
            Member.objects.bulk_create(people, batch_size=1000)
            total += len(people)
            people = []
    Member.objects.bulk_create(people, batch_size=1000)
    total += len(people)
    record(
        actor,
        AuditAction.CREATE,
        object_type="members.member",
        object_repr="演示数据（省级规模）",
        message=f"批量生成演示党员 {total} 名（合成数据，非真实人员）",
    )
    out(f"  党员 {total} 名：{time.perf_counter() - started:.0f} 秒")

    # Posts: branch committees (or a secretary alone below 7 full members), group leaders,
    # and each department's organ committee and discipline committee.
    posts: list[Post] = []
    dept_people: dict[str, list[Member]] = {}
    for branch, _, _ in branch_specs:
        made = by_branch[branch.code]
        full = sum(m.status == MemberStatus.FULL for m in made)
        seats = rng.choice([3, 4, 5, 5]) if full >= 7 else rng.choice([1, 1, 2])
        for seat, member in zip(COMMITTEE_ORDER[:seats], made, strict=False):
            posts.append(
                Post(
                    organization=branch, member=member, kind=seat, started_on=branch.term_started_on
                )
            )
        for group_org, member in zip(groups_of.get(branch.code, []), made[seats:], strict=False):
            posts.append(
                Post(
                    organization=group_org,
                    member=member,
                    kind=PostKind.GROUP_LEADER,
                    started_on=branch.term_started_on,
                )
            )
        dept_people.setdefault(branch.code.split("-")[0], []).extend(
            m
            for m in made
            if m.category == MemberCategory.EMPLOYED and m.status == MemberStatus.FULL
        )
    for committee, discipline in zip(committees, lower[0::2], strict=True):
        employed = dept_people[committee.code.split("-")[0]]
        started_on = committee.term_started_on
        posts.append(
            Post(
                organization=committee,
                member=employed[2],
                kind=PostKind.SECRETARY,
                started_on=started_on,
                full_time=True,
            )
        )
        posts.append(
            Post(
                organization=committee,
                member=employed[5],
                kind=PostKind.DEPUTY_SECRETARY,
                started_on=started_on,
            )
        )
        posts.append(
            Post(
                organization=committee,
                member=employed[8],
                kind=PostKind.COMMITTEE_MEMBER,
                started_on=started_on,
            )
        )
        posts.append(
            Post(
                organization=discipline,
                member=employed[11],
                kind=PostKind.SECRETARY,
                started_on=started_on,
            )
        )
    Post.objects.bulk_create(posts, batch_size=2000)
    record(
        actor,
        AuditAction.CREATE,
        object_type="orgs.post",
        object_repr="演示数据（省级规模）",
        message=f"批量生成演示职务 {len(posts)} 条（合成数据）",
    )
    out(f"  职务 {len(posts)} 条：{time.perf_counter() - started:.0f} 秒")

    generate_meetings(leading, today=today, seed=seed, organ_skip=0.1, out=out)
    out(f"  会议与出勤：{time.perf_counter() - started:.0f} 秒")

    username, display = PROVINCE_USER
    if not User.objects.filter(username=username).exists():
        u = create_user(actor, username, password, display_name=display)
        assign_role(actor, u, Role.ORGAN_COMMITTEE, root)
    out(
        f"已生成省级规模演示数据：{Organization.objects.count()} 个党组织，"
        f"{Member.objects.count()} 名党员。"
    )
