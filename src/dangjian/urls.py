"""URL configuration: pages and the REST API under /api/v1/."""

from django.urls import include, path

from dangjian.accounts import views as account_views
from dangjian.api import api
from dangjian.audit import views as audit_views
from dangjian.core import views as core_views
from dangjian.members import import_views
from dangjian.members import views as member_views
from dangjian.orgs import views as org_views

org_patterns = (
    [
        path("", org_views.tree, name="tree"),
        path("<int:pk>/", org_views.org_detail, name="detail"),
        path("<int:pk>/children/", org_views.tree_children_view, name="children"),
    ],
    "orgs",
)
member_patterns = (
    [
        path("", member_views.member_list_view, name="list"),
        path("export.xlsx", member_views.member_export, name="export"),
        path("new/", member_views.member_create, name="create"),
        path("<int:pk>/", member_views.member_detail, name="detail"),
        path("<int:pk>/edit/", member_views.member_edit, name="edit"),
        path("<int:pk>/move/", member_views.member_move, name="move"),
        path("<int:pk>/reveal/<str:field>/", member_views.member_reveal, name="reveal"),
        path("import/", import_views.upload, name="import"),
        path("import/template.xlsx", import_views.template_download, name="import_template"),
        path("import/<int:pk>/", import_views.job_detail, name="import_job"),
        path("import/<int:pk>/confirm/", import_views.job_confirm, name="import_confirm"),
        path("import/<int:pk>/cancel/", import_views.job_cancel, name="import_cancel"),
        path("import/<int:pk>/errors.xlsx", import_views.job_errors, name="import_errors"),
    ],
    "members",
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
        path("lockouts/", account_views.lockouts, name="lockouts"),
        path("lockouts/unlock/", account_views.unlock, name="unlock"),
    ],
    "accounts",
)

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", core_views.LogoutView.as_view(), name="logout"),
    path("healthz", core_views.health, name="health"),
    path("orgs/", include(org_patterns)),
    path("members/", include(member_patterns)),
    path("meetings/", include("dangjian.meetings.urls")),
    path("compliance/", include("dangjian.meetings.compliance_urls")),
    # The inbox kept the address it had when it lived in the duties app.
    path("duties/inbox/", include("dangjian.notices.urls")),
    path("duties/", include("dangjian.duties.urls")),
    path("library/", include("dangjian.study.urls")),
    path("audit/", include(audit_patterns)),
    path("admin/", include(account_patterns)),
    path("api/", api.urls),
]
