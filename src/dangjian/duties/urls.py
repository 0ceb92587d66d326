"""Responsibility-system pages: work items, 督办, duty lists, statistics, the inbox."""

from django.urls import path

from dangjian.duties import views

app_name = "duties"
urlpatterns = [
    path("", views.item_list, name="items"),
    path("new/", views.item_create, name="create"),
    path("<int:pk>/", views.item_detail, name="detail"),
    path("<int:pk>/split/", views.item_split, name="split"),
    path("<int:pk>/progress/", views.item_progress, name="progress"),
    path("<int:pk>/evidence/", views.item_evidence, name="evidence"),
    path("<int:pk>/submit/", views.item_submit, name="submit"),
    path("<int:pk>/review/", views.item_review, name="review"),
    path("<int:pk>/withdraw/", views.item_withdraw, name="withdraw"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_file"),
    path("overdue/", views.overdue, name="overdue"),
    path("duty-lists/", views.duty_list, name="duty_list"),
    path("duty-lists/edit/", views.duty_edit, name="duty_edit"),
    path("statistics/", views.statistics, name="statistics"),
    path("statistics.xlsx", views.statistics_export, name="statistics_export"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read"),
    path("inbox/badge/", views.inbox_badge, name="inbox_badge"),
]
