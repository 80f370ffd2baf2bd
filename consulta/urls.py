from django.contrib import admin
from django.urls import include, path

from consulta.core.views import set_language

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
    # Django's own view inside ours: the choice is also kept on the account and consultation.
    path("i18n/setlang/", set_language, name="set_language"),
    path("django-admin/", admin.site.urls),
]
