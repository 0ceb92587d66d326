"""The demo's accounts: the three administrators and one account per business role."""

from __future__ import annotations

from dangjian.accounts.models import Role, User
from dangjian.accounts.services import assign_role, create_user
from dangjian.audit.services import Actor
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

DEFAULT_PASSWORD = "Dangjian@2026"  # noqa: S105 (the published demo password)
DEMO_USERS = [
    ("sysadmin", "系统管理员"),
    ("secadmin", "安全管理员"),
    ("auditor", "审计员"),
    ("organ", "机关党委（第一个部门）"),
    ("inspector", "机关纪委（第一个部门）"),
    ("secretary", "支部书记（第一个部门的第一个党支部）"),
    ("member", "普通党员（同一党支部）"),
]
PROVINCE_USER = ("gongwei", "机关工委（全部组织，省级规模演示）")


def create_demo_users(
    actor: Actor,
    password: str,
    *,
    committee: Organization,
    branch: Organization,
    organ_officer: Member,
    inspector: Member,
    secretary: Member,
    member: Member,
) -> None:
    """DEMO_USERS, bound to the first department: its committee, its first branch."""

    def user(username, display, role, org=None, linked=None):
        u = create_user(actor, username, password, display_name=display, member=linked)
        assign_role(actor, u, role, org)
        return u

    user("sysadmin", "系统管理员", Role.SYSADMIN)
    user("secadmin", "安全管理员", Role.SECADMIN)
    user("auditor", "审计员", Role.AUDITOR)
    user("organ", organ_officer.name, Role.ORGAN_COMMITTEE, committee, organ_officer)
    user("inspector", inspector.name, Role.DISCIPLINE, committee, inspector)
    user("secretary", secretary.name, Role.BRANCH_SECRETARY, branch, secretary)
    # An ordinary member holds no role: their own record is their whole scope.
    create_user(actor, "member", password, display_name=member.name, member=member)


def ensure_province_user(actor: Actor, password: str, root: Organization) -> None:
    """PROVINCE_USER: the 机关工委 over the whole province-scale tree."""
    username, display = PROVINCE_USER
    if not User.objects.filter(username=username).exists():
        u = create_user(actor, username, password, display_name=display)
        assign_role(actor, u, Role.ORGAN_COMMITTEE, root)
