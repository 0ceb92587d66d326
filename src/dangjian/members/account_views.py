"""The pages that make accounts for members from the roster (the branch's revealers:
支部书记, 机关党委): they list a branch's members, so they sit in members, above accounts.
Their URLs stay in the `accounts` namespace (党员账号)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dangjian.accounts.access import Action, get_org_for_user, require_scope
from dangjian.accounts.models import User
from dangjian.audit.services import Actor
from dangjian.core.errors import ServiceValidationError
from dangjian.members import member_accounts


def _flash_errors(request, exc: ServiceValidationError) -> None:
    for message in exc.errors.values():
        messages.error(request, message)


def _revealable_org(request):
    require_scope(request.user, Action.REVEAL, "只有支部书记、机关党委可以为党员开通账号")
    code = (request.GET.get("org") or "").strip().upper()
    if not code:
        return None
    return get_org_for_user(request.user, code, Action.REVEAL, field_name="code")


@login_required
def member_account_list(request):
    """A branch's members without an account; create theirs in one step, or link one."""
    org = _revealable_org(request)
    context = {
        "org": org,
        "schemes": member_accounts.SCHEMES,
        "scheme": settings.MEMBER_USERNAME_SCHEME,
        "members": list(member_accounts.without_account(org)) if org else [],
    }
    return render(request, "accounts/member_accounts.html", context)


@login_required
@require_POST
def member_account_create(request):
    org = _revealable_org(request)
    if org is None:
        messages.error(request, "请先选择组织")
        return redirect("accounts:member_accounts")
    ids = [int(v) for v in request.POST.getlist("member") if v.isdigit()] or None
    try:
        issued = member_accounts.create_for_members(
            Actor.from_request(request), org, ids, request.POST.get("scheme", "")
        )
    except ServiceValidationError as exc:
        _flash_errors(request, exc)
        return redirect(f"{request.path.rsplit('create/', 1)[0]}?org={org.code}")
    # The one-time passwords exist only on this page: print it, hand each slip over.
    return render(request, "accounts/member_sheet.html", {"org": org, "issued": issued})


@login_required
@require_POST
def member_account_link(request):
    org = _revealable_org(request)
    if org is None:
        messages.error(request, "请先选择组织")
        return redirect("accounts:member_accounts")
    target = f"{request.path.rsplit('link/', 1)[0]}?org={org.code}"
    member = member_accounts.without_account(org).filter(pk=request.POST.get("member") or 0).first()
    user = User.objects.filter(username=(request.POST.get("username") or "").strip()).first()
    if member is None or user is None:
        messages.error(request, "请选择党员并填写已有的用户名")
        return redirect(target)
    try:
        member_accounts.link(Actor.from_request(request), user, member)
    except ServiceValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, f"已将账号 {user.username} 关联到 {member.name}")
    return redirect(target)
