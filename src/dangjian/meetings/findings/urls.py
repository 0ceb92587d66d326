"""Compliance (findings) pages: the matrix for a subtree, one organization's periods, and a
secretary's explanation of a warning."""

from django.urls import path

from dangjian.meetings.findings import views

app_name = "compliance"
urlpatterns = [
    path("", views.findings, name="findings"),
    path("org/<int:pk>/", views.org_findings, name="org"),
    path("org/<int:pk>/explain/", views.explain, name="explain"),
]
