"""Organization-relationship transfer pages (组织关系转接)."""

from django.urls import path

from dangjian.transfers import absence_views, views

app_name = "transfers"
urlpatterns = [
    path("", views.transfer_list, name="list"),
    path("new/", views.new_transfer, name="new"),
    path("incoming/", views.register_incoming, name="incoming"),
    path("bulk/", views.bulk, name="bulk"),
    path("mobile/", views.mobile, name="mobile"),
    path("absence/", absence_views.absence_page, name="absence"),
    path("<int:pk>/", views.transfer_detail, name="detail"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/receive/", views.receive, name="receive"),
    path("<int:pk>/return/", views.return_view, name="return"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/letter/", views.letter, name="letter"),
]
