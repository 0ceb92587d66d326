"""Synthetic party members for the demo: checksum-correct ID numbers, names, phones and dates."""

from __future__ import annotations

import datetime as dt
import random

from dangjian.core.pinyin import pinyin_keys
from dangjian.crypto import default_keyring
from dangjian.members.models import (
    Education,
    Member,
    MemberCategory,
    MembershipSpell,
    MemberStatus,
    SpellEvent,
)
from dangjian.members.spells import cut, first_spells, load, replace
from dangjian.orgs.models import Organization, Post, PostKind
from dangjian.regulations.membership import probation_end
from dangjian.regulations.synth import make_birth_date, make_id_number, make_name, make_phone

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
# The order in which a branch committee's seats are filled.
COMMITTEE_ORDER = [
    PostKind.SECRETARY,
    PostKind.ORGANIZATION_OFFICER,
    PostKind.PUBLICITY_OFFICER,
    PostKind.DISCIPLINE_OFFICER,
    PostKind.DEPUTY_SECRETARY,
]


def add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


class PeopleBuilder:
    """Makes unsaved Member objects from one random stream; no ID number is made twice."""

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
        adult = add_years(birth, 18)
        if probationary:
            admitted = self.today - dt.timedelta(days=rng.randint(30, 330))
            confirmed = None
        else:
            latest = min(self.today - dt.timedelta(days=400), add_years(birth, 45))
            start = add_years(adult, 2)
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


def save_people(members: list[Member], batch_size: int = 1000) -> None:
    """Insert the members and their membership history (from admission in their branch)."""
    Member.objects.bulk_create(members, batch_size=batch_size)
    if members and members[0].pk is None:  # engines without RETURNING (MySQL): look the ids up
        ids = dict(
            Member.objects.filter(
                id_number_index__in=[m.id_number_index for m in members]
            ).values_list("id_number_index", "pk")
        )
        for m in members:
            m.pk = ids[m.id_number_index]
    MembershipSpell.objects.bulk_create(
        [s for m in members for s in first_spells(m)], batch_size=batch_size
    )


def past_moves(members: list[Member], today: dt.date, seed: int = 12) -> int:
    """Give a department's history some moves that today's roster does not show: two members
    came to their branch from a sibling branch one to three years ago (their spells only; the
    roster, posts and meetings are unchanged). Uses a random stream of its own, so the rest of
    the demo is the same with or without it."""
    rng = random.Random(seed + len(members))
    branches = sorted({m.organization_id for m in members})
    if len(branches) < 2:
        return 0
    holders = set(Post.objects.filter(member__in=members).values_list("member_id", flat=True))
    candidates = [
        m
        for m in members
        if m.status == MemberStatus.FULL
        and m.confirmed_on
        and m.confirmed_on < add_years(today, -4)
        and m.pk not in holders
    ]
    moved = rng.sample(candidates, min(2, len(candidates)))
    stored = load(moved)
    new = {}
    for m in moved:
        source = rng.choice([b for b in branches if b != m.organization_id])
        day = today - dt.timedelta(days=rng.randint(365, 1095))
        history = stored[m.pk]
        # The member was in `source` until the day before `day`, then in today's branch.
        first = [_in(s, source) for s in history]
        new[m.pk] = cut(first, day, SpellEvent.MOVED, organization_id=m.organization_id)
    replace(new)
    return len(moved)


def _in(spell: MembershipSpell, organization_id: int) -> MembershipSpell:
    spell.organization_id = organization_id
    return spell
