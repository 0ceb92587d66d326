"""Meeting pages: the calendar, planning, the one-page record, leave, attachments, check-in."""

from django.urls import path

from dangjian.meetings import checkin_views, leave_views, views

app_name = "meetings"
urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("mine/", leave_views.mine, name="mine"),
    path("new/", views.meeting_create, name="create"),
    path("series/new/", views.series_create, name="series_create"),
    path("series/<int:pk>/extend/", views.series_extend, name="series_extend"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/record/", views.meeting_record, name="record"),
    path("<int:pk>/cancel/", views.meeting_cancel, name="cancel"),
    path("<int:pk>/leave/", leave_views.leave_request, name="leave_request"),
    path("leave/<int:pk>/decide/", leave_views.leave_decide, name="leave_decide"),
    path("leave/<int:pk>/withdraw/", leave_views.leave_withdraw, name="leave_withdraw"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("<int:pk>/checkin/", checkin_views.checkin_screen, name="checkin_screen"),
    path("<int:pk>/checkin/qr/", checkin_views.checkin_qr, name="checkin_qr"),
    path("checkin/<str:token>/", checkin_views.checkin_view, name="checkin"),
]
