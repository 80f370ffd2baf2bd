"""Schemathesis against the live server's OpenAPI schema: no 5xx, and every answer as the schema says.

The real server (tests/e2e/server.py: uvicorn, a seeded demo world in a temporary database)
serves /api/v1/openapi.json; schemathesis generates requests for every operation from it,
bounded (a fixed number of examples per operation, derandomised, no example database),
and sends them with a write key that may see names, so the endpoints run past the key check.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from consulta.api.api import api
from consulta.api.models import TOKEN_PREFIX
from tests.e2e import server as live

EXAMPLES_PER_OPERATION = 20
MANAGE = [sys.executable, "manage.py"]


@pytest.fixture(scope="module")
def api_server() -> Iterator[tuple[live.LiveServer, str]]:
    with live.serving(prefix="consulta-api-schema-") as server:
        env = live.server_env(server.log_path.parent, server.url)
        made = subprocess.run(
            [*MANAGE, "create_api_key", "demo-health", "--name", "schema test", "--access", "write", "--names"],
            cwd=live.ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        token = made.stdout.strip().splitlines()[-1]
        assert token.startswith(f"{TOKEN_PREFIX}_"), made
        yield server, token


@pytest.fixture(scope="module")
def api_schema(api_server: tuple[live.LiveServer, str]) -> schemathesis.BaseSchema:
    server, _token = api_server
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    schema.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE],
        max_examples=EXAMPLES_PER_OPERATION,
        deterministic=True,
        database="none",
    )
    return schema


@pytest.fixture
def token(api_server: tuple[live.LiveServer, str]) -> str:
    return api_server[1]


# Every operation, from the app's own schema: one test each. (schemathesis' pytest loader,
# `from_fixture`, does not run under pytest 9: it reads a private attribute pytest dropped. The
# operations' strategies are schemathesis' own all the same, run by Hypothesis here.)
OPERATIONS = [
    (method, path) for path, item in api.get_openapi_schema(path_prefix="/api/v1")["paths"].items() for method in item
]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_the_api_answers_as_its_schema_says(
    api_schema: schemathesis.BaseSchema, token: str, method: str, path: str
) -> None:
    operation = api_schema[path][method]
    sent: list[int] = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    )
    def answers_as_declared(case: schemathesis.Case) -> None:
        response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=30)
        sent.append(response.status_code)

    answers_as_declared()
    assert sent, f"no request was sent for {method.upper()} {path}"
    # The key worked: schemathesis reached the endpoints, not only the key check.
    assert any(status != 401 for status in sent), sent


def test_the_schema_is_valid_openapi_3_and_lists_every_endpoint(
    api_server: tuple[live.LiveServer, str], api_schema: schemathesis.BaseSchema
) -> None:
    server, _token = api_server
    with urllib.request.urlopen(f"{server.url}/api/v1/openapi.json", timeout=10) as response:  # noqa: S310 - 127.0.0.1
        document = json.load(response)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "Consulta API"
    assert document["components"]["securitySchemes"]["KeyAuth"] == {"type": "http", "scheme": "bearer"}
    assert len(document["paths"]) == 12
    api_schema.validate()  # against the OpenAPI meta-schema of its version: raises when invalid
