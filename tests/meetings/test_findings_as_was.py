"""Findings judge each period with the organization as it was (issue 12, docs/fidelity.md
"Organizations as they were"): its kind on the period's reading day (the last day of its last
month), and only the periods it existed at the end of. A change of kind, a dissolution or a
founding in the year, through the services that write the history; a past year's findings the
same computed then and now."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from dangjian.audit.services import Actor
from dangjian.meetings import findings as compliance
from dangjian.members import services as member_services
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.services import create_organization
from dangjian.structure.services import change_kind, dissolve_organization
from tests.conftest import TODAY, member_payload

ACTOR = Actor.system("test")
LONG_AGO = dt.date(2020, 1, 1)
THEME, GENERAL, ORG_LIFE = "theme_party_day", "general_meeting_freq", "org_life_meeting"
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
QUARTERS = [f"2025-Q{q}" for q in range(1, 5)]


@pytest.fixture(autouse=True)
def no_cache(settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    compliance.clear_cache()
    yield
    compliance.clear_cache()


def branch(code: str, founded_on: dt.date = LONG_AGO, parent: Organization | None = None):
    return create_organization(
        ACTOR,
        parent or Organization.objects.get(code="FGW-JGDW"),
        name=f"测试{code}党支部",
        kind=OrgKind.BRANCH,
        code=code,
        founded_on=founded_on,
    )


def with_members(org: Organization, n: int, seed: int) -> list[Member]:
    return [
        member_services.create_member(ACTOR, org, member_payload(name=f"测试{i}", seed=seed + i))[0]
        for i in range(n)
    ]


def periods(report, org: Organization) -> dict[str, list[str]]:
    """The periods each rule judged the organization for."""
    out: dict[str, list[str]] = defaultdict(list)
    for finding in report.findings_for(org.pk):
        out[finding.rule_id].append(finding.period_key)
    return out


def became_a_general_branch_on_1_july() -> Organization:
    """A branch of three whose members moved on 1 July to a branch of its own: from that day it
    is a 总支 with that branch below it."""
    org = branch("T-ZZ")
    people = with_members(org, 3, 700)
    parked = branch("T-PARK")
    for person in people:
        member_services.move_member(ACTOR, person, parked, on=dt.date(2025, 7, 1))
    change_kind(ACTOR, org, OrgKind.GENERAL_BRANCH, dt.date(2025, 7, 1))
    below = branch("T-ZZ-1", dt.date(2025, 7, 1), parent=org)
    for person in people:
        person.refresh_from_db()
        member_services.move_member(ACTOR, person, below, on=dt.date(2025, 7, 2))
    return org


def dissolved_on(day: dt.date):
    def make() -> Organization:
        org = branch(f"T-D{day:%m%d}")
        dissolve_organization(ACTOR, org, day)
        return org

    return make


def founded_on(day: dt.date):
    return lambda: branch(f"T-F{day:%m%d}", day)


@pytest.mark.parametrize(
    ("make", "theme", "general", "org_life"),
    [
        pytest.param(lambda: branch("T-SAME"), MONTHS, QUARTERS, ["2025"], id="unchanged"),
        pytest.param(
            became_a_general_branch_on_1_july, MONTHS[:6], QUARTERS[:2], [], id="总支 from 1 July"
        ),
        pytest.param(
            dissolved_on(dt.date(2025, 5, 1)), MONTHS[:4], QUARTERS[:1], [], id="撤销 1 May"
        ),
        pytest.param(
            dissolved_on(dt.date(2025, 6, 1)), MONTHS[:5], QUARTERS[:1], [], id="撤销 1 June"
        ),
        pytest.param(
            dissolved_on(dt.date(2025, 7, 1)), MONTHS[:6], QUARTERS[:2], [], id="撤销 1 July"
        ),
        pytest.param(
            founded_on(dt.date(2025, 9, 1)), MONTHS[8:], QUARTERS[2:], ["2025"], id="成立 1 Sept"
        ),
        pytest.param(
            founded_on(dt.date(2025, 9, 30)), MONTHS[8:], QUARTERS[2:], ["2025"], id="成立 30 Sept"
        ),
        pytest.param(
            founded_on(dt.date(2025, 10, 1)), MONTHS[9:], QUARTERS[3:], ["2025"], id="成立 1 Oct"
        ),
    ],
)
def test_each_period_is_judged_with_the_organization_as_it_was(
    demo, make, theme, general, org_life
):
    org = make()
    for today in (TODAY, dt.date(2027, 3, 1)):
        judged = periods(compliance.compute(org, 2025, today=today), org)
        assert judged[THEME] == theme
        assert judged[GENERAL] == general
        assert judged[ORG_LIFE] == org_life


def test_a_branch_turned_general_branch_meets_the_general_branch_rules_after(demo):
    org = became_a_general_branch_on_1_july()
    found = {f.rule_id: f for f in compliance.compute(org, 2025, today=TODAY).findings_for(org.pk)}
    # As a branch of three (January–June) it broke no committee rule; as a 总支 of three it is
    # below the 机关 threshold of 50 from July's end.
    assert found["organ_general_branch"].facts["months"] == list(range(7, 13))
    assert found["organ_general_branch"].message.startswith("2025年7月至12月各月末：")
    assert "branch_min_members" not in found
    assert "no_committee" not in found  # a branch's rule: the year's last day found a 总支


@pytest.mark.parametrize(
    ("make", "year"),
    [
        (dissolved_on(dt.date(2025, 5, 1)), 2026),
        (founded_on(dt.date(2025, 9, 1)), 2024),
        (dissolved_on(dt.date(2025, 1, 31)), 2025),  # gone before January's last day
    ],
)
def test_a_year_it_did_not_exist_in_is_not_in_the_report(demo, make, year):
    org = make()
    parent = Organization.objects.get(code="FGW-JGDW")
    report = compliance.compute(parent, year, today=TODAY)
    assert org.pk not in report.by_id
    assert org.pk not in report.cells_by_org()
    assert org.code not in {o["code"] for o in compliance.report_json(report)["organizations"]}
    # Its own page (the root is always shown): no finding of the meetings' rules.
    own = compliance.compute(org, year, today=TODAY)
    assert not {f.column for f in own.findings_for(org.pk)} & {THEME, GENERAL, "committee"}


def test_a_past_year_is_the_same_computed_then_and_now(demo):
    """A branch of three in 2025; in 2026 its members move away (February) and it becomes a
    总支 (March). Its 2025 findings — branch rules, committee rules, 谈心谈话 coverage — are
    the ones computed on 2025's last day."""
    org = branch("T-THEN")
    people = with_members(org, 3, 800)
    # Then: in January 2026, the year over (its reading day is 31 December), nothing changed yet.
    then_day = dt.date(2026, 1, 15)
    before = periods(compliance.compute(org, 2025, today=then_day), org)
    then = compliance.report_json(compliance.compute(org, 2025, today=then_day))
    assert before[THEME] == MONTHS and "heart_talk_coverage" in before

    elsewhere = branch("T-ELSE")
    for person in people:
        member_services.move_member(ACTOR, person, elsewhere, on=dt.date(2026, 2, 1))
    change_kind(ACTOR, org, OrgKind.GENERAL_BRANCH, dt.date(2026, 3, 1))
    branch("T-THEN-1", dt.date(2026, 3, 1), parent=org)

    for today in (dt.date(2026, 3, 1), TODAY, dt.date(2028, 1, 1)):
        now = compliance.report_json(compliance.compute(org, 2025, today=today))
        assert now["organizations"] == then["organizations"]
    # And 2026 is judged as it is: a branch in January and February, a 总支 since.
    judged = periods(compliance.compute(org, 2026, today=TODAY), org)
    assert judged[THEME] == ["2026-01", "2026-02"]
    assert ORG_LIFE not in judged


def test_the_year_is_read_in_the_same_number_of_queries(demo, django_assert_num_queries):
    """The spells are one query whatever changed: a tree with a change of kind, a dissolution
    and a founding reads in as many queries as without them."""
    root = Organization.objects.get(code="FGW-JGDW")
    compliance.compute(root, 2025, today=TODAY)  # warm whatever is cached per process
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as plain:
        compliance.compute(root, 2025, today=TODAY)
    became_a_general_branch_on_1_july()
    dissolved_on(dt.date(2025, 5, 1))()
    founded_on(dt.date(2025, 9, 1))()
    with CaptureQueriesContext(connection) as changed:
        compliance.compute(root, 2025, today=TODAY)
    assert len(changed.captured_queries) == len(plain.captured_queries)


def test_the_cache_refreshes_a_former_general_branch_above_a_changed_member(demo, settings):
    """A 总支 until June (its branch below dissolved, its people moved elsewhere, a branch from
    1 July): a correction to one of them refreshes its subtree counts of January–June too, though
    it is a branch on the year's last day, and the cached report stays the one a full
    computation gives."""
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    parent = Organization.objects.get(code="FGW-JGDW")
    general = create_organization(
        ACTOR,
        parent,
        name="测试总支",
        kind=OrgKind.GENERAL_BRANCH,
        code="T-GB",
        founded_on=LONG_AGO,
    )
    below = branch("T-GB-1", parent=general)
    people = with_members(below, 3, 900)
    parked = branch("T-GB-P")
    for person in people:
        member_services.move_member(ACTOR, person, parked, on=dt.date(2025, 7, 1))
    dissolve_organization(ACTOR, below, dt.date(2025, 7, 1))
    change_kind(ACTOR, general, OrgKind.BRANCH, dt.date(2025, 7, 1))
    before = compliance.cached_report(parent, 2025, today=TODAY)
    assert before.by_id[general.pk].kind == OrgKind.BRANCH
    assert before.by_id[general.pk].subtree_by_month[:6] == (3,) * 6

    person = Member.objects.get(pk=people[0].pk)
    data = member_payload(name="测试0", seed=900, admitted_on="2025-04-10", confirmed_on="")
    data["status"] = "probationary"
    member_services.update_member(ACTOR, person, data)
    after = compliance.cached_report(parent, 2025, today=TODAY)
    assert after is not before
    full = compliance.compute(parent, 2025, today=TODAY)
    assert after.by_id[general.pk].subtree_by_month == full.by_id[general.pk].subtree_by_month
    assert full.by_id[general.pk].subtree_by_month[:6] == (2, 2, 2, 3, 3, 3)
    rollups = [{k: v.as_dict() for k, v in r.top_rollups.items()} for r in (after, full)]
    assert rollups[0] == rollups[1]
