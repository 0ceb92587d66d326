"""Pages of the system administrator (用户管理), the security administrator (grants, lockouts),
the auditor (grants, read only) and every user's own password."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from dangjian.accounts import grants, queries, services
from dangjian.accounts.access import has_role, require_role
from dangjian.accounts.forms import (
    GrantRequestForm,
    PasswordChangeForm,
    UserCreateForm,
    UserEditForm,
    UserFilterForm,
)
from dangjian.accounts.models import Role, RoleAssignment
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.orgs.models import Organization


def _form_errors(form, exc: ServiceValidationError) -> None:
    for field, message in exc.errors.items():
        form.add_error(field if field in form.fields else None, message)


def _flash_errors(request, exc: ServiceValidationError) -> None:
    for message in exc.errors.values():
        messages.error(request, message)


# ---- 用户管理 (the system administrator) -----------------------------------------------------


@login_required
def user_list(request):
    require_role(request.user, Role.SYSADMIN)
    filters = UserFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    users = queries.users(data.get("q", ""), data.get("role", ""), data.get("status", ""))
    return render(request, "accounts/users.html", {"users": users, "filters": filters})


@login_required
def user_create(request):
    require_role(request.user, Role.SYSADMIN)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.create_user(
                Actor.from_request(request),
                data["username"],
                data["password"],
                display_name=data["display_name"],
                email=data["email"],
                must_change_password=True,
            )
        except ServiceValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, f"已创建用户 {user.username}；角色须申请并经安全管理员审批")
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
def user_detail(request, pk):
    """The account: edit, roles (remove; request more), sessions, tokens, state, reset."""
    require_role(request.user, Role.SYSADMIN)
    user = queries.get_user(pk)
    form = UserEditForm(
        request.POST or None, initial={"display_name": user.first_name, "email": user.email}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(
                Actor.from_request(request),
                user,
                display_name=form.cleaned_data["display_name"],
                email=form.cleaned_data["email"],
            )
        except ServiceValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("accounts:user_detail", pk=user.pk)
    context = {
        "account": user,
        "form": form,
        "grant_form": GrantRequestForm(),
        "roles": user.roles.select_related("organization"),
        "sessions": services.live_sessions(user),
        "tokens": queries.tokens(user),
        "pending": queries.pending_grants(request.user).filter(user=user),
    }
    return render(request, "accounts/user_detail.html", context)


@login_required
@require_POST
def user_active(request, pk):
    require_role(request.user, Role.SYSADMIN)
    user = queries.get_user(pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_active(Actor.from_request(request), user, active)
    except ServiceValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, f"已{'启用' if active else '停用'}账号 {user.username}")
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def role_remove(request, pk, role_pk):
    require_role(request.user, Role.SYSADMIN)
    user = queries.get_user(pk)
    assignment = RoleAssignment.objects.filter(user=user, pk=role_pk).first()
    if assignment is not None:
        services.remove_role(Actor.from_request(request), assignment)
        messages.success(request, f"已取消角色 {assignment.get_role_display()}")
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def grant_request(request, pk):
    require_role(request.user, Role.SYSADMIN)
    user = queries.get_user(pk)
    form = GrantRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择角色")
        return redirect("accounts:user_detail", pk=user.pk)
    org = None
    code = form.cleaned_data["organization"].strip().upper()
    if code:
        org = Organization.objects.filter(code=code).first()
        if org is None:
            messages.error(request, "组织编码不存在")
            return redirect("accounts:user_detail", pk=user.pk)
    try:
        grants.request_role(Actor.from_request(request), user, form.cleaned_data["role"], org)
    except ServiceValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, "已提交授权申请，待安全管理员审批后生效")
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def reset_request(request, pk):
    require_role(request.user, Role.SYSADMIN)
    user = queries.get_user(pk)
    try:
        grants.request_reset(Actor.from_request(request), user)
    except ServiceValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, "已提交重置密码申请，待安全管理员审批")
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def sessions_end(request, pk):
    require_role(request.user, Role.SYSADMIN)
    user = queries.get_user(pk)
    ids = [int(v) for v in request.POST.getlist("session") if v.isdigit()] or None
    count = services.end_sessions(Actor.from_request(request), user, ids)
    messages.success(request, f"已结束 {count} 个会话")
    return redirect("accounts:user_detail", pk=user.pk)


@login_required
@require_POST
def token_revoke(request, pk, token_pk):
    require_role(request.user, Role.SYSADMIN)
    user = queries.get_user(pk)
    token = queries.tokens(user).filter(pk=token_pk).first()
    if token is not None and services.revoke_token(Actor.from_request(request), token):
        messages.success(request, f"已吊销令牌 {token.prefix}…")
    return redirect("accounts:user_detail", pk=user.pk)


# ---- grants (the three administrators) -------------------------------------------------------


@login_required
def grant_list(request):
    require_role(request.user, Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR)
    rows = queries.grants_for(request.user)
    status = request.GET.get("status", "")
    if status in {"pending", "approved", "rejected", "cancelled"}:
        rows = rows.filter(status=status)
    actor = Actor.from_request(request)
    items = [(g, grants.refusal_to_approve(actor, g)) for g in rows[:200]]
    context = {
        "items": items,
        "status": status,
        "can_decide": has_role(request.user, Role.SECADMIN),
        "is_sysadmin": has_role(request.user, Role.SYSADMIN),
    }
    return render(request, "accounts/grants.html", context)


@login_required
@require_POST
def grant_decide(request, pk, decision):
    """approve / reject (security administrator) or cancel (the requester)."""
    if decision == "cancel":
        require_role(request.user, Role.SYSADMIN)
    else:
        require_role(request.user, Role.SECADMIN)
    grant = queries.get_grant(request.user, pk)
    actor = Actor.from_request(request)
    try:
        if decision == "approve":
            password = grants.approve(actor, grant)
            if password:
                # Shown once, to the approver, who hands it over; never stored in clear.
                return render(
                    request,
                    "accounts/one_time_password.html",
                    {"account": grant.user, "password": password},
                )
            messages.success(request, f"已批准：{grant.summary}")
        elif decision == "reject":
            grants.reject(actor, grant)
            messages.success(request, f"已驳回：{grant.summary}")
        else:
            grants.cancel(actor, grant)
            messages.success(request, f"已撤回：{grant.summary}")
    except ServiceValidationError as exc:
        _flash_errors(request, exc)
    return redirect("accounts:grants")


# ---- the security administrator's lockouts ---------------------------------------------------


@login_required
def lockouts(request):
    require_role(request.user, Role.SECADMIN)
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).order_by("-attempt_time")
    return render(request, "accounts/lockouts.html", {"attempts": attempts})


@login_required
@require_POST
def unlock(request):
    require_role(request.user, Role.SECADMIN)
    username = (request.POST.get("username") or "").strip()
    if username:
        services.unlock(Actor.from_request(request), username)
        messages.success(request, f"已解除 {username} 的锁定")
    return redirect("accounts:lockouts")


# ---- the user's own password -----------------------------------------------------------------


@login_required
def password_change(request):
    user = request.user
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.change_own_password(
                    Actor.from_request(request),
                    user,
                    form.cleaned_data["old_password"],
                    form.cleaned_data["password"],
                )
        except ServiceValidationError as exc:
            _form_errors(form, exc)
        else:
            old_key = request.session.session_key
            update_session_auth_hash(request, user)  # this session stays, the others end
            services.rekey_session(old_key, request.session.session_key)
            messages.success(request, "密码已修改")
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = "home"
            return redirect(target)
    reason = ""
    if user.must_change_password:
        reason = "您正在使用初始密码或重置后的密码，请先设置新密码。"
    elif services.password_expired(user):
        reason = "您的密码已过期，请设置新密码。"
    return render(request, "accounts/password_change.html", {"form": form, "reason": reason})


@login_required
@require_POST
def still_here(request):
    """The 继续使用 button of the idle warning: a request like any other, so the idle clock starts
    again (IdleTimeoutMiddleware); nothing else. A session already ended gets the login
    redirect, which the page shows as 已退出登录."""
    return HttpResponse(status=204)
