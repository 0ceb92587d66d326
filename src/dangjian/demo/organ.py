"""The demo organ: a realistic, fully synthetic 机关工委 with departments, branches and members.

No real person's data: names, ID numbers (checksum-correct) and phones come from
`regulations.synth` with a fixed seed, so every run builds the same organ.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction

from dangjian.accounts.models import User
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core import clock
from dangjian.demo.founding import found_from_records
from dangjian.demo.meetings import ORGAN_SCENARIO, generate_meetings
from dangjian.demo.people import (
    COMMITTEE_ORDER,
    PeopleBuilder,
    add_years,
    past_moves,
    save_people,
)
from dangjian.demo.users import DEFAULT_PASSWORD, create_demo_users
from dangjian.members.models import Member, MemberCategory, MemberStatus
from dangjian.orgs.models import Organization, OrgKind, PostKind
from dangjian.orgs.services import add_post, create_organization

ROOT_CODE = "GW"

# (department, code prefix, [(branch name, members, committee posts, term started)])
DEPARTMENTS = [
    (
        "市发展和改革委员会",
        "FGW",
        [
            ("办公室党支部", 18, 5, dt.date(2024, 6, 1)),
            ("综合规划处党支部", 14, 2, dt.date(2022, 5, 1)),  # committee too small, term run out
            # under 7 full members: a secretary only
            ("价格管理处党支部", 5, 1, dt.date(2024, 9, 1)),
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
COMMITTEE_TERM = (dt.date(2023, 6, 1), dt.date(2028, 6, 1))


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
        found_from_records(root, today)  # a meeting held before an organization's first post
    return True


class _Organ:
    """Builds the organ department by department; `first` keeps who the demo accounts are."""

    def __init__(self, seed: int, today: dt.date):
        self.rng = random.Random(seed)
        self.actor = Actor.system("demo")
        self.people = PeopleBuilder(self.rng, today)
        self.first: dict[str, object] = {}
        self.total = 0

    def org(self, parent, name, kind, code, term=None) -> Organization:
        started, ends = term or (None, None)
        return create_organization(
            self.actor,
            parent,
            name=name,
            kind=kind,
            code=code,
            term_started_on=started,
            term_ends_on=ends,
        )

    def department(self, root: Organization, index: int, dept: str, prefix: str, branches) -> None:
        group = self.org(root, f"{dept}党组", OrgKind.LEADING_GROUP, f"{prefix}-DZ")
        committee = self.org(
            group, f"{dept}机关党委", OrgKind.ORGAN_COMMITTEE, f"{prefix}-JGDW", COMMITTEE_TERM
        )
        discipline = self.org(
            committee,
            f"{dept}机关纪委",
            OrgKind.ORGAN_DISCIPLINE_COMMITTEE,
            f"{prefix}-JW",
            COMMITTEE_TERM,
        )
        general = self.org(
            committee,
            f"{dept}机关党总支",
            OrgKind.GENERAL_BRANCH,
            f"{prefix}-ZZ",
            (dt.date(2024, 1, 1), dt.date(2027, 1, 1)),
        )
        dept_members: list[Member] = []
        secretaries: list[Member] = []  # each branch's first member, its secretary
        for b_index, spec in enumerate(branches):
            # The last two branches of each department sit under the general branch.
            parent = general if b_index >= len(branches) - 2 else committee
            members = self.branch(parent, f"{prefix}-B{b_index + 1:02d}", *spec)
            dept_members += members
            secretaries.append(members[0])
        # The organ committee's secretary is full-time; its members come from the branches.
        employed = [
            m
            for m in dept_members
            if m.category == MemberCategory.EMPLOYED and m.status == MemberStatus.FULL
        ]
        start = COMMITTEE_TERM[0]
        add_post(self.actor, committee, employed[2], PostKind.SECRETARY, start, full_time=True)
        add_post(self.actor, committee, employed[5], PostKind.DEPUTY_SECRETARY, start)
        add_post(self.actor, committee, employed[8], PostKind.COMMITTEE_MEMBER, start)
        add_post(self.actor, discipline, employed[11], PostKind.SECRETARY, start)
        # The 党组: four leading cadres who already hold a seat (no demo account's own member,
        # no one new to the cadres' study requirement). They hold its 民主生活会.
        for member, kind in (
            (employed[5], PostKind.SECRETARY),
            (employed[8], PostKind.COMMITTEE_MEMBER),
            (secretaries[2], PostKind.COMMITTEE_MEMBER),
            (secretaries[3], PostKind.COMMITTEE_MEMBER),
        ):
            add_post(self.actor, group, member, kind, start)
        past_moves(dept_members, self.people.today)
        if index == 0:
            self.first.update(
                committee=committee, organ_officer=employed[2], inspector=employed[11]
            )

    def branch(self, parent, code, name, size, seats, term_start) -> list[Member]:
        branch = self.org(
            parent, name, OrgKind.BRANCH, code, (term_start, add_years(term_start, 3))
        )
        groups = []
        if size >= 12:
            groups = [
                self.org(branch, f"第{'一二三'[g]}党小组", OrgKind.PARTY_GROUP, f"{code}-G{g + 1}")
                for g in range(2 if size < 20 else 3)
            ]
        retired = name.startswith("离退休")
        members = []
        for i in range(size):
            probationary = not retired and i >= 3 and self.rng.random() < 0.08
            m = self.people.person(branch, retired=retired, probationary=probationary)
            if groups:
                m.party_group = groups[i % len(groups)]
            members.append(m)
        save_people(members)
        self.total += len(members)
        for seat, member in zip(COMMITTEE_ORDER[:seats], members, strict=False):
            add_post(self.actor, branch, member, seat, term_start)
        for group_org, member in zip(groups, members[seats:], strict=False):
            add_post(self.actor, group_org, member, PostKind.GROUP_LEADER, term_start)
        if "branch" not in self.first:
            self.first.update(branch=branch, secretary=members[0], member=members[seats + 1])
        return members


def _build(*, password: str, seed: int, today: dt.date, out: Callable[[str], None]) -> None:
    organ = _Organ(seed, today)
    root = organ.org(None, "示范市直属机关工作委员会", OrgKind.WORKING_COMMITTEE, ROOT_CODE)
    for index, (dept, prefix, branches) in enumerate(DEPARTMENTS):
        organ.department(root, index, dept, prefix, branches)
    found_from_records(root, today)
    record(
        organ.actor,
        AuditAction.CREATE,
        object_type="members.member",
        object_repr="演示数据",
        message=f"生成演示数据：{organ.total} 名党员（合成数据，非真实人员）",
    )
    create_demo_users(organ.actor, password, **organ.first)
    out(
        f"已生成演示数据：{Organization.objects.count()} 个党组织，{organ.total} 名党员，"
        f"{User.objects.count()} 个账号。"
    )
