"""Accounts for members, made from the roster: a branch's members in one step, or one existing
account linked to a member record.

Who: a holder of the reveal permission over the member's organization (支部书记, 机关党委).
Whoever holds a member's first password can read that member's own record in full, ID number
included, so only those who may already reveal it make the account; the system administrator,
who reads no member, cannot (三权分立), and a 支委, who reads but does not reveal, neither.

The account points at the member record (`User.member`), not at an organization: a move or a
transfer changes the record's organization and the account follows it with nothing to do.
An account made here holds no role: its own record is its whole scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from dangjian.accounts import services
from dangjian.accounts.access import Action, scope_for
from dangjian.accounts.models import ADMIN_ROLES, RoleAssignment, User
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core.errors import ServiceValidationError
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

SCHEMES = {
    "pinyin": "姓名拼音（重名加序号，如 zhangsan、zhangsan2）",
    "org": "组织编码加序号（如 fgw-b01-001）",
}
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Issued:
    """One line of the printable sheet: who, the username, the one-time password."""

    name: str
    username: str
    password: str


def _require_reveal(actor: Actor, org: Organization) -> None:
    if actor.user is None or not scope_for(actor.user).covers(org.path, Action.REVEAL):
        raise ServiceValidationError(
            {
                "organization": "只有可查看该组织党员完整信息的人员（支部书记、机关党委）可以为党员开通账号"
            }
        )


def without_account(org: Organization):
    """The organization's own members (not its subtree's) that have no account yet."""
    return Member.objects.filter(organization=org, user__isnull=True).order_by("name_pinyin", "pk")


def _usernames(members: list[Member], org: Organization, scheme: str) -> list[str]:
    taken = {u.lower() for u in User.objects.values_list("username", flat=True)}
    names = []
    for index, member in enumerate(members, start=1):
        if scheme == "org":
            base = _NOT_ALLOWED.sub("", org.code.lower())
            candidate, n = f"{base}-{index:03d}", index
            while candidate in taken:
                n += 1
                candidate = f"{base}-{n:03d}"
        else:
            base = _NOT_ALLOWED.sub("", member.name_pinyin.lower()) or "member"
            candidate, n = base, 1
            while candidate in taken:
                n += 1
                candidate = f"{base}{n}"
        taken.add(candidate)
        names.append(candidate)
    return names


@transaction.atomic
def create_for_members(
    actor: Actor, org: Organization, member_ids: list[int] | None = None, scheme: str = ""
) -> list[Issued]:
    """An account with a one-time password for each member of `org` without one (or those of
    `member_ids`); every password must be changed at the first login. All or nothing."""
    _require_reveal(actor, org)
    scheme = scheme or settings.MEMBER_USERNAME_SCHEME
    if scheme not in SCHEMES:
        raise ServiceValidationError({"scheme": "用户名规则不存在"})
    members = list(without_account(org))
    if member_ids is not None:
        members = [m for m in members if m.pk in set(member_ids)]
    if not members:
        raise ServiceValidationError({"members": "没有需要开通账号的党员"})
    issued = []
    for member, username in zip(members, _usernames(members, org, scheme), strict=True):
        password = services.one_time_password()
        services.create_user(
            actor,
            username,
            password,
            display_name=member.name,
            member=member,
            must_change_password=True,
        )
        issued.append(Issued(member.name, username, password))
    return issued


@transaction.atomic
def link(actor: Actor, user: User, member: Member) -> None:
    """Link an existing account to a member record (its own record becomes its scope)."""
    _require_reveal(actor, member.organization)
    if RoleAssignment.objects.filter(user=user, role__in=ADMIN_ROLES).exists():
        raise ServiceValidationError({"username": "管理员账号不能关联党员档案"})
    if user.member_id is not None:
        raise ServiceValidationError({"username": "该账号已关联党员档案"})
    if User.objects.filter(member=member).exists():
        raise ServiceValidationError({"member": "该党员已有账号"})
    user.member = member
    user.save(update_fields=["member"])
    record(
        actor,
        AuditAction.UPDATE,
        user,
        changes=diff({"member": None}, {"member": member.pk}),
        message=f"将账号 {user.username} 关联到党员档案",
    )
