"""Member development pages (发展党员)."""

from django.urls import path

from dangjian.recruitment import views

app_name = "recruitment"
urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("pending/", views.pending, name="pending"),
    path("new/", views.new_file, name="new"),
    path("files/<int:pk>/", views.file_detail, name="file"),
    path("files/<int:pk>/step/", views.record_step, name="step"),
    path("files/<int:pk>/extension/", views.propose_extension, name="extension"),
    path("files/<int:pk>/extension/approve/", views.approve_extension, name="extension_approve"),
    path("files/<int:pk>/forms/<str:form>/", views.document, name="document"),
]
