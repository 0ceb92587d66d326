"""Membership history: the services write dated spells, members.history reads them on any day."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.members import history, services, services_lifecycle
from dangjian.members.models import (
    LeaveReason,
    Member,
    MembershipSpell,
    MemberStatus,
    SpellEvent,
)
from dangjian.members.spells import resplit
from dangjian.orgs.models import Post, PostKind
from dangjian.orgs.services import add_post
from tests.conftest import TODAY, member_payload
from tests.helpers import assert_audited, last_seq

D = dt.date


def organ(demo) -> Actor:
    return Actor(user=demo.users["organ"], ip="10.0.0.9")


def spells_of(member) -> list[tuple]:
    return [
        (s.organization_id, s.status, s.started_on, s.ended_on, s.start_reason, s.end_reason)
        for s in MembershipSpell.objects.filter(member=member).order_by("started_on")
    ]


def new_member(demo, seed=1, org=None, **data):
    payload = member_payload(seed=seed, **data)
    member, _ = services.create_member(organ(demo), org or demo.branch, payload)
    return member


# ---- what the services write ------------------------------------------------------------------


def test_a_new_member_counts_from_admission_probationary_then_full(demo):
    m = new_member(demo, admitted_on="2015-07-01", confirmed_on="2016-07-03")
    b = demo.branch.pk
    assert spells_of(m) == [
        (b, "probationary", D(2015, 7, 1), D(2016, 7, 2), "admitted", "confirmed"),
        (b, "full", D(2016, 7, 3), None, "confirmed", ""),
    ]


def test_a_member_transferred_in_counts_from_the_transfer(demo):
    payload = member_payload(seed=2)
    m, _ = services.create_member(
        organ(demo), demo.branch, payload, transferred_in_on=D(2025, 3, 1)
    )
    assert spells_of(m) == [(demo.branch.pk, "full", D(2025, 3, 1), None, "transferred_in", "")]
    assert m.org_since == D(2025, 3, 1)


def test_confirm_extend_move_leave_restore_each_dated_and_audited(demo):
    actor = organ(demo)
    m = new_member(demo, seed=3, status="probationary", admitted_on="2025-06-01", confirmed_on="")
    b1, b2 = demo.branch.pk, demo.sibling_branch.pk

    seq = last_seq()
    services_lifecycle.extend_probation(actor, m, 6, D(2026, 5, 20))
    assert_audited(seq, AuditAction.UPDATE, m, message="延长预备期6个月")
    with pytest.raises(ServiceValidationError, match="只能延长一次"):
        services_lifecycle.extend_probation(actor, m, 6, D(2026, 5, 21))

    seq = last_seq()
    services.move_member(actor, m, demo.sibling_branch, on=D(2026, 9, 1))
    assert_audited(seq, AuditAction.MOVE, m, changes={"organization": [b1, b2]})

    seq = last_seq()
    services_lifecycle.confirm_member(actor, m, D(2026, 10, 8))
    assert_audited(seq, AuditAction.UPDATE, m, changes={"status": ["probationary", "full"]})

    seq = last_seq()
    services_lifecycle.end_membership(actor, m, D(2026, 11, 1), LeaveReason.SUSPENDED)
    assert_audited(seq, AuditAction.UPDATE, m, message="停止党籍")
    m.refresh_from_db()
    assert m.left_on == D(2026, 11, 1) and not Member.objects.current().filter(pk=m.pk).exists()

    services_lifecycle.restore_membership(actor, m, D(2026, 11, 20))
    assert spells_of(m) == [
        (b1, "probationary", D(2025, 6, 1), D(2026, 5, 19), "admitted", "extended"),
        (b1, "probationary", D(2026, 5, 20), D(2026, 8, 31), "extended", "moved"),
        (b2, "probationary", D(2026, 9, 1), D(2026, 10, 7), "moved", "confirmed"),
        (b2, "full", D(2026, 10, 8), D(2026, 10, 31), "confirmed", "suspended"),
        (b2, "full", D(2026, 11, 20), None, "restored", ""),
    ]
    assert m.probation_ends_on == D(2026, 12, 1)


def test_leaving_ends_the_members_posts_the_day_before(demo):
    m = new_member(demo, seed=4)
    post = add_post(organ(demo), demo.branch, m, PostKind.COMMITTEE_MEMBER, D(2024, 1, 1))
    services_lifecycle.end_membership(organ(demo), m, D(2026, 6, 1), LeaveReason.DIED)
    post.refresh_from_db()
    assert post.ended_on == D(2026, 5, 31)
    assert not history.committee_on(demo.branch, D(2026, 6, 1)).filter(member=m).exists()
    assert history.committee_on(demo.branch, D(2026, 5, 31)).filter(member=m).exists()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a, m: services_lifecycle.confirm_member(a, m, D(2026, 1, 1)), "已是正式党员"),
        (lambda a, m: services_lifecycle.end_membership(a, m, D(2026, 12, 1), "died"), "晚于今天"),
        (lambda a, m: services_lifecycle.end_membership(a, m, D(2026, 1, 1), "x"), "离开原因"),
        (lambda a, m: services_lifecycle.restore_membership(a, m, D(2026, 1, 1)), "无需恢复"),
        (lambda a, m: services_lifecycle.extend_probation(a, m, 6, D(2026, 1, 1)), "预备党员"),
    ],
)
def test_refused_events_write_nothing(demo, call, message):
    m = new_member(demo, seed=5)
    before, seq = spells_of(m), last_seq()
    with pytest.raises(ServiceValidationError, match=message):
        call(organ(demo), m)
    assert spells_of(m) == before and last_seq() == seq


def test_correcting_the_confirmation_date_resplits_the_history(demo):
    m = new_member(demo, seed=6)
    services.move_member(organ(demo), m, demo.sibling_branch, on=D(2020, 1, 1))
    data = member_payload(seed=6, confirmed_on="2016-09-01")
    services.update_member(organ(demo), m, data)
    assert [(s[1], s[2], s[3]) for s in spells_of(m)] == [
        ("probationary", D(2015, 7, 1), D(2016, 8, 31)),
        ("full", D(2016, 9, 1), D(2019, 12, 31)),
        ("full", D(2020, 1, 1), None),
    ]


def test_resplit_joins_status_cuts_and_cuts_again():
    def sp(start, end, status, why, end_why=""):
        return MembershipSpell(
            member_id=1,
            organization_id=7,
            status=status,
            started_on=start,
            ended_on=end,
            start_reason=why,
            end_reason=end_why,
        )

    stored = [
        sp(D(2020, 1, 1), D(2020, 12, 31), "probationary", "admitted", "confirmed"),
        sp(D(2021, 1, 1), None, "full", "confirmed"),
    ]
    out = resplit(stored, D(2019, 6, 1), D(2020, 6, 1))
    assert [(s.started_on, s.ended_on, s.status) for s in out] == [
        (D(2019, 6, 1), D(2020, 5, 31), "probationary"),
        (D(2020, 6, 1), None, "full"),
    ]
    assert [(s.started_on, s.status) for s in resplit(stored, D(2019, 6, 1), None)] == [
        (D(2019, 6, 1), "probationary")
    ]


# ---- the queries ------------------------------------------------------------------------------


def _root(demo):
    return demo.org["GW"]


def test_today_the_history_is_the_roster(demo):
    root = _root(demo)
    roster = Member.objects.current().filter(organization__path__startswith=root.path)
    assert set(history.members_on(root, TODAY)) == set(roster)
    full = history.members_on(root, TODAY, MemberStatus.FULL)
    assert set(full) == set(roster.filter(status=MemberStatus.FULL))
    counts = history.counts_on(demo.branch, TODAY)
    branch_roster = roster.filter(organization=demo.branch)
    assert counts[demo.branch.pk] == history.Counts(
        branch_roster.count(), branch_roster.filter(status=MemberStatus.FULL).count()
    )
    assert history.total(history.counts_on(root, TODAY)).members == roster.count()


def test_each_question_is_one_query_whatever_the_subtree(demo, django_assert_num_queries):
    for org in (_root(demo), demo.organ_committee, demo.branch):
        with django_assert_num_queries(1):
            list(history.members_on(org, D(2025, 6, 30), MemberStatus.FULL))
        with django_assert_num_queries(1):
            list(history.members_during(org, D(2025, 1, 1), D(2025, 12, 31)))
        with django_assert_num_queries(1):
            history.counts_during(org, D(2025, 1, 1), D(2025, 12, 31))
        with django_assert_num_queries(1):
            list(history.committee_on(org, D(2025, 6, 30)))


def test_a_branch_crossing_seven_full_members_mid_year(demo):
    """The issue's example: 6 full members in 2025, the 7th confirmed in January 2026."""
    actor = organ(demo)
    branch = demo.sibling_branch
    before_2025 = history.counts_on(branch, D(2025, 12, 31)).get(branch.pk, history.Counts())
    m = new_member(
        demo, seed=8, org=branch, status="probationary", admitted_on="2025-01-10", confirmed_on=""
    )
    services_lifecycle.confirm_member(actor, m, D(2026, 1, 10))
    dec = history.counts_on(branch, D(2025, 12, 31))[branch.pk]
    jan = history.counts_on(branch, D(2026, 1, 10))[branch.pk]
    assert dec.full == before_2025.full and dec.probationary == before_2025.probationary + 1
    assert jan.full == dec.full + 1
    year = history.counts_during(branch, D(2025, 1, 1), D(2025, 12, 31))[branch.pk]
    assert m not in history.members_during(branch, D(2025, 1, 1), D(2025, 12, 31), "full")
    assert year.members >= dec.members


def test_a_committee_member_leaving_the_committee_mid_year(demo):
    m = Member.objects.filter(organization=demo.branch).first()
    post = add_post(organ(demo), demo.branch, m, PostKind.COMMITTEE_MEMBER, D(2025, 1, 1))
    post.ended_on = D(2025, 6, 30)
    post.save()
    assert post in history.committee_during(demo.branch, D(2025, 1, 1), D(2025, 12, 31))
    assert post in history.committee_on(demo.branch, D(2025, 6, 30))
    assert post not in history.committee_on(demo.branch, D(2025, 7, 1))
    assert post not in history.committee_during(demo.branch, D(2025, 7, 1), D(2025, 12, 31))


# ---- replaying a random history reproduces every past answer ---------------------------------

ACTIONS = ["confirm", "move", "extend", "leave", "restore"]
event = st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS), st.integers(0, 240))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(admissions=st.lists(st.integers(0, 700), min_size=3, max_size=3), events=st.lists(event))
def test_replaying_the_history_reproduces_every_past_answer(demo, admissions, events):
    with transaction.atomic():
        _replay(demo, admissions, events)
        transaction.set_rollback(True)


def _replay(demo, admissions, events):
    """Apply random events through the services, keeping a plain model of who was where with
    which status from each day on; then ask the history about every day that matters."""
    actor = organ(demo)
    branches = [demo.branch, demo.sibling_branch]
    parent = demo.organ_committee
    members, model = [], []
    for i, offset in enumerate(admissions):
        admitted = D(2022, 1, 1) + dt.timedelta(days=offset)
        m = new_member(
            demo,
            seed=100 + i,
            status="probationary",
            admitted_on=admitted.isoformat(),
            confirmed_on="",
        )
        members.append(m)
        model.append([(admitted, 0, "probationary")])  # (from day, branch index or None, status)
    day = D(2023, 12, 1)
    for who, action, gap in events:
        day += dt.timedelta(days=gap)
        if day > TODAY:
            break
        m = Member.objects.get(pk=members[who].pk)
        _, where, status = model[who][-1]
        try:
            if action == "confirm":
                services_lifecycle.confirm_member(actor, m, day)
                change = (where, "full")
            elif action == "move":
                target = 1 - (m.organization_id == branches[1].pk)
                services.move_member(actor, m, branches[target], on=day)
                change = (target, status)
            elif action == "extend":
                services_lifecycle.extend_probation(actor, m, 6, day)
                change = (where, status)
            elif action == "leave":
                services_lifecycle.end_membership(actor, m, day, LeaveReason.WITHDREW)
                change = (None, status)
            else:
                services_lifecycle.restore_membership(actor, m, day)
                m.refresh_from_db()
                change = (branches.index(m.organization), m.status)
        except ServiceValidationError:
            continue
        model[who] = [c for c in model[who] if c[0] < day] + [(day, *change)]

    days = {TODAY, D(2022, 1, 1)}
    for changes in model:
        for start, *_ in changes:
            days |= {start, start - dt.timedelta(days=1)}
    ids = [m.pk for m in members]
    for d in sorted(days):
        expected = {}
        for m, changes in zip(members, model, strict=True):
            state = [c for c in changes if c[0] <= d]
            if state and state[-1][1] is not None:
                expected[m.pk] = (state[-1][1], state[-1][2])
        for index, branch in enumerate(branches):
            got = set(history.members_on(branch, d).filter(pk__in=ids).values_list("pk", flat=True))
            assert got == {pk for pk, (b, _) in expected.items() if b == index}, (d, branch.code)
        got_full = set(
            history.members_on(parent, d, MemberStatus.FULL)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        assert got_full == {pk for pk, (_, s) in expected.items() if s == "full"}, d
    # And today the history is the roster.
    roster = Member.objects.current().filter(pk__in=ids)
    assert set(history.members_on(parent, TODAY).filter(pk__in=ids)) == set(roster)
    for m in roster:
        assert history.members_on(m.organization, TODAY, m.status).filter(pk=m.pk).exists()


# ---- the migration ------------------------------------------------------------------------------


def test_the_migration_rebuilds_what_the_services_wrote(demo):
    """From admission and confirmation dates and the audit log's moves, the migration writes the
    same history as the services did (for members whose only events are those)."""
    m = new_member(demo, seed=9)
    services.move_member(organ(demo), m, demo.sibling_branch)
    # The demo's own past moves (demo.people.past_moves) are not in the audit log: left out.
    in_branch = Member.objects.filter(organization=demo.branch).exclude(
        spells__start_reason=SpellEvent.MOVED
    )
    written = {pk: spells_of(pk) for pk in [m.pk, *in_branch.values_list("pk", flat=True)]}
    MembershipSpell.objects.all().delete()
    migration = importlib.import_module("dangjian.members.migrations.0005_membership_history")
    migration.build_history(apps, None)
    for pk, spells in written.items():
        assert spells_of(pk) == spells, pk
    assert m.pk in set(history.members_on(demo.sibling_branch, TODAY).values_list("pk", flat=True))
    assert Post.objects.exists()  # posts keep their own dates: nothing to migrate
    assert SpellEvent.MOVED in {s[4] for s in spells_of(m)}


def test_a_member_who_left_leaves_the_roster_and_the_counts_but_not_the_history(demo):
    from dangjian.members.queries import MemberFilter, member_list
    from dangjian.structure.queries import committee_view

    m = new_member(demo, seed=10)
    before = committee_view(demo.branch).total_members
    services_lifecycle.end_membership(organ(demo), m, D(2026, 11, 2), LeaveReason.DIED)
    user = demo.users["organ"]
    assert m not in member_list(user, MemberFilter(org=demo.branch))
    assert committee_view(demo.branch).total_members == before - 1
    assert m in history.members_on(demo.branch, D(2026, 11, 1))
    assert m not in history.members_on(demo.branch, D(2026, 11, 2))


def test_the_demo_has_past_moves_that_todays_roster_does_not_show(demo):
    spell = MembershipSpell.objects.filter(start_reason=SpellEvent.MOVED).first()
    assert spell is not None
    before = MembershipSpell.objects.get(member=spell.member, end_reason=SpellEvent.MOVED)
    source = before.organization
    assert spell.member in history.members_on(source, before.ended_on)
    assert spell.member not in history.members_on(source, TODAY)
    assert spell.member in history.members_on(spell.organization, TODAY)
