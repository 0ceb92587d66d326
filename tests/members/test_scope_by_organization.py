"""The members a user may see, asked by the scope's organizations (issue 19): the same members as
"in these subtrees, or the user's own record", without the OR across the join to organizations
that made PostgreSQL read every member of the province."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Q

from dangjian.accounts import access
from dangjian.accounts.access import Action, scope_for
from dangjian.audit.services import Actor
from dangjian.members import services as member_services
from dangjian.members.access import visible_members
from dangjian.members.models import Member
from dangjian.orgs.models import OrgKind
from dangjian.orgs.services import create_organization
from tests.conftest import member_payload

PERSONAS = ["member", "secretary", "organ", "inspector", "sysadmin", "auditor"]


def by_paths(user, action: Action) -> set[int]:
    """The members of the scope's subtrees (by path), and the user's own record where it counts."""
    scope = scope_for(user)
    q = Q(pk__in=[])
    for path in scope.paths.get(action, []):
        q |= Q(organization__path__startswith=path)
    if scope.own_member_id and action in access.OWN_RECORD_ACTIONS:
        q |= Q(pk=scope.own_member_id)
    return set(Member.objects.filter(q).values_list("pk", flat=True))


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.parametrize("action", [Action.READ, Action.WRITE, Action.REVEAL])
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_same_members_as_by_the_scope_paths(demo, persona, action):
    user = fresh(demo.users[persona])

    seen = set(visible_members(user, action).values_list("pk", flat=True))

    assert seen == by_paths(user, action)
    if persona in ("secretary", "organ", "inspector") and action == Action.READ:
        assert len(seen) > 1


def test_a_scope_with_its_own_record_is_asked_by_organization_not_by_path(demo):
    user = fresh(demo.users["organ"])
    assert scope_for(user).own_member_id, "the demo's 机关党委 officer is a member"

    sql = str(visible_members(user).query)

    assert "LIKE" not in sql.upper()
    assert "orgs_organization" not in sql


def test_an_organization_created_after_the_scope_was_read_is_in_it(demo):
    user = fresh(demo.users["organ"])
    visible_members(user).count()  # the scope read and kept on the user object
    actor = Actor(user=demo.users["organ"])
    branch = create_organization(
        actor, demo.organ_committee, name="新党支部", kind=OrgKind.BRANCH, code="FGW-NEW"
    )
    member, _ = member_services.create_member(actor, branch, member_payload(seed=9))

    assert visible_members(user).filter(pk=member.pk).exists()


def test_a_scope_over_many_organizations_keeps_the_path_test(demo, monkeypatch):
    monkeypatch.setattr(access, "SCOPE_IDS_MAX", 2)
    user = fresh(demo.users["organ"])

    sql = str(visible_members(user).query)

    assert "LIKE" in sql.upper()
    assert set(visible_members(user).values_list("pk", flat=True)) == by_paths(user, Action.READ)
