from django.urls import path

from consulta.twofactor import views

app_name = "twofactor"
urlpatterns = [
    path("accounts/two-factor/", views.verify, name="verify"),
    path("accounts/two-factor/setup/", views.setup, name="setup"),
    path("accounts/two-factor/cancel/", views.cancel, name="cancel"),
    path("account/security/", views.security, name="security"),
    path("account/security/remove-two-factor/", views.remove, name="remove"),
    path("account/security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path(
        "o/<slug:org_slug>/people/<int:user_id>/reset-two-factor/",
        views.admin_reset,
        name="admin_reset",
    ),
]
