"""The 新建下级党组织 page (docs/organization-history.md): offered on an organization's page to
the 机关党委 of it or above it, the kinds its parent may hold, the founding day; a refusal in
the service's Chinese words beside its field, nothing written; CSRF; 403/404 as the change
pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.services import create_organization
from dangjian.structure.services import dissolve_organization
from tests.helpers import assert_audited, events_since, last_seq

URL = "orgs:found_child"
VALID = {
    "name": "测试第九党支部",
    "kind": OrgKind.BRANCH,
    "code": "fgw-b09",
    "founded_on": "2026-09-01",
}


def written_since(seq: int) -> list[str]:
    return [e.message for e in events_since(seq) if e.action != AuditAction.LOGIN]


def tree() -> list[tuple]:
    return sorted(Organization.objects.values_list("code", "path"))


@pytest.mark.parametrize(
    ("username", "code", "status"),
    [
        ("organ", "FGW-JGDW", 200),  # its own organization
        ("organ", "FGW-B01", 200),  # a branch below it (party groups)
        ("secretary", "FGW-B01", 403),  # the branch's own secretary
        ("inspector", "FGW-JGDW", 403),
        ("member", "FGW-B01", 404),
        ("secretary", "CZJ-B01", 404),
        ("organ", "CZJ-JGDW", 404),  # another department's, outside the scope
        ("sysadmin", "FGW-JGDW", 404),
    ],
)
def test_who_may_found_an_organization(demo, client_for, username, code, status):
    org = demo.org[code]
    client = client_for(demo.users[username])
    assert client.get(reverse(URL, args=[org.pk])).status_code == status
    before = tree()
    kind = OrgKind.BRANCH if org.kind != OrgKind.BRANCH else OrgKind.PARTY_GROUP
    response = client.post(reverse(URL, args=[org.pk]), {**VALID, "kind": kind})
    assert response.status_code == (302 if status == 200 else status)
    if status != 200:
        assert tree() == before


def test_the_form_offers_the_kinds_the_parent_may_hold_and_today(demo, client_for):
    page = client_for(demo.users["organ"]).get(reverse(URL, args=[demo.organ_committee.pk]))
    html = page.content.decode()
    for label in ("机关纪委", "党总支", "党支部"):
        assert f">{label}</option>" in html
    for label in ("党小组", "机关党委", "机关工委"):
        assert f">{label}</option>" not in html
    assert 'value="2026-11-25"' in html and "csrfmiddlewaretoken" in html
    branch = client_for(demo.users["organ"]).get(reverse(URL, args=[demo.branch.pk]))
    assert ">党小组</option>" in branch.content.decode()
    assert ">党支部</option>" not in branch.content.decode()


def test_the_organization_page_offers_it_to_the_organ_committee_only(demo, client_for):
    url = reverse("orgs:detail", args=[demo.organ_committee.pk])
    link = reverse(URL, args=[demo.organ_committee.pk])
    assert link in client_for(demo.users["organ"]).get(url).content.decode()
    assert link not in client_for(demo.users["inspector"]).get(url).content.decode()
    branch = client_for(demo.users["secretary"]).get(reverse("orgs:detail", args=[demo.branch.pk]))
    assert reverse(URL, args=[demo.branch.pk]) not in branch.content.decode()


def test_a_founding_writes_one_audited_event_and_opens_the_new_page(demo, client_for):
    client = client_for(demo.users["organ"])
    seq = last_seq()
    response = client.post(reverse(URL, args=[demo.organ_committee.pk]), VALID)
    org = Organization.objects.get(code="FGW-B09")
    assert response.status_code == 302 and response["Location"] == reverse(
        "orgs:detail", args=[org.pk]
    )
    assert_audited(
        seq, AuditAction.CREATE, org, actor="organ", message="成立党支部，自2026年9月1日起"
    )
    assert org.spells.get().started_on == dt.date(2026, 9, 1)
    parent = client.get(reverse("orgs:detail", args=[demo.organ_committee.pk])).content.decode()
    assert "测试第九党支部" in parent


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "FGW-B01"}, "组织编码 FGW-B01 已被使用"),
        ({"founded_on": "2026-11-26"}, "成立日期不能晚于今天"),
        ({"founded_on": "1949-10-01"}, "成立日期不能早于上级组织的成立日期"),
        ({"founded_on": "2026-02-30"}, "请填写有效的日期"),
        ({"kind": OrgKind.PARTY_GROUP}, "该类型的组织不能设在所选上级组织之下"),
        ({"name": ""}, "请填写组织名称"),
    ],
)
def test_a_refused_founding_shows_why_and_writes_nothing(demo, client_for, data, message):
    before, seq = tree(), last_seq()
    response = client_for(demo.users["organ"]).post(
        reverse(URL, args=[demo.organ_committee.pk]), {**VALID, **data}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    if "name" not in data:  # what was typed is kept
        assert 'value="测试第九党支部"' in html
    assert tree() == before and written_since(seq) == []


def test_under_a_dissolved_organization_the_page_says_so_and_refuses(demo, client_for):
    gone = create_organization(
        Actor.system("test"),
        demo.organ_committee,
        name="测试已撤销党支部",
        kind=OrgKind.BRANCH,
        code="T-GONE",
        founded_on=dt.date(2020, 1, 1),
    )
    dissolve_organization(Actor.system("test"), gone, dt.date(2026, 7, 1))
    client = client_for(demo.users["organ"])
    assert "已于2026年7月1日撤销，不能在其下新建党组织" in (
        client.get(reverse(URL, args=[gone.pk])).content.decode()
    )
    before, seq = tree(), last_seq()
    response = client.post(
        reverse(URL, args=[gone.pk]),
        {**VALID, "kind": OrgKind.PARTY_GROUP, "founded_on": "2026-06-01"},
    )
    assert "不能在其下新建党组织" in response.content.decode()
    assert tree() == before and written_since(seq) == []


def test_a_post_without_the_form_token_is_refused(demo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(demo.users["organ"])
    before = tree()
    response = client.post(reverse(URL, args=[demo.organ_committee.pk]), VALID)
    assert response.status_code == 403 and tree() == before
