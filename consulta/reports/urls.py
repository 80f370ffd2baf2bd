from django.urls import path

from consulta.reports import views

app_name = "reports"
urlpatterns = [
    path("o/<slug:org_slug>/reports/", views.organisation_report, name="organisation"),
    path("o/<slug:org_slug>/reports/export.<slug:format_name>", views.organisation_export, name="export_organisation"),
    path("c/<slug:slug>/reports/", views.clinic_report, name="clinic"),
    path("c/<slug:slug>/reports/export.<slug:format_name>", views.clinic_export, name="export_clinic"),
]
