"""The inbox pages (mounted at /duties/inbox/, the address they had inside `duties`)."""

from django.urls import path

from dangjian.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.inbox_read, name="inbox_read"),
    path("badge/", views.inbox_badge, name="inbox_badge"),
]
