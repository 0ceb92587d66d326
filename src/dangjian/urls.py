"""URL configuration: pages and the REST API under /api/v1/."""

from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path

from dangjian.accounts import twofactor_views
from dangjian.accounts import views as account_views
from dangjian.api import api
from dangjian.core import views as core_views
from dangjian.desk import views as desk_views
from dangjian.members import account_views as member_account_views
from dangjian.ops import audit_views
from dangjian.structure import change_views
from dangjian.structure import views as org_views

org_patterns = (
    [
        path("", org_views.tree, name="tree"),
        path("pick/", org_views.org_pick, name="pick"),
        path("<int:pk>/", org_views.org_detail, name="detail"),
        path("<int:pk>/children/", org_views.tree_children_view, name="children"),
        path("<int:pk>/new/", change_views.org_found_child, name="found_child"),
        path("<int:pk>/kind/", change_views.org_change_kind, name="change_kind"),
        path("<int:pk>/dissolve/", change_views.org_dissolve, name="dissolve"),
    ],
    "orgs",
)
audit_patterns = (
    [
        path("", audit_views.event_list, name="list"),
        path("export.xlsx", audit_views.event_export, name="export"),
        path("verify/", audit_views.event_verify, name="verify"),
    ],
    "audit",
)
account_patterns = (
    [
        path("users/", account_views.user_list, name="users"),
        path("users/new/", account_views.user_create, name="user_create"),
        path("users/<int:pk>/", account_views.user_detail, name="user_detail"),
        path("users/<int:pk>/active/", account_views.user_active, name="user_active"),
        path("users/<int:pk>/grant/", account_views.grant_request, name="grant_request"),
        path("users/<int:pk>/reset/", account_views.reset_request, name="reset_request"),
        path("users/<int:pk>/sessions/end/", account_views.sessions_end, name="sessions_end"),
        path(
            "users/<int:pk>/roles/<int:role_pk>/remove/",
            account_views.role_remove,
            name="role_remove",
        ),
        path(
            "users/<int:pk>/tokens/<int:token_pk>/revoke/",
            account_views.token_revoke,
            name="token_revoke",
        ),
        path("member-accounts/", member_account_views.member_account_list, name="member_accounts"),
        path(
            "member-accounts/create/",
            member_account_views.member_account_create,
            name="member_account_create",
        ),
        path(
            "member-accounts/link/",
            member_account_views.member_account_link,
            name="member_account_link",
        ),
        path("2fa/", twofactor_views.admin_list, name="two_factor_admin"),
        path("2fa/<int:pk>/reset/", twofactor_views.admin_reset, name="two_factor_reset"),
        path("grants/", account_views.grant_list, name="grants"),
        path(
            "grants/<int:pk>/approve/",
            account_views.grant_decide,
            {"decision": "approve"},
            name="grant_approve",
        ),
        path(
            "grants/<int:pk>/reject/",
            account_views.grant_decide,
            {"decision": "reject"},
            name="grant_reject",
        ),
        path(
            "grants/<int:pk>/cancel/",
            account_views.grant_decide,
            {"decision": "cancel"},
            name="grant_cancel",
        ),
        path("lockouts/", account_views.lockouts, name="lockouts"),
        path("lockouts/unlock/", account_views.unlock, name="unlock"),
    ],
    "accounts",
)


def favicon(request):
    """Browsers ask for /favicon.ico on every page; answer with the shipped icon, not a 404."""
    return HttpResponseRedirect(static("dangjian/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("", desk_views.home, name="home"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", core_views.LogoutView.as_view(), name="logout"),
    path("password/", account_views.password_change, name="password_change"),
    path("still-here/", account_views.still_here, name="still_here"),
    path("2fa/setup/", twofactor_views.setup, name="two_factor_setup"),
    path("2fa/verify/", twofactor_views.verify, name="two_factor_verify"),
    path("healthz", core_views.health, name="health"),
    path("orgs/", include(org_patterns)),
    path("members/", include("dangjian.members.urls")),
    path("meetings/", include("dangjian.meetings.urls")),
    path("compliance/", include("dangjian.meetings.findings.urls")),
    # The inbox kept the address it had when it lived in the duties app.
    path("duties/inbox/", include("dangjian.notices.urls")),
    path("duties/", include("dangjian.duties.urls")),
    path("library/", include("dangjian.study.urls")),
    path("study/", include("dangjian.study.hours_urls")),
    path("desk/", include("dangjian.desk.urls")),
    path("recruitment/", include("dangjian.recruitment.urls")),
    path("dues/", include("dangjian.dues.urls")),
    path("transfers/", include("dangjian.transfers.urls")),
    path("discipline/", include("dangjian.discipline.urls")),
    path("assessment/", include("dangjian.assessment.urls")),
    path("audit/", include(audit_patterns)),
    path("admin/", include(account_patterns)),
    path("api/", api.urls),
]

# Errors in Chinese, inside the layout (pages) or as {"detail": …} (under /api/).
handler400 = "dangjian.core.views.bad_request"
handler403 = "dangjian.core.views.permission_denied"
handler404 = "dangjian.core.views.page_not_found"
handler500 = "dangjian.core.views.server_error"
