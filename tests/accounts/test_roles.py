"""Role assignment: 三权分立 between the administrators, roles bound to the right organizations.

Every refusal is checked to leave nothing behind: no role row and no audit event.
"""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from dangjian.accounts import services
from dangjian.accounts.access import scope_for
from dangjian.accounts.models import ADMIN_ROLES, SCOPED_ROLES, Role, RoleAssignment, User
from dangjian.audit.models import AuditAction, AuditEvent
from dangjian.audit.services import Actor, verify_chain
from dangjian.core.errors import ServiceValidationError
from tests.helpers import last_seq

SEPARATION = "系统管理员、安全管理员、审计员三类角色须由不同用户担任，且不兼任业务角色"
ADMIN_NOT_BUSINESS = "管理员账号不能兼任业务角色"
BRANCH_ONLY = "支部书记、支委角色只能绑定党支部"
NEEDS_ORG = "请选择该角色所辖的组织"
ADMIN_NO_ORG = "管理员角色不绑定组织"

BRANCH_ROLES = [Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE]
ACTOR = Actor.system("test")


@pytest.fixture
def newcomer(demo) -> User:
    return services.create_user(ACTOR, "zhaoliu", "Hongqi#2026x", display_name="赵六")


def _refused(user: User, role: str, organization=None) -> dict[str, str]:
    """Assert the assignment is refused without a trace; return the field errors."""
    held = set(RoleAssignment.objects.filter(user=user).values_list("pk", flat=True))
    start = last_seq()
    with pytest.raises(ServiceValidationError) as excinfo:
        services.assign_role(ACTOR, user, role, organization)
    assert set(RoleAssignment.objects.filter(user=user).values_list("pk", flat=True)) == held
    assert last_seq() == start
    return excinfo.value.errors


# ---- 三权分立 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("held", "wanted"),
    list(itertools.permutations(sorted(ADMIN_ROLES), 2)),
)
def test_two_administrator_roles_cannot_be_held_together(newcomer, held, wanted):
    services.assign_role(ACTOR, newcomer, held)

    assert _refused(newcomer, wanted) == {"role": SEPARATION}


@pytest.mark.parametrize(
    ("username", "wanted"),
    # The demo administrators are named after their role.
    list(itertools.permutations(sorted(ADMIN_ROLES), 2)),
)
def test_a_demo_administrator_cannot_take_a_second_administrator_role(demo, username, wanted):
    assert _refused(demo.users[username], wanted) == {"role": SEPARATION}


@pytest.mark.parametrize("admin_role", sorted(ADMIN_ROLES))
def test_an_administrator_cannot_take_a_business_role(demo, newcomer, admin_role):
    services.assign_role(ACTOR, newcomer, admin_role)

    assert _refused(newcomer, Role.BRANCH_SECRETARY, demo.branch) == {"role": ADMIN_NOT_BUSINESS}
    assert _refused(newcomer, Role.ORGAN_COMMITTEE, demo.organ_committee) == {
        "role": ADMIN_NOT_BUSINESS
    }


@pytest.mark.parametrize("admin_role", sorted(ADMIN_ROLES))
def test_a_business_role_holder_cannot_become_an_administrator(demo, admin_role):
    assert _refused(demo.users["secretary"], admin_role) == {"role": SEPARATION}
    assert _refused(demo.users["organ"], admin_role) == {"role": SEPARATION}


def test_an_administrator_role_is_not_bound_to_an_organization(demo, newcomer):
    assert _refused(newcomer, Role.AUDITOR, demo.organ_committee) == {"organization": ADMIN_NO_ORG}


def test_the_auditor_holds_no_business_scope(demo):
    scope = scope_for(demo.users["auditor"])

    assert scope.roles == {Role.AUDITOR}
    assert scope.paths == {}


def test_business_roles_may_be_combined(demo, newcomer):
    services.assign_role(ACTOR, newcomer, Role.BRANCH_SECRETARY, demo.branch)
    services.assign_role(ACTOR, newcomer, Role.BRANCH_COMMITTEE, demo.sibling_branch)
    services.assign_role(ACTOR, newcomer, Role.DISCIPLINE, demo.organ_committee)

    assert set(RoleAssignment.objects.filter(user=newcomer).values_list("role", flat=True)) == {
        Role.BRANCH_SECRETARY,
        Role.BRANCH_COMMITTEE,
        Role.DISCIPLINE,
    }


# ---- binding to organizations ----------------------------------------------------------------


@pytest.mark.parametrize("role", BRANCH_ROLES)
@pytest.mark.parametrize("code", ["FGW-JGDW", "FGW-ZZ", "FGW-B01-G1", "FGW-DZ", "GW", "FGW-JW"])
def test_branch_roles_bind_only_to_branches(demo, newcomer, role, code):
    assert _refused(newcomer, role, demo.org[code]) == {"organization": BRANCH_ONLY}


@pytest.mark.parametrize("role", BRANCH_ROLES)
def test_branch_roles_bind_to_a_branch(demo, newcomer, role):
    assignment = services.assign_role(ACTOR, newcomer, role, demo.branch)

    assert assignment.organization == demo.branch
    assert demo.branch.path in scope_for(User.objects.get(pk=newcomer.pk)).paths["read"]


@pytest.mark.parametrize("role", sorted(SCOPED_ROLES))
def test_scoped_roles_need_an_organization(newcomer, role):
    assert _refused(newcomer, role, None) == {"organization": NEEDS_ORG}


@pytest.mark.parametrize("role", [Role.ORGAN_COMMITTEE, Role.DISCIPLINE])
def test_organ_roles_bind_to_an_organ_committee(demo, newcomer, role):
    assignment = services.assign_role(ACTOR, newcomer, role, demo.organ_committee)

    assert assignment.organization == demo.organ_committee


def test_an_unknown_role_is_refused(newcomer):
    assert _refused(newcomer, "superuser") == {"role": "角色不存在"}


# ---- audit -----------------------------------------------------------------------------------


def test_each_assignment_is_audited_with_its_fields(demo, newcomer):
    actor = Actor(demo.users["sysadmin"], "10.0.0.8")
    start = last_seq()

    assignment = services.assign_role(actor, newcomer, Role.BRANCH_COMMITTEE, demo.branch)

    event = AuditEvent.objects.get(seq__gt=start)
    assert event.action == AuditAction.CREATE
    assert event.actor_username == "sysadmin"
    assert event.ip == "10.0.0.8"
    assert event.object_type == "accounts.roleassignment"
    assert event.object_id == str(assignment.pk)
    assert event.changes == {
        "organization": [None, demo.branch.pk],
        "role": [None, Role.BRANCH_COMMITTEE],
        "user": [None, newcomer.pk],
    }
    assert verify_chain().ok


def test_assigning_a_role_already_held_changes_nothing(demo, newcomer):
    first = services.assign_role(ACTOR, newcomer, Role.BRANCH_COMMITTEE, demo.branch)
    start = last_seq()

    again = services.assign_role(ACTOR, newcomer, Role.BRANCH_COMMITTEE, demo.branch)

    assert again.pk == first.pk
    assert RoleAssignment.objects.filter(user=newcomer).count() == 1
    assert last_seq() == start


def test_removing_a_role_is_audited_with_its_former_fields(demo, newcomer):
    assignment = services.assign_role(ACTOR, newcomer, Role.DISCIPLINE, demo.organ_committee)
    pk = assignment.pk
    start = last_seq()

    services.remove_role(Actor(demo.users["sysadmin"], "10.0.0.8"), assignment)

    assert not RoleAssignment.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(seq__gt=start)
    assert event.action == AuditAction.DELETE
    assert event.object_id == str(pk)
    assert event.changes == {
        "organization": [demo.organ_committee.pk, None],
        "role": [Role.DISCIPLINE, None],
        "user": [newcomer.pk, None],
    }


# ---- through the system administrator's page -------------------------------------------------


def test_a_misbound_role_request_is_refused_without_a_trace(demo, client_for):
    sysadmin = client_for(demo.users["sysadmin"])
    user = services.create_user(ACTOR, "zhaoliu", "Hongqi#2026x", display_name="赵六")
    start = last_seq()

    response = sysadmin.post(
        reverse("accounts:grant_request", args=[user.pk]),
        {"role": Role.BRANCH_SECRETARY, "organization": "fgw-jgdw"},
        follow=True,
    )

    assert BRANCH_ONLY in response.content.decode()
    assert not user.grants.exists() and not user.roles.exists()
    assert last_seq() == start


def test_the_page_creates_an_account_without_any_role(demo, client_for):
    """No default role: a role posted with the form is ignored; it must be requested."""
    sysadmin = client_for(demo.users["sysadmin"])
    start = last_seq()

    response = sysadmin.post(
        reverse("accounts:user_create"),
        {
            "username": "zhaoliu",
            "display_name": "赵六",
            "password": "Hongqi#2026x",
            "role": Role.BRANCH_COMMITTEE,
            "organization": "FGW-B02",
        },
    )

    user = User.objects.get(username="zhaoliu")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user_detail", args=[user.pk])
    assert not user.roles.exists()
    assert user.must_change_password and user.created_by == demo.users["sysadmin"]
    events = list(AuditEvent.objects.filter(seq__gt=start).order_by("seq"))
    assert [(e.action, e.object_type, e.actor_username) for e in events] == [
        (AuditAction.CREATE, "accounts.user", "sysadmin")
    ]
    assert "role" not in sysadmin.get(reverse("accounts:user_create")).context["form"].fields


def test_a_user_may_be_given_an_email_for_notices(demo, client_for):
    sysadmin = client_for(demo.users["sysadmin"])
    form = {
        "username": "zhaoliu",
        "display_name": "赵六",
        "password": "Hongqi#2026x",
        "role": Role.BRANCH_COMMITTEE,
        "organization": "FGW-B02",
    }
    start = last_seq()
    response = sysadmin.post(reverse("accounts:user_create"), {**form, "email": "zhaoliu@@x"})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["邮箱格式不正确"]
    assert not User.objects.filter(username="zhaoliu").exists()
    assert last_seq() == start

    response = sysadmin.post(
        reverse("accounts:user_create"), {**form, "email": " zhaoliu@example.gov.cn "}
    )
    assert response.status_code == 302
    assert User.objects.get(username="zhaoliu").email == "zhaoliu@example.gov.cn"
    created = AuditEvent.objects.filter(seq__gt=start, object_type="accounts.user").get()
    assert created.changes["email"] == [None, "zhaoliu@example.gov.cn"]
