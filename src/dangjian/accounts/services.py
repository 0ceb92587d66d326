"""Writes to users, roles and tokens; each one audited."""

from __future__ import annotations

import datetime as dt
import secrets

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import ADMIN_ROLES, SCOPED_ROLES, ApiToken, Role, RoleAssignment, User
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.orgs.models import Organization, OrgKind

TOKEN_PREFIX = "dj_"  # noqa: S105 (a marker, not a secret)
BRANCH_ROLES = {Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE}


def check_password(password: str, user: User | None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceValidationError({"password": "；".join(exc.messages)}) from None


@transaction.atomic
def create_user(
    actor: Actor,
    username: str,
    password: str,
    *,
    display_name: str = "",
    member=None,
    email: str = "",
) -> User:
    """A user; `email` (optional) receives the inbox's notices when SMTP is configured."""
    username = username.strip()
    if not username:
        raise ServiceValidationError({"username": "请填写用户名"})
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceValidationError({"username": "该用户名已存在"})
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceValidationError({"email": "邮箱格式不正确"}) from None
    user = User(username=username, first_name=display_name[:150], member=member, email=email)
    check_password(password, user)
    user.set_password(password)
    user.save()
    fields = {"username": username, "member": user.member_id}
    if email:
        fields["email"] = email
    record(actor, AuditAction.CREATE, user, changes=diff(None, fields))
    return user


@transaction.atomic
def set_password(actor: Actor, user: User, password: str) -> None:
    check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor, AuditAction.UPDATE, user, message="重设密码")


@transaction.atomic
def assign_role(
    actor: Actor, user: User, role: str, organization: Organization | None = None
) -> RoleAssignment:
    if role not in Role.values:
        raise ServiceValidationError({"role": "角色不存在"})
    held = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    if role in ADMIN_ROLES and held - {role}:
        raise ServiceValidationError(
            {"role": "系统管理员、安全管理员、审计员三类角色须由不同用户担任，且不兼任业务角色"}
        )
    if role not in ADMIN_ROLES and held & ADMIN_ROLES:
        raise ServiceValidationError({"role": "管理员账号不能兼任业务角色"})
    if role in ADMIN_ROLES and organization is not None:
        raise ServiceValidationError({"organization": "管理员角色不绑定组织"})
    if role in SCOPED_ROLES and organization is None:
        raise ServiceValidationError({"organization": "请选择该角色所辖的组织"})
    if role in BRANCH_ROLES and organization is not None and organization.kind != OrgKind.BRANCH:
        raise ServiceValidationError({"organization": "支部书记、支委角色只能绑定党支部"})
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, organization=organization
    )
    if created:
        record(actor, AuditAction.CREATE, assignment, changes=diff(None, assignment.audit_fields()))
    return assignment


@transaction.atomic
def remove_role(actor: Actor, assignment: RoleAssignment) -> None:
    before = assignment.audit_fields()
    record(actor, AuditAction.DELETE, assignment, changes=diff(before, None))
    assignment.delete()


@transaction.atomic
def create_token(actor: Actor, user: User, name: str = "", days: int | None = 365) -> str:
    """A new API token; the plaintext is returned once and only its HMAC-SM3 digest is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(days=days) if days else None
    api_token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        digest=default_keyring().token_digest(token),
        prefix=token[:10],
        expires_at=expires,
    )
    record(
        actor,
        AuditAction.TOKEN,
        api_token,
        message=f"为 {user.username} 创建 API 令牌 {api_token.prefix}…",
    )
    return token


def user_for_token(token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    api_token = (
        ApiToken.objects.select_related("user")
        .filter(digest=default_keyring().token_digest(token), revoked_at__isnull=True)
        .first()
    )
    if api_token is None or not api_token.user.is_active:
        return None
    if api_token.expires_at is not None and api_token.expires_at < timezone.now():
        return None
    return api_token.user


@transaction.atomic
def unlock(actor: Actor, username: str) -> int:
    count = axes_reset(username=username)
    record(
        actor,
        AuditAction.UNLOCK,
        object_type="accounts.user",
        object_repr=username,
        message=f"解除 {username} 的登录锁定",
    )
    return count
