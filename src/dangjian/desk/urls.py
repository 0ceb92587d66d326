"""Pages of the desk app: the dashboard and the statistics (the work desk itself is `/`)."""

from django.urls import path

from dangjian.desk import views

app_name = "desk"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.xlsx", views.statistics_export, name="statistics_export"),
]
