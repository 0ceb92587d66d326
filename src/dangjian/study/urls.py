"""Library pages (学习资料库): search, a material's page, publishing, monthly topics, meetings."""

from django.urls import path

from dangjian.study import views

app_name = "study"
urlpatterns = [
    path("", views.library, name="library"),
    path("new/", views.material_create, name="material_create"),
    path("<int:pk>/", views.material_detail, name="material_detail"),
    path("<int:pk>/edit/", views.material_edit, name="material_edit"),
    path("<int:pk>/delete/", views.material_delete, name="material_delete"),
    path("<int:pk>/download/", views.material_download, name="material_download"),
    path("topics/", views.topics, name="topics"),
    path("topics/save/", views.topic_save, name="topic_save"),
    path("topics/<int:pk>/delete/", views.topic_delete, name="topic_delete"),
    path("meetings/<int:meeting_id>/", views.meeting_materials, name="meeting_materials"),
]
