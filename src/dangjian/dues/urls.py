"""Party dues pages (党费)."""

from django.urls import path

from dangjian.dues import views, views_documents, views_extra, views_quarter, views_relief

app_name = "dues"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("branch/<int:pk>/", views.ledger, name="ledger"),
    path("member/<int:pk>/assess/", views.assess, name="assess"),
    path("member/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("org/<int:pk>/totals/", views.totals, name="totals"),
    path("org/<int:pk>/handover/", views.handover, name="handover"),
    path("branch/<int:pk>/payroll/", views.payroll, name="payroll"),
    path("branch/<int:pk>/payroll/confirm/", views.payroll_confirm, name="payroll_confirm"),
    path("member/<int:pk>/relief/", views_relief.decide, name="relief_decide"),
    path("org/<int:pk>/reliefs/", views_relief.reliefs, name="reliefs"),
    path("relief/<int:pk>/answer/", views_relief.answer, name="relief_answer"),
    path("member/<int:pk>/quarterly/", views_quarter.consent, name="quarterly_consent"),
    path(
        "member/<int:pk>/quarterly/withdraw/",
        views_quarter.withdraw,
        name="quarterly_withdraw",
    ),
    path("member/<int:pk>/quarter/", views_quarter.pay_quarter, name="pay_quarter"),
    path("payment/<int:pk>/receipt/", views_documents.receipt, name="receipt"),
    path("branch/<int:pk>/publication/", views_documents.publication, name="publication"),
    path("branch/<int:pk>/extra/", views_extra.extra, name="extra"),
]
