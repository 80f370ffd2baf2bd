from django.urls import path

from consulta.webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("o/<slug:org_slug>/webhooks/", views.endpoints, name="endpoints"),
    path("o/<slug:org_slug>/webhooks/<int:endpoint_id>/", views.endpoint, name="endpoint"),
    path("o/<slug:org_slug>/webhooks/<int:endpoint_id>/rotate-secret/", views.rotate_secret, name="rotate_secret"),
    path("o/<slug:org_slug>/webhooks/<int:endpoint_id>/enable/", views.set_enabled, {"enabled": True}, name="enable"),
    path(
        "o/<slug:org_slug>/webhooks/<int:endpoint_id>/disable/", views.set_enabled, {"enabled": False}, name="disable"
    ),
    path("o/<slug:org_slug>/webhooks/<int:endpoint_id>/test/", views.send_test, name="send_test"),
    path("o/<slug:org_slug>/webhooks/<int:endpoint_id>/delete/", views.delete, name="delete"),
]
