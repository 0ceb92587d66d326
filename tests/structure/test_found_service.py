"""Founding an organization (成立, `orgs.services.create_organization`) as the 新建下级党组织 page
uses it: one audited event in one transaction, nothing written when refused, and the new
organization in the tree, the statistics and the findings from its founding day, not before.
Runs on SQLite, PostgreSQL and MariaDB (DANGJIAN_DATABASE_URL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.desk import figures
from dangjian.meetings import findings as compliance
from dangjian.orgs import history
from dangjian.orgs.models import Organization, OrganizationSpell, OrgKind
from dangjian.orgs.services import create_organization
from dangjian.structure.queries import tree_children
from dangjian.structure.services import change_kind, dissolve_organization
from tests.conftest import TODAY
from tests.helpers import assert_audited, events_since, last_seq

SYSTEM = Actor.system("test")
FOUNDED = dt.date(2026, 9, 1)
ONE = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def fresh_cache():
    compliance.clear_cache()
    yield
    compliance.clear_cache()


def found(demo, parent: Organization | None = None, **fields) -> Organization:
    data = {"name": "测试第九党支部", "kind": OrgKind.BRANCH, "code": "fgw-b09", **fields}
    data.setdefault("founded_on", FOUNDED)
    return create_organization(
        Actor(user=demo.users["organ"]), parent or demo.organ_committee, **data
    )


def found_on_page(demo, code: str = "FGW-B09", name: str = "测试第九党支部", day=FOUNDED):
    """A branch founded under the 机关党委 through the 新建下级党组织 page."""
    client = Client()
    client.force_login(demo.users["organ"])
    data = {"name": name, "kind": OrgKind.BRANCH, "code": code, "founded_on": day.isoformat()}
    response = client.post(reverse("orgs:found_child", args=[demo.organ_committee.pk]), data)
    assert response.status_code == 302
    return Organization.objects.get(code=code)


def snapshot() -> tuple:
    return (
        Organization.objects.count(),
        OrganizationSpell.objects.count(),
        sorted(Organization.objects.values_list("path", "numchild")),
    )


def test_a_founding_writes_the_organization_its_history_and_one_audited_event(demo):
    seq, children = last_seq(), demo.organ_committee.numchild
    org = found(demo)
    assert org.code == "FGW-B09" and org.kind == OrgKind.BRANCH
    assert Organization.objects.get_parent(org) == demo.organ_committee
    assert list(org.spells.values_list("kind", "started_on", "ended_on", "start_reason")) == [
        (OrgKind.BRANCH, FOUNDED, None, "founded")
    ]
    assert_audited(
        seq,
        AuditAction.CREATE,
        org,
        actor="organ",
        message="成立党支部，自2026年9月1日起",
        changes={"code": [None, "FGW-B09"], "founded_on": [None, "2026-09-01"]},
    )
    # The tree computed by treebeard: the parent counts it, the tree page lists it.
    parent = Organization.objects.get(pk=demo.organ_committee.pk)
    assert org.path.startswith(parent.path) and org.depth == parent.depth + 1
    assert parent.numchild == children + 1
    assert org.pk in {n.org.pk for n in tree_children(demo.users["organ"], parent)}


def test_it_counts_from_its_founding_day_and_not_before(demo):
    root = demo.organ_committee

    def branches(day):
        stats = figures.statistics(root, [day.year], as_of=day)
        return {label: n for label, n, _ in stats.org_kinds}.get(OrgKind.BRANCH.label, 0)

    before = {day: branches(day) for day in (FOUNDED - ONE, FOUNDED)}
    org = found_on_page(demo)
    assert org.pk not in set(
        history.organizations_on(root, FOUNDED - ONE).values_list("pk", flat=True)
    )
    assert org.pk in set(history.organizations_on(root, FOUNDED).values_list("pk", flat=True))
    assert branches(FOUNDED - ONE) == before[FOUNDED - ONE]
    assert branches(FOUNDED) == before[FOUNDED] + 1
    # The findings: judged from September (the month of its founding), absent the year before.
    report = compliance.compute(root, 2026, today=TODAY)
    months = [f.period_key for f in report.findings_for(org.pk) if f.rule_id == "theme_party_day"]
    assert months == ["2026-09", "2026-10", "2026-11", "2026-12"]
    assert org.pk not in compliance.compute(root, 2025, today=TODAY).by_id


def test_the_cached_findings_page_sees_the_new_organization(demo, settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 600
    root = demo.organ_committee
    before = compliance.cached_report(root, 2026, today=TODAY)
    org = found_on_page(demo)
    after = compliance.cached_report(root, 2026, today=TODAY)
    assert org.pk not in before.by_id and org.pk in after.by_id
    assert after.cell(org.pk, "theme_party_day") is not None


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"code": "FGW B09"}, "code", "组织编码只能由字母、数字和连字符"),
        ({"code": "X" * 33}, "code", "组织编码不能超过32个字"),
        ({"name": "第九\u202e党支部"}, "name", "组织名称含有文字方向控制字符"),
        ({"name": "党" * 101}, "name", "组织名称不能超过100个字"),
    ],
)
def test_a_refused_founding_says_why_and_writes_nothing(demo, fields, field, message):
    before, seq = snapshot(), last_seq()
    with pytest.raises(ServiceValidationError) as refused:
        found(demo, **fields)
    assert message in refused.value.errors[field]
    assert snapshot() == before and events_since(seq) == []


def test_the_parent_must_hold_the_kind_on_every_day_from_the_founding(demo):
    """A branch that became a 总支 on 1 July held no branch before: a branch founded under it
    in June would have sat under a branch."""
    parent = found(demo, code="T-GROW", founded_on=dt.date(2020, 1, 1))
    change_kind(SYSTEM, parent, OrgKind.GENERAL_BRANCH, dt.date(2026, 7, 1))
    before, seq = snapshot(), last_seq()
    with pytest.raises(ServiceValidationError) as refused:
        found(demo, parent, code="T-GROW-1", founded_on=dt.date(2026, 6, 30))
    assert refused.value.errors["kind"] == "上级组织至2026年6月30日为党支部，其下不能设立党支部"
    assert snapshot() == before and events_since(seq) == []
    below = found(demo, parent, code="T-GROW-1", founded_on=dt.date(2026, 7, 1))
    assert below.spells.get().started_on == dt.date(2026, 7, 1)
    with pytest.raises(ServiceValidationError) as early:
        found(demo, parent, code="T-GROW-2", founded_on=dt.date(2019, 12, 31))
    assert early.value.errors["founded_on"] == "成立日期不能早于上级组织的成立日期（2020年1月1日）"


def test_a_code_sorting_first_shifts_its_siblings_paths_and_their_subtrees_follow(demo):
    """Siblings are ordered by code (`node_order_by`): treebeard rewrites the later siblings'
    paths, subtrees included, and everything read by path still finds them."""
    root = demo.organ_committee
    members_before = history.kind_counts_on(root, TODAY)
    groups = {
        o.pk: Organization.objects.get_parent(o).pk
        for o in Organization.objects.filter(path__startswith=root.path, kind=OrgKind.PARTY_GROUP)
    }
    org = found_on_page(demo, code="FGW-A00", name="测试第零党支部", day=TODAY)
    siblings = list(Organization.objects.get_children(Organization.objects.get(pk=root.pk)))
    assert siblings[0] == org
    assert {
        o.pk: Organization.objects.get_parent(o).pk
        for o in Organization.objects.filter(path__startswith=root.path, kind=OrgKind.PARTY_GROUP)
    } == groups
    after = {k.kind: k.organizations for k in history.kind_counts_on(root, TODAY)}
    expected = {k.kind: k.organizations for k in members_before}
    expected[OrgKind.BRANCH] += 1
    assert after == expected


def test_a_name_an_existing_sibling_bears_is_refused_a_dissolved_ones_is_not(demo):
    """Two 第一党支部 under one 机关党委 cannot be told apart where people pick by name (the
    roster import's 所在支部 and 党小组 columns: a second 党小组 of one name under a branch would
    take the other's members). A dissolved one's name is free again: 重建."""
    taken = Organization.objects.filter(
        path__startswith=demo.organ_committee.path,
        depth=demo.organ_committee.depth + 1,
        kind=OrgKind.BRANCH,
    ).first()
    before, seq = snapshot(), last_seq()
    with pytest.raises(ServiceValidationError) as refused:
        found(demo, name=taken.name)
    assert refused.value.errors["name"] == f"{demo.organ_committee.name}下已有“{taken.name}”"
    assert snapshot() == before and events_since(seq) == []

    old = found(demo, name="测试重建党支部", code="T-OLD", founded_on=dt.date(2020, 1, 1))
    dissolve_organization(SYSTEM, old, dt.date(2026, 6, 1))
    again = found(demo, name="测试重建党支部", code="T-NEW")
    assert again.name == old.name and again.pk != old.pk
