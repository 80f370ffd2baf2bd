from django.urls import path

from consulta.alerts import views

app_name = "alerts"
urlpatterns = [
    path("c/<slug:slug>/alerts/", views.alerts_settings, name="settings"),
    path("c/<slug:slug>/alerts/escalation/", views.escalation, name="escalation"),
]
