"""Pages of the system administrator (users, roles) and the security administrator (lockouts)."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dangjian.accounts import services
from dangjian.accounts.access import require_role
from dangjian.accounts.forms import UserCreateForm
from dangjian.accounts.models import Role, User
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.orgs.models import Organization


@login_required
def user_list(request):
    require_role(request.user, Role.SYSADMIN)
    users = User.objects.prefetch_related("roles__organization").order_by("username")
    return render(request, "accounts/users.html", {"users": users})


@login_required
def user_create(request):
    require_role(request.user, Role.SYSADMIN)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org = None
        if data["organization"]:
            org = Organization.objects.filter(code=data["organization"].strip().upper()).first()
            if org is None:
                form.add_error("organization", "组织编码不存在")
        if form.is_valid():
            try:
                with transaction.atomic():
                    actor = Actor.from_request(request)
                    user = services.create_user(
                        actor,
                        data["username"],
                        data["password"],
                        display_name=data["display_name"],
                        email=data["email"],
                    )
                    services.assign_role(actor, user, data["role"], org)
            except ServiceValidationError as exc:
                for field, message in exc.errors.items():
                    form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, f"已创建用户 {user.username}")
                return redirect("accounts:users")
    return render(request, "accounts/user_form.html", {"form": form})


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
