from django.urls import path

from consulta.api import views
from consulta.api.api import api

app_name = "api"
urlpatterns = [
    path("api/v1/", api.urls),
    path("o/<slug:org_slug>/api-keys/", views.keys, name="keys"),
    path("o/<slug:org_slug>/api-keys/<int:key_id>/revoke/", views.key_revoke, name="key_revoke"),
]
