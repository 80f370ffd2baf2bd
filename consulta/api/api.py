"""The REST API: one NinjaAPI, its authentication, and every error as JSON `{"detail": ...}`.

Served at /api/v1/ with its OpenAPI 3 schema at /api/v1/openapi.json (docs/api.md). The
interactive docs page is off. ninja's Swagger page has no inline script (its settings are a JSON
block, its code static files), but it needs `ninja` among the installed apps for its template
and static files, and a 1.5 MB third-party UI would have to be checked in a browser under our
CSP (`style-src 'self'`, no inline styles) and kept up to date: the schema is the contract.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from consulta.api.auth import KeyAuth, RateLimited
from consulta.api.endpoints import clinics, consultations, reports, rooms
from consulta.core import ratelimit


class ConsultaAPI(NinjaAPI):
    _schemas: dict[str, OpenAPISchema] = {}

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> OpenAPISchema:
        # Made once per process: the schema is public (no key) and costs some 30 ms to build, so a
        # flood of requests for it would otherwise be a flood of work. It never changes while running.
        prefix = self.get_root_path(path_params or {}) if path_prefix is None else path_prefix
        if prefix not in self._schemas:
            self._schemas[prefix] = super().get_openapi_schema(path_prefix=prefix)
        return self._schemas[prefix]

    def get_openapi_operation_id(self, operation: Any) -> str:
        # The function's own name ("create_patient_link"), not its module path: what clients generate from.
        return str(operation.view_func.__name__)


api = ConsultaAPI(
    title="Consulta API",
    version="1",
    description="Organisation API keys: clinics, waiting areas, patient links, consultations, reports, rooms.",
    urls_namespace="api:api-v1",  # included by consulta/api/urls.py, whose namespace is "api"
    docs_url=None,
    auth=KeyAuth(),
)


def _error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, _("A valid API key is needed: Authorization: Bearer <key>."))
    response["WWW-Authenticate"] = 'Bearer realm="consulta"'
    return response


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = _error(request, 429, ratelimit.retry_message(exc.refused))
    response["Retry-After"] = str(exc.refused.retry_after)
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # The same answer for what does not exist and for what the key may not see.
    return _error(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, _("This API key may not do that: it is a read-only key."))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": str(error.get("msg", "")),
            "type": str(error.get("type", "")),
        }
        for error in exc.errors
    ]
    return _error(request, 422, _("The request's input is not valid."), errors=errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


api.add_router("", clinics.router)
api.add_router("", consultations.router)
api.add_router("", reports.router)
api.add_router("", rooms.router)


def url_patterns() -> list[Any]:
    """The API's URL patterns (for the permission matrix's coverage guard)."""
    patterns, _app, _namespace = api.urls
    return list(patterns)
