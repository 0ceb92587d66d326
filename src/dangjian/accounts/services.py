"""Writes to users, roles, passwords, sessions and tokens; each one audited.

Role grants that open personal data, password resets and links to a member record take effect
through `dangjian.accounts.grants` (two people); `assign_role` below is what an approved grant,
the demo and the shell call.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.hashers import check_password as hash_matches
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.access import Action, scope_for
from dangjian.accounts.models import (
    ADMIN_ROLES,
    SCOPED_ROLES,
    ApiToken,
    PasswordHistory,
    Role,
    RoleAssignment,
    User,
    UserSession,
)
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, diff, record
from dangjian.core.errors import ServiceValidationError
from dangjian.crypto import default_keyring
from dangjian.orgs.models import Organization, OrgKind

TOKEN_PREFIX = "dj_"  # noqa: S105 (a marker, not a secret)
BRANCH_ROLES = {Role.BRANCH_SECRETARY, Role.BRANCH_COMMITTEE}
USERNAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
USERNAME_RULE = "用户名只能包含英文字母、数字和 . _ -"


def check_password(password: str, user: User | None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceValidationError({"password": "；".join(exc.messages)}) from None
    if user is not None and user.pk and _used_before(user, password):
        raise ServiceValidationError(
            {"password": f"不能使用最近 {settings.PASSWORD_HISTORY} 次用过的密码"}
        )


def _used_before(user: User, password: str) -> bool:
    keep = settings.PASSWORD_HISTORY
    if keep <= 0:
        return False
    if user.password and hash_matches(password, user.password):
        return True
    earlier = PasswordHistory.objects.filter(user=user).values_list("password", flat=True)
    # The history holds the current password too (it is stored as it is set).
    return any(hash_matches(password, h) for h in earlier[:keep])


def _store_password(user: User, password: str, *, must_change: bool) -> None:
    """Set the password, keep its hash in the history, and save."""
    user.set_password(password)
    user.must_change_password = must_change
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    PasswordHistory.objects.create(user=user, password=user.password)
    stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
        max(settings.PASSWORD_HISTORY, 1) :
    ]
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()


def password_expired(user: User) -> bool:
    """An administrator's password older than DANGJIAN_ADMIN_PASSWORD_DAYS (others: the
    members' setting, off by default)."""
    days = (
        settings.ADMIN_PASSWORD_DAYS if scope_for(user).is_admin else settings.MEMBER_PASSWORD_DAYS
    )
    if not days or user.password_changed_at is None:
        return False
    return timezone.now() - user.password_changed_at > dt.timedelta(days=days)


def one_time_password() -> str:
    """A random password that meets the policy (every character class), for a first login."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
    body = "".join(secrets.choice(alphabet) for _ in range(10))
    return (
        f"{body[:5]}-{secrets.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{secrets.randbelow(10)}{body[5:]}x"
    )


@transaction.atomic
def create_user(
    actor: Actor,
    username: str,
    password: str,
    *,
    display_name: str = "",
    member=None,
    email: str = "",
    must_change_password: bool = False,
) -> User:
    """A user; `email` (optional) receives the inbox's notices when SMTP is configured.
    `must_change_password`: the password is an initial one, to be replaced at the first login."""
    username = username.strip()
    if not username:
        raise ServiceValidationError({"username": "请填写用户名"})
    if not USERNAME_RE.match(username):
        raise ServiceValidationError({"username": USERNAME_RULE})
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceValidationError({"username": "该用户名已存在"})
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceValidationError({"email": "邮箱格式不正确"}) from None
    user = User(
        username=username,
        first_name=display_name[:150],
        member=member,
        email=email,
        created_by=actor.user if getattr(actor.user, "pk", None) else None,
    )
    check_password(password, user)
    user.save()
    _store_password(user, password, must_change=must_change_password)
    fields = {"username": username, "member": user.member_id}
    if email:
        fields["email"] = email
    record(actor, AuditAction.CREATE, user, changes=diff(None, fields))
    return user


@transaction.atomic
def set_password(actor: Actor, user: User, password: str) -> None:
    check_password(password, user)
    _store_password(user, password, must_change=False)
    record(actor, AuditAction.UPDATE, user, message="重设密码")


@transaction.atomic
def change_own_password(actor: Actor, user: User, old: str, new: str) -> None:
    """The user's own change: the current password first, then the policy and the history."""
    if not user.check_password(old):
        raise ServiceValidationError({"old_password": "当前密码不正确"})
    if old == new:
        raise ServiceValidationError({"password": "新密码不能与当前密码相同"})
    check_password(new, user)
    _store_password(user, new, must_change=False)
    record(actor, AuditAction.UPDATE, user, message="修改本人密码")


@transaction.atomic
def reset_password(actor: Actor, user: User) -> str:
    """A one-time password the user must replace at the next login; their sessions end.
    Reached from the pages only through an approved grant (`grants`)."""
    password = one_time_password()
    _store_password(user, password, must_change=True)
    _end_sessions(user)
    record(
        actor, AuditAction.UPDATE, user, message=f"重置 {user.username} 的密码，须在下次登录时修改"
    )
    return password


def _reads_members(user: User) -> bool:
    scope = scope_for(user)
    return bool(scope.paths.get(Action.READ)) or bool(scope.own_member_id)


@transaction.atomic
def update_user(actor: Actor, user: User, *, display_name: str, email: str) -> User:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ServiceValidationError({"email": "邮箱格式不正确"}) from None
    if email != user.email and _reads_members(user) and getattr(actor.user, "pk", None) != user.pk:
        # Notices (and their e-mails) speak of members: a new address set by someone else
        # would send them away from the account's holder.
        raise ServiceValidationError({"email": "可查看党员信息的账号，邮箱不能由他人修改"})
    before = {"display_name": user.first_name, "email": user.email}
    user.first_name = (display_name or "").strip()[:150]
    user.email = email
    after = {"display_name": user.first_name, "email": user.email}
    if before != after:
        user.save(update_fields=["first_name", "email"])
        record(actor, AuditAction.UPDATE, user, changes=diff(before, after))
    return user


@transaction.atomic
def set_active(actor: Actor, user: User, active: bool) -> None:
    """Disable or enable an account; a disabled account's sessions end and its tokens stop
    (`user_for_token` answers no inactive user)."""
    if not active and actor.user is not None and actor.user.pk == user.pk:
        raise ServiceValidationError({"user": "不能停用自己的账号"})
    if user.is_active == active:
        return
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        _end_sessions(user)
    record(
        actor,
        AuditAction.UPDATE,
        user,
        changes=diff({"is_active": not active}, {"is_active": active}),
        message=f"{'启用' if active else '停用'}账号 {user.username}",
    )


def _end_sessions(user: User, keys: list[str] | None = None) -> int:
    rows = UserSession.objects.filter(user=user)
    if keys is not None:
        rows = rows.filter(session_key__in=keys)
    found = list(rows.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=found).delete()
    rows.delete()
    return len(found)


def live_sessions(user: User) -> list[UserSession]:
    alive = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return list(UserSession.objects.filter(user=user, session_key__in=alive))


@transaction.atomic
def end_sessions(actor: Actor, user: User, session_ids: list[int] | None = None) -> int:
    """End some (by `UserSession` id) or all of a user's sessions."""
    keys = None
    if session_ids is not None:
        keys = list(
            UserSession.objects.filter(user=user, pk__in=session_ids).values_list(
                "session_key", flat=True
            )
        )
    count = _end_sessions(user, keys)
    if count:
        record(actor, AuditAction.UPDATE, user, message=f"结束 {user.username} 的 {count} 个会话")
    return count


def rekey_session(old_key: str | None, new_key: str | None) -> None:
    """The session got a new key (a password change): keep it listed under the new one."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def record_session(user: User, session_key: str | None, ip: str) -> None:
    if session_key:
        UserSession.objects.get_or_create(
            session_key=session_key, defaults={"user": user, "ip_address": ip[:45]}
        )


def validate_role(user: User, role: str, organization: Organization | None) -> None:
    """The role fits the account: 三权分立 between the administrators, none of them with a
    business role, business roles bound to an organization of the right kind."""
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


@transaction.atomic
def assign_role(
    actor: Actor, user: User, role: str, organization: Organization | None = None
) -> RoleAssignment:
    validate_role(user, role, organization)
    assignment, created = RoleAssignment.objects.get_or_create(
        user=user, role=role, organization=organization
    )
    if created:
        record(actor, AuditAction.CREATE, assignment, changes=diff(None, assignment.audit_fields()))
    return assignment


@transaction.atomic
def remove_role(actor: Actor, assignment: RoleAssignment) -> None:
    """Taking a role away needs one person: it can only narrow what the account sees."""
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


@transaction.atomic
def revoke_token(actor: Actor, api_token: ApiToken) -> bool:
    if api_token.revoked_at is not None:
        return False
    api_token.revoked_at = timezone.now()
    api_token.save(update_fields=["revoked_at"])
    record(
        actor,
        AuditAction.TOKEN,
        api_token,
        message=f"吊销 {api_token.user.username} 的 API 令牌 {api_token.prefix}…",
    )
    return True


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
