"""Responsibility-system pages: work items, 督办, duty lists, statistics. (The inbox, at
/duties/inbox/, is the notices app's.)"""

from django.urls import path

from dangjian.duties.views import duty_lists, items, statistics

app_name = "duties"
urlpatterns = [
    path("", items.item_list, name="items"),
    path("new/", items.item_create, name="create"),
    path("<int:pk>/", items.item_detail, name="detail"),
    path("<int:pk>/split/", items.item_split, name="split"),
    path("<int:pk>/progress/", items.item_progress, name="progress"),
    path("<int:pk>/evidence/", items.item_evidence, name="evidence"),
    path("<int:pk>/submit/", items.item_submit, name="submit"),
    path("<int:pk>/review/", items.item_review, name="review"),
    path("<int:pk>/withdraw/", items.item_withdraw, name="withdraw"),
    path("evidence/<int:pk>/", items.evidence_download, name="evidence_file"),
    path("overdue/", items.overdue, name="overdue"),
    path("duty-lists/", duty_lists.duty_list, name="duty_list"),
    path("duty-lists/edit/", duty_lists.duty_edit, name="duty_edit"),
    path("statistics/", statistics.statistics, name="statistics"),
    path("statistics.xlsx", statistics.statistics_export, name="statistics_export"),
]
