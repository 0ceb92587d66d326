"""Discipline pages (纪律审查与处分)."""

from django.urls import path

from dangjian.discipline import views

app_name = "discipline"
urlpatterns = [
    path("", views.index, name="index"),
    path("member/<int:pk>/", views.member_records, name="member"),
]
