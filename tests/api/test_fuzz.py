"""Fuzzing the OpenAPI schema: whatever a client sends, the API answers 4xx, never a 5xx.

Schemathesis draws requests from the served schema (valid and invalid: wrong types, out
of range numbers, odd strings) and sends them over HTTP to a real engine's API running on
its own thread. The event stream is left out (it never ends) and is checked on its own.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from engine.api.app import create_app

SCHEMA = schemathesis.openapi.from_dict(create_app(None, "unused").openapi())  # type: ignore[arg-type]
# Both valid requests and requests that break the schema on purpose.
SCHEMA.config.generation.update(modes=list(GenerationMode))
SCHEMA = SCHEMA.exclude(path="/v1/events")


@pytest.fixture(scope="module")
def auth(threaded_run):
    return {"Authorization": f"Bearer {threaded_run.token}"}


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_api_fail_with_a_server_error(case, threaded_run, auth):
    response = case.call(base_url=threaded_run.url, headers=auth, timeout=20)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500
