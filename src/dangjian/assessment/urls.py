"""Assessment pages (考核评价)."""

from django.urls import path

from dangjian.assessment import views, views_edit, views_evidence, views_sitting

app_name = "assessment"
urlpatterns = [
    path("", views.scheme_list, name="list"),
    path("new/", views.scheme_create, name="create"),
    path("<int:pk>/", views.scheme_detail, name="detail"),
    path("<int:pk>/indicators/", views.indicator_add, name="indicator_add"),
    path("indicators/<int:pk>/edit/", views_edit.indicator_edit, name="indicator_edit"),
    path("<int:pk>/weights/", views_edit.reweigh, name="reweigh"),
    path("indicators/<int:pk>/remove/", views.indicator_remove, name="indicator_remove"),
    path("<int:pk>/publish/", views.scheme_step, {"step": "publish"}, name="publish"),
    path("<int:pk>/freeze/", views.scheme_step, {"step": "freeze"}, name="freeze"),
    path("<int:pk>/results/", views.scheme_step, {"step": "results"}, name="publish_results"),
    path("<int:pk>/finalize/", views.scheme_step, {"step": "finalize"}, name="finalize"),
    path("<int:pk>/ranking/", views.ranking, name="ranking"),
    path("<int:pk>/import/", views.business_import, name="import"),
    path("<int:pk>/import/confirm/", views.business_import_confirm, name="import_confirm"),
    path("targets/<int:pk>/", views.target_detail, name="target"),
    path("targets/<int:pk>/score/", views.target_score, name="target_score"),
    path("targets/<int:pk>/report.docx", views.target_report, name="target_report"),
    path("targets/<int:pk>/self/", views.self_assessment, name="self_assessment"),
    path("targets/<int:pk>/evidence/", views_evidence.evidence_link, name="evidence_link"),
    path("evidence/<int:pk>/unlink/", views_evidence.evidence_unlink, name="evidence_unlink"),
    path("targets/<int:pk>/appeal/", views.appeal_file, name="appeal"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
    path("<int:pk>/sittings/open/", views_sitting.sitting_open, name="sitting_open"),
    path("sittings/<int:pk>/", views_sitting.sitting, name="sitting"),
    path("sittings/<int:pk>/close/", views_sitting.sitting_close, name="sitting_close"),
]
