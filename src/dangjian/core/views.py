"""Home, login and logout."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from dangjian.accounts.access import scope_for
from dangjian.accounts.models import Role


@login_required
def home(request):
    scope = scope_for(request.user)
    if Role.AUDITOR in scope.roles:
        return redirect("audit:list")
    if Role.SECADMIN in scope.roles:
        return redirect("accounts:lockouts")
    if scope.sees_structure:
        return redirect("orgs:tree")
    if scope.own_member_id:
        return redirect("members:detail", pk=scope.own_member_id)
    return render(request, "core/no_role.html")


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        if request.GET.get("timeout"):
            messages.info(request, "长时间未操作，已自动退出，请重新登录")
        return super().get(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


def health(request):
    from django.http import JsonResponse

    return JsonResponse({"status": "ok"})
