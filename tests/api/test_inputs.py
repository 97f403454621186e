"""Every input the API takes is bounded: body size, id and text lengths, finite numbers, seqs.

Each request here is one a careless or hostile client could send to a real engine's API;
each is answered 4xx with a message, leaves the run as it was and logs no traceback.
"""

from __future__ import annotations

import httpx
import pytest

from engine.api.inputs import MAX_BODY_BYTES
from engine.enginelog import LOG_NAME
from tests.api.conftest import raw_http


async def _budgets(http: httpx.AsyncClient) -> dict:
    response = await http.get("/v1/budgets")
    assert response.status_code == 200
    return response.json()


async def _commands_recorded(engine) -> int:
    (count,) = await engine.store.fetchone("SELECT count(*) FROM commands")
    return count


def _no_traceback_logged(engine) -> None:
    log = engine.run_dir / LOG_NAME
    text = log.read_text() if log.exists() else ""
    assert "Traceback" not in text and "OverflowError" not in text, text[-2000:]


@pytest.mark.parametrize(
    "body",
    [
        '{"command": "set_budget", "minutes": NaN}',
        '{"command": "set_budget", "minutes": Infinity}',
        '{"command": "set_budget", "cost_usd": Infinity}',
        '{"command": "set_budget", "gpu_hours": -Infinity}',
        '{"command": "set_budget", "minutes_per_agent": NaN, "cost_usd": NaN}',
        '{"command": "pause", "agent_id": NaN}',
        '{"command": "set_budget", "submissions_per_hour": 1e30}',
        '{"command": "set_budget", "submissions_per_hour": ' + "1" + "0" * 30 + "}",
        '{"command": "set_budget", "tokens": 100000000000000000000}',
        '{"command": "set_budget", "minutes": 1e300}',
        '{"command": "void_submission", "submission_id": 100000000000000000000, "reason": "x"}',
        '{"command": "void_submission", "submission_id": 0, "reason": "x"}',
        '{"command": "finish_run", "reason": "' + "r" * 1001 + '"}',
    ],
    ids=lambda body: body[:70],
)
async def test_a_number_or_text_past_its_bounds_is_a_422_and_changes_nothing(serve, body):
    async with serve() as (engine, api), raw_http(api) as http:
        before = await _budgets(http)
        response = await http.post(
            "/v1/commands", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
        assert response.json()["detail"]
        assert await _budgets(http) == before
        assert await _commands_recorded(engine) == 0
        _no_traceback_logged(engine)


async def test_an_agent_id_past_64_characters_is_refused_before_it_becomes_a_row(serve):
    async with serve() as (engine, api), raw_http(api) as http:
        for verb in ("pause", "resume", "stop"):
            response = await http.post("/v1/commands", json={"command": verb, "agent_id": "a" * 65})
            assert response.status_code == 422, response.text
        redirect = {"command": "redirect", "agent_id": "a" * 100_000, "text": "go"}
        assert (await http.post("/v1/commands", json=redirect)).status_code == 422
        assert await _commands_recorded(engine) == 0


async def test_a_body_over_the_cap_is_a_413_whether_its_length_is_declared_or_not(serve):
    async with serve() as (engine, api), raw_http(api) as http:
        huge = '{"command": "pause", "agent_id": "' + "a" * MAX_BODY_BYTES + '"}'
        declared = await http.post(
            "/v1/commands", content=huge, headers={"content-type": "application/json"}
        )
        assert declared.status_code == 413 and "body" in declared.json()["detail"]

        async def chunks():  # sent chunked: no content-length to go by
            for start in range(0, len(huge), 65536):
                yield huge[start : start + 65536].encode()

        chunked = await http.post(
            "/v1/forum", content=chunks(), headers={"content-type": "application/json"}
        )
        assert chunked.status_code == 413
        assert await _commands_recorded(engine) == 0
        # A body under the cap still goes through.
        post = await http.post("/v1/forum", json={"title": "t", "body": "b" * 20_000})
        assert post.status_code == 201, post.text


async def test_a_stranger_gets_a_401_not_a_413_and_no_body_is_read(serve):
    async with serve() as (_, api), raw_http(api) as http:
        response = await http.post(
            "/v1/commands",
            content=b"x" * (2 * MAX_BODY_BYTES),
            headers={"authorization": "Bearer wrong"},
        )
        assert response.status_code == 401


@pytest.mark.parametrize("value", ["²", "٣", "+1", "1_0", "1.0", "-1", "", "9" * 20])
async def test_a_seq_is_ascii_digits_in_a_header_and_in_a_query(serve, value):
    # Headers are read as Latin-1, so b"\xb2" arrives as "²", which passes str.isdigit().
    raw = value.encode("latin-1") if value.isascii() or value == "²" else value.encode()
    async with serve() as (engine, api), raw_http(api) as http:
        async with http.stream("GET", "/v1/events", headers={"last-event-id": raw}) as header:
            assert header.status_code == 422
        async with http.stream("GET", "/v1/events", params={"after_seq": value}) as query:
            assert query.status_code == 422
        transcript = await http.get("/v1/agents/a1/transcript", params={"after_seq": value})
        assert transcript.status_code == 422
        _no_traceback_logged(engine)


async def test_a_post_id_or_parent_past_sqlite_integers_is_a_4xx(serve):
    async with serve() as (engine, api), raw_http(api) as http:
        assert (await http.get(f"/v1/forum/{10**20}")).status_code == 422
        reply = {"title": "t", "parent_id": 10**20}
        assert (await http.post("/v1/forum", json=reply)).status_code == 422
        _no_traceback_logged(engine)
