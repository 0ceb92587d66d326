"""The tree's subtree member counts are kept per process between requests, and every write
through the services that changes who belongs where shows on the next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dangjian.audit.services import Actor
from dangjian.core import clock
from dangjian.members import services as member_services
from dangjian.members import services_lifecycle as lifecycle
from dangjian.members.models import Member
from dangjian.orgs.models import Organization, OrgKind
from dangjian.orgs.services import create_organization
from tests.conftest import member_payload
from tests.meetings import plan


def grouped_member_counts(queries) -> list[str]:
    """The grouped member counts among captured queries."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if "GROUP BY" in q["sql"].upper() and "members_member" in q["sql"]
    ]


def tree(client):
    """(root count, {child code: (members, full members)}) of the organ's tree page."""
    context = client.get(reverse("orgs:tree")).context
    [root] = context["roots"]
    children = {c.org.code: (c.members, c.full_members) for c in context["opened"][root.org.pk]}
    return root.members, children


def subtree(code: str) -> int:
    path = Organization.objects.get(code=code).path
    return Member.objects.filter(organization__path__startswith=path, left_on__isnull=True).count()


@pytest.fixture
def organ(demo, client_for):
    return client_for(demo.users["organ"])


def test_a_second_request_does_not_count_the_members_again(demo, organ):
    organ.get(reverse("orgs:tree"))

    with CaptureQueriesContext(connection) as queries:
        response = organ.get(reverse("orgs:tree"))

    assert grouped_member_counts(queries) == []
    [root] = response.context["roots"]
    assert root.members == subtree("FGW-JGDW") > 0


def test_a_write_of_another_app_keeps_the_counts(demo, organ):
    before = tree(organ)
    plan(demo.users["secretary"], demo.branch)

    with CaptureQueriesContext(connection) as queries:
        after = tree(organ)

    assert grouped_member_counts(queries) == []
    assert after == before


def test_a_new_member_shows_on_the_next_request(demo, organ):
    root0, children0 = tree(organ)
    member_services.create_member(
        Actor(user=demo.users["organ"]), demo.org["FGW-B01"], member_payload(seed=7)
    )

    root1, children1 = tree(organ)

    assert root1 == root0 + 1 == subtree("FGW-JGDW")
    assert children1["FGW-B01"][0] == children0["FGW-B01"][0] + 1


def test_a_member_who_leaves_is_no_longer_counted(demo, organ):
    root0, children0 = tree(organ)
    member = demo.member_in_branch
    lifecycle.end_membership(Actor(user=demo.users["organ"]), member, clock.today(), "died")

    root1, children1 = tree(organ)

    assert root1 == root0 - 1 == subtree("FGW-JGDW")
    assert children1["FGW-B01"][0] == children0["FGW-B01"][0] - 1


def test_a_member_moved_to_another_branch_is_counted_there(demo, organ):
    _, children0 = tree(organ)
    member = demo.member_in_branch
    member_services.move_member(
        Actor(user=demo.users["organ"]), member, demo.sibling_branch, reason="调整"
    )

    _, children1 = tree(organ)

    assert children1["FGW-B01"][0] == children0["FGW-B01"][0] - 1
    assert children1["FGW-B02"][0] == children0["FGW-B02"][0] + 1


def test_a_new_organization_shows_with_its_members(demo, organ):
    _, children0 = tree(organ)
    actor = Actor(user=demo.users["organ"])
    branch = create_organization(
        actor, demo.organ_committee, name="新党支部", kind=OrgKind.BRANCH, code="FGW-NEW"
    )
    member_services.create_member(actor, branch, member_payload(seed=8))

    _, children1 = tree(organ)

    assert "FGW-NEW" not in children0
    assert children1["FGW-NEW"][0] == subtree("FGW-NEW") == 1


def test_turned_off_the_counts_are_read_every_time(demo, organ, settings):
    settings.DANGJIAN_COMPLIANCE_CACHE_SECONDS = 0
    organ.get(reverse("orgs:tree"))

    with CaptureQueriesContext(connection) as queries:
        organ.get(reverse("orgs:tree"))

    assert len(grouped_member_counts(queries)) == 2
