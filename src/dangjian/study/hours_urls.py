"""Study hours and training pages (学时、培训)."""

from django.urls import path

from dangjian.study import hours_views as views

app_name = "study_hours"
urlpatterns = [
    path("hours/", views.my_hours, name="hours_mine"),
    path("hours/member/<int:pk>/", views.member_hours, name="member_hours"),
    path("hours/org/<int:pk>/", views.org_hours, name="org_hours"),
    path("hours/meetings/<int:meeting_id>/", views.meeting_hours, name="meeting_hours"),
    path("trainings/", views.trainings, name="trainings"),
    path("trainings/new/", views.training_new, name="training_new"),
    path("trainings/<int:pk>/", views.training_detail, name="training_detail"),
    path("trainings/certificates/<int:pk>/", views.certificate, name="certificate"),
    path("external/", views.externals, name="externals"),
    path("external/<int:pk>/decide/", views.external_decide, name="external_decide"),
    path("external/<int:pk>/evidence/", views.external_evidence, name="external_evidence"),
    path("plans/<int:pk>/", views.plan, name="plan"),
]
