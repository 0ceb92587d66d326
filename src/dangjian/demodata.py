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
from dangjian.crypto import default_keyring
from dangjian.members.models import Education, Member, MemberCategory, MemberStatus
from dangjian.members.pinyin import pinyin_keys
from dangjian.orgs.models import Organization, OrgKind, PostKind
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
    with transaction.atomic():
        _build(password=password, seed=seed, today=today or dt.date.today(), out=out)
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
