from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("consulta.core.urls")),
    path("accounts/", include("consulta.accounts.urls")),
    path("", include("consulta.organisations.urls")),
    path("", include("consulta.rooms.urls")),
    path("", include("consulta.consultations.urls")),
    path("", include("consulta.reports.urls")),
    path("", include("consulta.eventlog.urls")),
    path("", include("consulta.alerts.urls")),
    path("", include("consulta.precall.urls")),
    path("", include("consulta.twofactor.urls")),
    path("", include("consulta.sso.urls")),
    path("", include("consulta.webhooks.urls")),
    path("", include("consulta.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
]
