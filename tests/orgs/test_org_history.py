"""The organizations' dated history: founding (成立), a change of kind, dissolution (撤销 / 合并)
written by the audited services, and read on a day by `orgs.history` in constant queries."""

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
from dangjian.members import services as member_services
from dangjian.orgs import history
from dangjian.orgs.models import Organization, OrganizationSpell, OrgEvent, OrgKind, PostKind
from dangjian.orgs.services import add_post, create_organization
from dangjian.structure.services import change_kind, dissolve_organization
from tests.conftest import TODAY, member_payload
from tests.helpers import assert_audited, last_seq

D = dt.date
ONE = dt.timedelta(days=1)


def organ(demo) -> Actor:
    return Actor(user=demo.users["organ"], ip="10.0.0.9")


FOUNDED = D(2024, 3, 1)


def new_org(demo, code, kind=OrgKind.BRANCH, founded_on=FOUNDED, parent=None):
    return create_organization(
        organ(demo),
        parent or demo.organ_committee,
        name=f"测试{code}党组织",
        kind=kind,
        code=code,
        founded_on=founded_on,
    )


def spells_of(org) -> list[tuple]:
    return [
        (s.kind, s.started_on, s.ended_on, s.start_reason, s.end_reason)
        for s in OrganizationSpell.objects.filter(organization=org).order_by("started_on")
    ]


def kind_on(org, day) -> str | None:
    return history.kinds_on(org, day).get(org.pk)


def counts(root, day) -> dict[str, tuple[int, int | None]]:
    return {k.kind: (k.organizations, k.with_committee) for k in history.kind_counts_on(root, day)}


# ---- founding ---------------------------------------------------------------------------------


def test_an_organization_exists_from_its_founding_day(demo):
    seq = last_seq()
    org = new_org(demo, "T-F1", founded_on=D(2024, 3, 1))
    assert spells_of(org) == [(OrgKind.BRANCH, D(2024, 3, 1), None, OrgEvent.FOUNDED, "")]
    event = assert_audited(seq, AuditAction.CREATE, org)
    assert event.changes["founded_on"] == [None, "2024-03-01"]
    root = demo.organ_committee
    assert kind_on(org, D(2024, 2, 29)) is None
    assert kind_on(org, D(2024, 3, 1)) == OrgKind.BRANCH
    assert kind_on(org, D(2024, 3, 2)) == OrgKind.BRANCH
    before, on = counts(root, D(2024, 2, 29)), counts(root, D(2024, 3, 1))
    assert on[OrgKind.BRANCH][0] == before[OrgKind.BRANCH][0] + 1
    assert org in history.organizations_on(root, D(2024, 3, 1))
    assert org not in history.organizations_on(root, D(2024, 2, 29))


def test_founding_defaults_to_today_and_refuses_bad_days(demo):
    org = create_organization(
        organ(demo), demo.organ_committee, name="今天成立", kind=OrgKind.BRANCH, code="T-F2"
    )
    assert spells_of(org)[0][1] == TODAY
    seq, n = last_seq(), Organization.objects.count()
    for founded, field in ((TODAY + ONE, "founded_on"), (D(1900, 1, 1), "founded_on")):
        with pytest.raises(ServiceValidationError) as err:
            new_org(demo, "T-F3", founded_on=founded)
        assert field in err.value.errors
    assert (last_seq(), Organization.objects.count()) == (seq, n)


# ---- dissolution ------------------------------------------------------------------------------


def test_a_dissolved_organization_counts_up_to_the_day_before(demo):
    org = new_org(demo, "T-D1", founded_on=D(2024, 3, 1))
    seq = last_seq()
    dissolve_organization(organ(demo), org, D(2025, 7, 1))
    assert spells_of(org) == [
        (OrgKind.BRANCH, D(2024, 3, 1), D(2025, 6, 30), OrgEvent.FOUNDED, OrgEvent.DISSOLVED)
    ]
    assert_audited(
        seq,
        AuditAction.UPDATE,
        org,
        changes={"dissolved_on": [None, "2025-07-01"], "reason": [None, "dissolved"]},
    )
    assert kind_on(org, D(2025, 6, 30)) == OrgKind.BRANCH
    assert kind_on(org, D(2025, 7, 1)) is None
    assert kind_on(org, D(2025, 7, 2)) is None
    root = demo.organ_committee
    assert counts(root, D(2025, 6, 30))[OrgKind.BRANCH][0] == (
        counts(root, D(2025, 7, 1))[OrgKind.BRANCH][0] + 1
    )
    # Dissolved once is enough; nothing under it can be founded any more.
    with pytest.raises(ServiceValidationError, match="已撤销"):
        dissolve_organization(organ(demo), org, D(2025, 8, 1))
    with pytest.raises(ServiceValidationError) as err:
        new_org(demo, "T-D1-G", OrgKind.PARTY_GROUP, D(2025, 8, 1), parent=org)
    assert "parent" in err.value.errors


def test_merging_names_the_organization_merged_into(demo):
    org = new_org(demo, "T-M1")
    seq = last_seq()
    dissolve_organization(organ(demo), org, D(2025, 1, 1), merged_into=demo.sibling_branch)
    event = assert_audited(seq, AuditAction.UPDATE, org)
    assert event.changes["merged_into"] == [None, demo.sibling_branch.code]
    assert spells_of(org)[-1][4] == OrgEvent.MERGED


def test_dissolution_is_refused_while_anything_still_belongs_to_it(demo):
    actor = organ(demo)
    seq = last_seq()
    before = spells_of(demo.branch)
    # The demo branch has members and posts today; the organ committee has branches below it.
    with pytest.raises(ServiceValidationError) as err:
        dissolve_organization(actor, demo.branch, D(2026, 1, 1))
    assert {"members", "posts"} <= set(err.value.errors)
    with pytest.raises(ServiceValidationError) as err:
        dissolve_organization(actor, demo.organ_committee, D(2026, 1, 1))
    assert "children" in err.value.errors
    org = new_org(demo, "T-D2", founded_on=D(2024, 3, 1))
    for day in (D(2024, 3, 1), TODAY + ONE):  # not after the founding; in the future
        with pytest.raises(ServiceValidationError):
            dissolve_organization(actor, org, day)
    with pytest.raises(ServiceValidationError) as err:
        dissolve_organization(actor, org, D(2025, 1, 1), merged_into=org)
    assert "merged_into" in err.value.errors
    assert spells_of(demo.branch) == before
    assert spells_of(org)[0][2] is None
    assert last_seq() == seq + 1  # only the founding of T-D2


def test_a_member_who_belonged_after_the_day_blocks_the_dissolution(demo):
    org = new_org(demo, "T-D3", founded_on=D(2020, 1, 1))
    member, _ = member_services.create_member(
        organ(demo),
        org,
        member_payload(seed=71, admitted_on="2021-03-01", confirmed_on="2022-03-01"),
    )
    member_services.move_member(organ(demo), member, demo.branch, on=D(2025, 5, 1))
    with pytest.raises(ServiceValidationError) as err:
        dissolve_organization(organ(demo), org, D(2025, 4, 30))  # they were still there
    assert "members" in err.value.errors
    dissolve_organization(organ(demo), org, D(2025, 5, 1))
    assert kind_on(org, D(2025, 4, 30)) == OrgKind.BRANCH
    assert kind_on(org, D(2025, 5, 1)) is None


# ---- change of kind ---------------------------------------------------------------------------


def test_a_kind_change_counts_the_old_kind_before_the_day_and_the_new_one_from_it(demo):
    org = new_org(demo, "T-K1", founded_on=D(2023, 1, 1))
    seq = last_seq()
    change_kind(organ(demo), org, OrgKind.GENERAL_BRANCH, D(2025, 3, 1))
    org.refresh_from_db()
    assert org.kind == OrgKind.GENERAL_BRANCH
    assert spells_of(org) == [
        (OrgKind.BRANCH, D(2023, 1, 1), D(2025, 2, 28), OrgEvent.FOUNDED, OrgEvent.KIND_CHANGED),
        (OrgKind.GENERAL_BRANCH, D(2025, 3, 1), None, OrgEvent.KIND_CHANGED, ""),
    ]
    event = assert_audited(seq, AuditAction.UPDATE, org)
    assert event.changes == {
        "kind": ["branch", "general_branch"],
        "changed_on": [None, "2025-03-01"],
    }
    assert kind_on(org, D(2025, 2, 28)) == OrgKind.BRANCH
    assert kind_on(org, D(2025, 3, 1)) == OrgKind.GENERAL_BRANCH
    assert kind_on(org, D(2025, 3, 2)) == OrgKind.GENERAL_BRANCH
    root = demo.organ_committee
    day_before, day_of = counts(root, D(2025, 2, 28)), counts(root, D(2025, 3, 1))
    assert day_of[OrgKind.BRANCH][0] == day_before[OrgKind.BRANCH][0] - 1
    assert day_of[OrgKind.GENERAL_BRANCH][0] == day_before[OrgKind.GENERAL_BRANCH][0] + 1


def test_a_kind_change_is_refused_when_the_tree_or_the_members_do_not_fit(demo):
    actor = organ(demo)
    # A branch holding a member (until it moves out): a general branch holds none.
    held = new_org(demo, "T-K3", founded_on=D(2020, 1, 1))
    member, _ = member_services.create_member(actor, held, member_payload(seed=72))
    member_services.move_member(actor, member, demo.branch, on=D(2025, 5, 1))
    with pytest.raises(ServiceValidationError, match="不直接管理党员"):
        change_kind(actor, held, OrgKind.GENERAL_BRANCH, D(2025, 4, 30))
    # The demo branch has party groups below it, which a general branch cannot hold.
    with pytest.raises(ServiceValidationError, match="第一党小组"):
        change_kind(actor, demo.branch, OrgKind.GENERAL_BRANCH, D(2026, 1, 1))
    change_kind(actor, held, OrgKind.GENERAL_BRANCH, D(2025, 5, 1))
    # A branch with a party group below it cannot become a discipline committee; the same kind,
    # an unknown kind, a kind its parent cannot hold, a day not after the last change: refused.
    general = new_org(demo, "T-K2", OrgKind.GENERAL_BRANCH, D(2023, 1, 1))
    new_org(demo, "T-K2-B", OrgKind.BRANCH, D(2023, 2, 1), parent=general)
    for kind, day in (
        (OrgKind.BRANCH, D(2025, 1, 1)),  # its branch cannot sit under a branch
        (OrgKind.GENERAL_BRANCH, D(2025, 1, 1)),
        ("club", D(2025, 1, 1)),
        (OrgKind.WORKING_COMMITTEE, D(2025, 1, 1)),
        (OrgKind.ORGAN_DISCIPLINE_COMMITTEE, D(2023, 1, 1)),
        (OrgKind.ORGAN_DISCIPLINE_COMMITTEE, TODAY + ONE),
    ):
        with pytest.raises(ServiceValidationError):
            change_kind(actor, general, kind, day)
    assert len(spells_of(general)) == 1
    assert OrganizationSpell.objects.filter(organization__code__startswith="T-K").count() == 4


def test_a_committee_is_set_up_on_the_days_three_members_hold_its_seats(demo):
    actor = organ(demo)
    org = new_org(demo, "T-C1", founded_on=D(2020, 1, 1))
    people = [
        member_services.create_member(actor, org, member_payload(seed=80 + i))[0] for i in range(3)
    ]
    add_post(actor, org, people[0], PostKind.SECRETARY, D(2024, 1, 1))
    add_post(actor, org, people[1], PostKind.ORGANIZATION_OFFICER, D(2024, 1, 1))
    add_post(actor, org, people[2], PostKind.PUBLICITY_OFFICER, D(2024, 6, 1))
    assert history.committee_sizes_on(org, D(2024, 5, 31)) == {org.pk: 2}
    assert counts(org, D(2024, 5, 31))[OrgKind.BRANCH] == (1, 0)
    assert counts(org, D(2024, 6, 1))[OrgKind.BRANCH] == (1, 1)
    # Kinds not led by a committee have no such figure.
    assert counts(demo.org["GW"], TODAY)[OrgKind.LEADING_GROUP][1] is None


def test_each_read_is_a_fixed_number_of_queries(demo, django_assert_num_queries):
    root = demo.org["GW"]
    with django_assert_num_queries(1):
        history.kinds_on(root, D(2025, 6, 30))
    with django_assert_num_queries(1):
        history.committee_sizes_on(root, D(2025, 6, 30))
    with django_assert_num_queries(2):
        history.kind_counts_on(root, D(2025, 6, 30))
    with django_assert_num_queries(1):
        list(history.organizations_on(root, D(2025, 6, 30)))


# ---- the demo and the migration ---------------------------------------------------------------


def test_today_the_history_is_the_tree(demo):
    root = demo.org["GW"]
    tree = dict(Organization.objects.filter(path__startswith=root.path).values_list("pk", "kind"))
    assert history.kinds_on(root, TODAY) == tree


def test_the_migration_founds_each_organization_on_its_earliest_record(demo):
    """The demo founds its organizations by the migrations' rule (the earliest post, membership
    spell or record, then moved back to the first held meeting: `orgs/0002`, `meetings/0008`),
    so running them again writes the same spells; an organization with no record is founded on
    the day it was made."""
    bare = create_organization(
        organ(demo), demo.organ_committee, name="无记录组织", kind=OrgKind.BRANCH, code="T-MIG"
    )
    written = {o.pk: spells_of(o) for o in Organization.objects.all()}
    assert min(s[0][1] for s in written.values()) < D(2000, 1, 1)  # from admissions
    OrganizationSpell.objects.all().delete()
    migration = importlib.import_module("dangjian.orgs.migrations.0002_organization_history")
    migration.found_existing(apps, None)
    by_posts = {o.pk: spells_of(o) for o in Organization.objects.all()}
    assert by_posts != written  # some party groups met before their leader's post
    meetings = importlib.import_module(
        "dangjian.meetings.migrations.0008_found_organizations_by_meetings"
    )
    meetings.found_by_meetings(apps, None)
    assert {o.pk: spells_of(o) for o in Organization.objects.all()} == written
    assert spells_of(bare)[0][1] == TODAY
    root = demo.org["GW"]
    for org in Organization.objects.exclude(pk=root.pk):
        parent = Organization.objects.get_parent(org)
        assert written[parent.pk][0][1] <= written[org.pk][0][1]


# ---- replaying a random history reproduces every past answer ---------------------------------

ACTIONS = ["branch", "general_branch", "organ_discipline_committee", "dissolve"]
event = st.tuples(st.integers(0, 2), st.sampled_from(ACTIONS), st.integers(0, 200))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(foundings=st.lists(st.integers(0, 700), min_size=3, max_size=3), events=st.lists(event))
def test_replaying_the_history_reproduces_every_past_answer(demo, foundings, events):
    with transaction.atomic():
        _replay(demo, foundings, events)
        transaction.set_rollback(True)


def _replay(demo, foundings, events):
    """Found three organizations, apply random changes of kind and dissolutions through the
    services, keep a plain model of each one's kind from each day on (None: dissolved), check
    that a change is refused exactly when the model says it must be, then ask the history about
    every day that matters and about today (the tree itself)."""
    actor = organ(demo)
    root = demo.organ_committee
    orgs, model = [], []
    for i, offset in enumerate(foundings):
        founded = D(2022, 1, 1) + dt.timedelta(days=offset)
        orgs.append(new_org(demo, f"T-P{i}", founded_on=founded))
        model.append([(founded, OrgKind.BRANCH)])
    day = D(2023, 12, 1)
    for who, action, gap in events:
        day += dt.timedelta(days=gap)
        if day > TODAY:
            break
        last_day, kind = model[who][-1]
        allowed = kind is not None and day > last_day and action != kind
        org = Organization.objects.get(pk=orgs[who].pk)
        seq = last_seq()
        try:
            if action == "dissolve":
                dissolve_organization(actor, org, day)
                change = None
            else:
                change_kind(actor, org, action, day)
                change = action
        except ServiceValidationError:
            assert not allowed, (who, action, day, model[who])
            assert last_seq() == seq
            continue
        assert allowed, (who, action, day, model[who])
        model[who].append((day, change))

    days = {TODAY, D(2022, 1, 1)}
    for changes in model:
        for start, _ in changes:
            days |= {start - ONE, start, start + ONE}
    for d in sorted(days):
        got = history.kinds_on(root, d)
        for org, changes in zip(orgs, model, strict=True):
            state = [kind for start, kind in changes if start <= d]
            assert got.get(org.pk) == (state[-1] if state else None), (d, org.code)
    # Today: every organization of the tree that is not dissolved, with its kind of today.
    tree = dict(Organization.objects.filter(path__startswith=root.path).values_list("pk", "kind"))
    dissolved = {org.pk for org, changes in zip(orgs, model, strict=True) if changes[-1][1] is None}
    assert history.kinds_on(root, TODAY) == {
        pk: kind for pk, kind in tree.items() if pk not in dissolved
    }


def test_the_province_generator_founds_every_organization_from_its_records(demo):
    from dangjian.demo import ensure_province

    assert ensure_province(today=TODAY, departments=2, branches=6, members=120) is True
    root = demo.org["GW"]
    tree = dict(Organization.objects.filter(path__startswith=root.path).values_list("pk", "kind"))
    assert history.kinds_on(root, TODAY) == tree
    assert OrganizationSpell.objects.count() == len(tree)  # one founding spell each
    founded = dict(OrganizationSpell.objects.values_list("organization_id", "started_on"))
    for org in Organization.objects.exclude(pk=root.pk):
        assert founded[Organization.objects.get_parent(org).pk] <= founded[org.pk]


def test_the_dossier_lists_the_organizations_that_existed_in_its_period(demo):
    from dangjian.orgs.dossier import org_tables

    gone = new_org(demo, "T-Y1", founded_on=D(2023, 1, 1))
    dissolve_organization(organ(demo), gone, D(2025, 1, 1))  # last day 2024-12-31
    mid = new_org(demo, "T-Y2", founded_on=D(2023, 1, 1))
    dissolve_organization(organ(demo), mid, D(2025, 6, 1))
    late = new_org(demo, "T-Y3", founded_on=D(2026, 1, 1))

    def codes(start, end):
        [orgs, _posts] = org_tables(demo.organ_committee, start, end)
        return {row[0] for row in orgs.rows}

    year = codes(D(2025, 1, 1), D(2025, 12, 31))
    assert mid.code in year and gone.code not in year and late.code not in year
    assert demo.branch.code in year
    assert {gone.code, mid.code} <= codes(D(2024, 12, 31), D(2024, 12, 31))
    assert late.code in codes(D(2025, 12, 31), D(2026, 1, 1))
