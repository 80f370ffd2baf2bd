from django.urls import path

from consulta.eventlog import views

app_name = "eventlog"
urlpatterns = [
    path("o/<slug:org_slug>/audit/", views.organisation_audit, name="organisation_audit"),
    path("o/<slug:org_slug>/audit/export.csv", views.organisation_audit_csv, name="organisation_audit_csv"),
    path("c/<slug:slug>/audit/", views.clinic_audit, name="clinic_audit"),
    path("c/<slug:slug>/audit/export.csv", views.clinic_audit_csv, name="clinic_audit_csv"),
]
