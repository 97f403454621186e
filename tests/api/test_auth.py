"""Every endpoint needs the run's token: none, a wrong one or another run's gets 401 and no data."""

from __future__ import annotations

import httpx

from engine.api import serve_api
from tests.api.conftest import client, raw_http


def _requests(schema: dict) -> list[tuple[str, str]]:
    """(method, path) for every operation in the schema, path parameters filled in."""
    out = []
    for path, ops in schema["paths"].items():
        filled = path.replace("{agent_id}", "a1").replace("{post_id}", "1")
        out += [(method.upper(), filled) for method in ops]
    extra = [
        ("GET", "/v1/openapi.json"),
        ("GET", "/v1/nowhere"),
        ("DELETE", "/v1/run"),
        ("GET", "/"),
    ]
    return [*out, *extra]


async def test_no_wrong_or_foreign_token_gets_401_everywhere_and_learns_nothing(
    serve, open_engine, tmp_path
):
    other = await open_engine(run_dir=str(tmp_path / "other"))
    async with serve() as (engine, api):
        async with serve_api(other.view(), other.run_dir, run_id=other.run_id) as other_api:
            assert other_api.token != api.token
            async with client(api) as view:
                await view.forum_post("secret plan", "only for the supervisor")
            transport = httpx.AsyncHTTPTransport(uds=str(api.socket))
            async with httpx.AsyncClient(transport=transport, base_url="http://aar") as http:
                schema = (
                    await http.get(
                        "/v1/openapi.json", headers={"authorization": f"Bearer {api.token}"}
                    )
                ).json()
                requests = _requests(schema)
                assert len(requests) >= 16
                headers_tried = [
                    {},
                    {"authorization": "Bearer wrong"},
                    {"authorization": f"Bearer {api.token[:-1]}"},
                    {"authorization": f"Bearer {other_api.token}"},
                    {"authorization": api.token},  # no scheme
                    {"authorization": f"Basic {api.token}"},
                ]
                for headers in headers_tried:
                    for method, path in requests:
                        response = await http.request(
                            method, path, headers=headers, json={"command": "finish_run"}
                        )
                        assert response.status_code == 401, (method, path, headers)
                        assert response.headers["www-authenticate"].startswith("Bearer")
                        body = response.text
                        for secret in (
                            engine.run_id,
                            str(engine.run_dir),
                            "secret plan",
                            "supervisor note",
                            "/v1/",
                        ):
                            assert secret not in body
            # Nothing a refused caller sent reached the engine: no command was recorded.
            row = await engine.store.fetchone("SELECT COUNT(*) FROM commands")
            assert row[0] == 0
        await other.close()


async def test_the_right_token_gets_in_and_the_schema_declares_bearer_auth(serve):
    async with serve() as (_, api), raw_http(api) as http:
        schema = (await http.get("/v1/openapi.json")).json()
        assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert (await http.get("/v1/run")).status_code == 200
        assert (await http.get("/v1/nowhere")).status_code == 404
