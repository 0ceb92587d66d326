"""Member pages and roster import."""

from django.urls import path

from dangjian.members import import_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list_view, name="list"),
    path("export.xlsx", views.member_export, name="export"),
    path("find/", views.member_find_by_id, name="find_by_id"),
    path("new/", views.member_create, name="create"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/move/", views.member_move, name="move"),
    path("<int:pk>/reveal/<str:field>/", views.member_reveal, name="reveal"),
    path("import/", import_views.upload, name="import"),
    path("import/template.xlsx", import_views.template_download, name="import_template"),
    path("import/<int:pk>/", import_views.job_detail, name="import_job"),
    path("import/<int:pk>/confirm/", import_views.job_confirm, name="import_confirm"),
    path("import/<int:pk>/cancel/", import_views.job_cancel, name="import_cancel"),
    path("import/<int:pk>/errors.xlsx", import_views.job_errors, name="import_errors"),
]
