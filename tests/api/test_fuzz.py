"""Fuzzing the served schema: whatever a client sends, the API answers as its schema says.

Schemathesis reads `/v1/openapi.json` from a real engine's API running on its own thread
and draws requests from it, valid and invalid (wrong types, numbers out of range, NaN and
the infinities, odd strings). Every answer is checked: no 5xx, a status code the schema
lists for that route, and a body that matches the schema for that status. The number of
cases is bounded so the suite stays quick. The event stream is left out (it never ends)
and is checked on its own.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def auth(threaded_run):
    return {"Authorization": f"Bearer {threaded_run.token}"}


@pytest.fixture(scope="module")
def served_schema(threaded_run, auth):
    schema = schemathesis.openapi.from_url(f"{threaded_run.url}/v1/openapi.json", headers=auth)
    # Both valid requests and requests that break the schema on purpose.
    schema.config.generation.update(modes=list(GenerationMode))
    return schema


SCHEMA = schemathesis.pytest.from_fixture("served_schema")


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_a_4xx_or_better_and_matches_the_schema(case, threaded_run, auth):
    if case.operation.path == "/v1/events":
        # The stream never ends, so a valid request would only wait out its timeout; the
        # route's answers are checked in test_events.py and test_inputs.py.
        return
    response = case.call(base_url=threaded_run.url, headers=auth, timeout=20)
    case.validate_response(response, checks=CHECKS)
    assert response.status_code < 500
