"""Two-factor login (TOTP through django-otp; 等保: two techniques, one cryptographic).

Required for the three administrators, and for 机关党委 and 纪检 when DANGJIAN_TOTP_BUSINESS_ROLES
is set. Enrolment shows a QR code drawn here (segno, no call-out) for any standard authenticator
app, then ten recovery codes shown once. Only the security administrator resets a user's second
factor (audited); the user enrols again at the next login. API tokens are a credential of their
own and are not asked for a code.
"""

from __future__ import annotations

import base64
import secrets

import segno
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dangjian.accounts.access import has_role, scope_for
from dangjian.accounts.models import ADMIN_ROLES, Role, User
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.errors import ServiceValidationError

RECOVERY_CODES = 10


def required_for(user) -> bool:
    if not settings.TOTP_REQUIRED or user is None or not user.is_authenticated:
        return False
    roles = scope_for(user).roles
    if roles & ADMIN_ROLES:
        return True
    business = {Role.ORGAN_COMMITTEE, Role.DISCIPLINE}
    return bool(settings.TOTP_BUSINESS_ROLES and roles & business)


def enrolled(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user) -> TOTPDevice:
    """The unconfirmed device enrolment shows (made once, kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
    return device


def qr_svg_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address (issuer: OTP_TOTP_ISSUER) as a QR code, drawn here."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5))


def secret_base32(device: TOTPDevice) -> str:
    """The key for typing into an app by hand."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


@transaction.atomic
def confirm(actor: Actor, user: User, token: str) -> list[str]:
    """Confirm the pending device with a first code; return the recovery codes (shown once)."""
    device = pending_device(user)
    if not device.verify_token((token or "").strip()):
        raise ServiceValidationError({"token": "验证码不正确，请核对手机时间后重试"})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    codes = _new_recovery_codes(user)
    record(actor, AuditAction.UPDATE, user, message=f"{user.username} 启用双因素认证")
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="恢复码")
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes


def verify_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


def verify(user: User, token: str):
    """The device that accepts `token` (a TOTP code, or a recovery code, used up), or None."""
    token = (token or "").strip().replace(" ", "")
    for device in devices_for_user(user, confirmed=True):
        if device.verify_is_allowed()[0] and device.verify_token(token):
            return device
    return None


@transaction.atomic
def reset(actor: Actor, user: User) -> None:
    """The security administrator removes a user's second factor; they enrol again."""
    if actor.user is None or not has_role(actor.user, Role.SECADMIN):
        raise ServiceValidationError({"user": "只有安全管理员可以重置双因素认证"})
    if actor.user.pk == user.pk:
        raise ServiceValidationError({"user": "不能重置本人的双因素认证"})
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record(actor, AuditAction.UPDATE, user, message=f"重置 {user.username} 的双因素认证")


def users_requiring() -> list[tuple[User, bool]]:
    """The accounts that need a second factor, with whether they have enrolled."""
    roles = set(ADMIN_ROLES)
    if settings.TOTP_BUSINESS_ROLES:
        roles |= {Role.ORGAN_COMMITTEE, Role.DISCIPLINE}
    users = User.objects.filter(roles__role__in=roles, is_active=True).distinct()
    done = set(
        TOTPDevice.objects.filter(confirmed=True, user__in=users).values_list("user_id", flat=True)
    )
    return [(u, u.pk in done) for u in users.order_by("username")]
