from django.urls import path

from consulta.sso import views

app_name = "sso"
urlpatterns = [
    path("accounts/sso/", views.choose, name="choose"),
    path("accounts/sso/<slug:org_slug>/", views.begin, name="begin"),
    path("accounts/sso/<slug:org_slug>/callback/", views.callback, name="callback"),
    path("o/<slug:org_slug>/sign-in/", views.sign_in_settings, name="settings"),
]
