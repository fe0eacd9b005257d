"""Manager pages under /kpi/ (``path("kpi/", include("kpi.urls"))`` in config/urls)."""

from django.urls import path

from kpi import views

app_name = "kpi"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("staff/<int:pk>/", views.staff_card, name="staff"),
    path("drill/<slug:code>/", views.drill_down, name="drill"),
    path("recompute/", views.recompute, name="recompute"),
    path("export/", views.export, name="export"),
    path("report/", views.report, name="report"),
    path("audits/<int:pk>/", views.audit_report, name="audit-report"),
]
