"""The pages for 调整组织类型 and 撤销组织 (docs/organization-history.md): only the 机关党委 (or
机关工委) above the organization may use them; a refusal shows the service's Chinese message
and writes nothing; a change writes one audited event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor
from dangjian.members import services as member_services
from dangjian.orgs.models import Organization, OrganizationSpell, OrgKind
from dangjian.orgs.services import create_organization
from tests.conftest import member_payload
from tests.helpers import assert_audited, events_since, last_seq

ACTOR = Actor.system("test")


def empty_branch(code: str) -> Organization:
    return create_organization(
        ACTOR,
        Organization.objects.get(code="FGW-JGDW"),
        name=f"测试{code}党支部",
        kind=OrgKind.BRANCH,
        code=code,
        founded_on=dt.date(2020, 1, 1),
    )


def written_since(seq: int) -> list[str]:
    """What was written after `seq`, a user's login (recorded once a session) aside."""
    return [e.message for e in events_since(seq) if e.action != AuditAction.LOGIN]


def spells(org: Organization) -> list[tuple]:
    return list(
        OrganizationSpell.objects.filter(organization=org)
        .order_by("started_on")
        .values_list("kind", "started_on", "ended_on")
    )


@pytest.mark.parametrize("page", ["orgs:change_kind", "orgs:dissolve"])
@pytest.mark.parametrize(
    ("username", "code", "status"),
    [
        ("organ", "FGW-B01", 200),  # the 机关党委 above the branch
        ("organ", "FGW-JGDW", 403),  # not its own organization
        ("secretary", "FGW-B01", 403),  # the branch's own secretary
        ("inspector", "FGW-B01", 403),
        ("member", "FGW-B01", 404),  # a member sees no organization
        ("secretary", "CZJ-B01", 404),  # outside the secretary's scope
        ("organ", "CZJ-B01", 404),  # another department
        ("sysadmin", "FGW-B01", 404),
    ],
)
def test_who_may_open_the_pages(demo, client_for, page, username, code, status):
    org = demo.org[code]
    before = spells(org)
    client = client_for(demo.users[username])
    assert client.get(reverse(page, args=[org.pk])).status_code == status
    data = {
        "kind": OrgKind.GENERAL_BRANCH,
        "changed_on": "2026-07-01",
        "dissolved_on": "2026-07-01",
    }
    response = client.post(reverse(page, args=[org.pk]), {**data, "confirm": "yes"})
    assert response.status_code == (200 if status == 200 else status)
    assert spells(org) == before


def test_the_detail_page_offers_the_changes_to_the_organ_committee_only(demo, client_for):
    url = reverse("orgs:detail", args=[demo.branch.pk])
    organ = client_for(demo.users["organ"]).get(url).content.decode()
    secretary = client_for(demo.users["secretary"]).get(url).content.decode()
    assert "调整组织类型" in organ and "撤销组织" in organ
    assert "调整组织类型" not in secretary and "撤销组织" not in secretary


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"kind": OrgKind.GENERAL_BRANCH, "changed_on": "2026-07-01"},
            "下级组织第一党小组、第二党小组不能设在该类型的组织之下，请先撤销或调整",
        ),
        ({"kind": OrgKind.GENERAL_BRANCH, "changed_on": "2027-01-01"}, "日期不能晚于今天"),
        ({"kind": OrgKind.GENERAL_BRANCH, "changed_on": "2026-13-01"}, "请填写有效的日期"),
        ({"kind": OrgKind.BRANCH, "changed_on": "2026-07-01"}, "组织类型没有变化"),
        (
            {"kind": OrgKind.ORGAN_COMMITTEE, "changed_on": "2026-07-01"},
            "该类型的组织不能设在其上级组织之下",
        ),
        (
            {"kind": OrgKind.GENERAL_BRANCH, "changed_on": "1990-01-01"},
            "日期应晚于该组织成立或上次调整的日期",
        ),
    ],
)
def test_a_refused_change_of_kind_shows_why_and_writes_nothing(demo, client_for, data, message):
    org = demo.branch
    before, seq = spells(org), last_seq()
    response = client_for(demo.users["organ"]).post(
        reverse("orgs:change_kind", args=[org.pk]), data
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert spells(org) == before and written_since(seq) == []
    org.refresh_from_db()
    assert org.kind == OrgKind.BRANCH


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        (
            {"dissolved_on": "2026-07-01", "confirm": "yes"},
            ["仍有党员，请先将党员组织关系转出或调动", "仍有任职，请先结束任职"],
        ),
        ({"dissolved_on": "2026-07-01"}, ["请勾选确认：撤销后不能恢复"]),
        (
            {"dissolved_on": "2026-07-01", "confirm": "yes", "merged_into": "NOPE"},
            ["找不到组织编码 NOPE"],
        ),
        ({"dissolved_on": "", "confirm": "yes"}, ["请填写有效的日期"]),
    ],
)
def test_a_refused_dissolution_shows_why_and_writes_nothing(demo, client_for, data, messages):
    org = demo.branch
    client = client_for(demo.users["organ"])
    assert client.get(reverse("orgs:dissolve", args=[org.pk])).status_code == 200
    before, seq = spells(org), last_seq()
    response = client.post(reverse("orgs:dissolve", args=[org.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    for message in messages:
        assert message in page
    assert spells(org) == before and written_since(seq) == []


def test_a_branch_with_members_cannot_become_a_general_branch(demo, client_for):
    org = empty_branch("T-FULL")
    member_services.create_member(ACTOR, org, member_payload(name="测试", seed=900))
    client = client_for(demo.users["organ"])
    assert client.get(reverse("orgs:change_kind", args=[org.pk])).status_code == 200
    before, seq = spells(org), last_seq()
    response = client.post(
        reverse("orgs:change_kind", args=[org.pk]),
        {"kind": OrgKind.GENERAL_BRANCH, "changed_on": "2026-07-01"},
    )
    assert "该类型的组织不直接管理党员：请先将本组织党员的组织关系调到所属党支部" in (
        response.content.decode()
    )
    assert spells(org) == before and written_since(seq) == []


def test_a_change_of_kind_writes_one_audited_event(demo, client_for):
    org = empty_branch("T-PAGE")
    client = client_for(demo.users["organ"])
    assert client.get(reverse("orgs:change_kind", args=[org.pk])).status_code == 200
    seq = last_seq()
    response = client.post(
        reverse("orgs:change_kind", args=[org.pk]),
        {"kind": OrgKind.GENERAL_BRANCH, "changed_on": "2026-07-01"},
    )
    assert response.status_code == 302
    assert_audited(
        seq,
        AuditAction.UPDATE,
        org,
        actor="organ",
        message="调整组织类型：党支部→党总支，自2026年7月1日起",
    )
    assert spells(org) == [
        (OrgKind.BRANCH, dt.date(2020, 1, 1), dt.date(2026, 6, 30)),
        (OrgKind.GENERAL_BRANCH, dt.date(2026, 7, 1), None),
    ]


def test_a_merger_writes_one_audited_event_and_the_page_says_dissolved(demo, client_for):
    org = empty_branch("T-GONE")
    client = client_for(demo.users["organ"])
    assert client.get(reverse("orgs:dissolve", args=[org.pk])).status_code == 200
    seq = last_seq()
    response = client.post(
        reverse("orgs:dissolve", args=[org.pk]),
        {"dissolved_on": "2026-07-01", "merged_into": "fgw-b02", "confirm": "yes"},
    )
    assert response.status_code == 302
    assert_audited(
        seq,
        AuditAction.UPDATE,
        org,
        actor="organ",
        message=f"合并撤销组织，并入{demo.sibling_branch.name}，自2026年7月1日起",
    )
    assert spells(org)[-1][2] == dt.date(2026, 6, 30)
    page = client.get(reverse("orgs:detail", args=[org.pk])).content.decode()
    assert "已于2026年7月1日撤销" in page and "撤销组织</a>" not in page
    # Dissolved: a second attempt is refused with the service's message.
    again = client.post(
        reverse("orgs:dissolve", args=[org.pk]), {"dissolved_on": "2026-08-01", "confirm": "yes"}
    )
    assert "该组织已撤销" in again.content.decode()
