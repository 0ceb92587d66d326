"""Pages of the desk app: the dashboard, the statistics, the dossiers (the work desk itself is `/`)."""

from django.urls import path

from dangjian.desk import dossier_views, views

app_name = "desk"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.xlsx", views.statistics_export, name="statistics_export"),
    path("dossiers/", dossier_views.dossier_list, name="dossiers"),
    path("dossiers/verify/", dossier_views.manifest_verify, name="dossier_manifest"),
    path("dossiers/<int:pk>/status/", dossier_views.dossier_status, name="dossier_status"),
    path("dossiers/<int:pk>/download/", dossier_views.dossier_download, name="dossier_download"),
    path("dossiers/<int:pk>/document/", dossier_views.dossier_document, name="dossier_document"),
    path("dossiers/<int:pk>/pdf/", dossier_views.dossier_pdf, name="dossier_pdf"),
    path("dossiers/<int:pk>/verify/", dossier_views.dossier_verify, name="dossier_verify"),
]
