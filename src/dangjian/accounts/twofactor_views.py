"""Two-factor pages: enrolment (QR code, then recovery codes shown once), the code asked after
the password, and the security administrator's list with resets."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from dangjian.accounts import queries, twofactor
from dangjian.accounts.access import require_role
from dangjian.accounts.models import Role
from dangjian.audit.models import AuditAction
from dangjian.audit.services import Actor, record
from dangjian.core.errors import ServiceValidationError


def _next(request) -> str:
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "home"


@login_required
def setup(request):
    user = request.user
    if twofactor.enrolled(user) and not user.is_verified():
        return redirect("two_factor_verify")
    device = twofactor.pending_device(user)
    error = ""
    if request.method == "POST":
        try:
            codes = twofactor.confirm(
                Actor.from_request(request), user, request.POST.get("token", "")
            )
        except ServiceValidationError as exc:
            error = exc.errors["token"]
        else:
            otp_login(request, twofactor.verify_device(user))
            return render(
                request, "accounts/2fa_codes.html", {"codes": codes, "next": _next(request)}
            )
    context = {
        "qr": twofactor.qr_svg_data_uri(device),
        "secret": twofactor.secret_base32(device),
        "error": error,
    }
    return render(request, "accounts/2fa_setup.html", context)


@login_required
def verify(request):
    user = request.user
    if not twofactor.enrolled(user):
        return redirect("two_factor_setup")
    error = ""
    if request.method == "POST":
        device = twofactor.verify(user, request.POST.get("token", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_next(request))
        error = "验证码不正确或已使用"
        record(
            Actor.from_request(request),
            AuditAction.LOGIN_FAILED,
            user,
            message=f"{user.username} 双因素验证码不正确",
        )
    return render(request, "accounts/2fa_verify.html", {"error": error})


@login_required
def admin_list(request):
    require_role(request.user, Role.SECADMIN)
    return render(request, "accounts/2fa_admin.html", {"rows": twofactor.users_requiring()})


@login_required
@require_POST
def admin_reset(request, pk):
    require_role(request.user, Role.SECADMIN)
    user = queries.get_user(pk)
    try:
        twofactor.reset(Actor.from_request(request), user)
    except ServiceValidationError as exc:
        for message in exc.errors.values():
            messages.error(request, message)
    else:
        messages.success(request, f"已重置 {user.username} 的双因素认证，其下次登录时重新绑定")
    return redirect("accounts:two_factor_admin")
