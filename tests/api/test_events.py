"""Live events: resumed after a drop with nothing missed or doubled, slow clients cut, an end."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import httpx

from engine.api import StreamLimits
from engine.client import RemoteView
from engine.events import ErrorPayload
from tests.api.conftest import client, collect, raw_http


class CuttableProxy:
    """A Unix-socket proxy in front of the API whose connections can all be cut at once."""

    def __init__(self, listen: Path, upstream: Path) -> None:
        self.listen, self.upstream = listen, upstream
        self.writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    async def __aenter__(self) -> CuttableProxy:
        self.server = await asyncio.start_unix_server(self._handle, path=str(self.listen))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        self.cut()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        up_reader, up_writer = await asyncio.open_unix_connection(str(self.upstream))
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()


async def test_a_dropped_stream_resumes_with_nothing_missed_or_doubled(serve, tmp_path):
    async with (
        serve() as (engine, api),
        CuttableProxy(tmp_path / "proxy.sock", api.socket) as proxy,
    ):
        view = RemoteView(api.token, socket=tmp_path / "proxy.sock")
        total = 600

        async def produce() -> None:
            for i in range(total):
                engine.events.append(None, ErrorPayload(message=f"m{i}"))
                if i % 50 == 0:
                    await asyncio.sleep(0.02)
                if i in (200, 400):
                    await engine.events.flush()
                    proxy.cut()
                    await asyncio.sleep(0.05)

        async with view:
            got, _ = await asyncio.gather(collect(view, 0, total), produce())
        assert [e.seq for e in got] == list(range(1, total + 1))
        assert [e.payload.message for e in got] == [f"m{i}" for i in range(total)]
        assert proxy.connections >= 3
        assert view.connection == "connected"


async def test_last_event_id_resumes_a_raw_sse_client_after_that_seq(serve):
    async with serve() as (engine, api):
        for i in range(10):
            engine.events.append(None, ErrorPayload(message=f"m{i}"))
        await engine.events.flush()
        transport = httpx.AsyncHTTPTransport(uds=str(api.socket))
        headers = {"authorization": f"Bearer {api.token}", "last-event-id": "7"}
        async with httpx.AsyncClient(transport=transport, base_url="http://aar") as http:
            async with http.stream("GET", "/v1/events", headers=headers) as response:
                assert response.headers["content-type"].startswith("text/event-stream")
                ids = []
                async for line in response.aiter_lines():
                    if line.startswith("id: "):
                        ids.append(int(line[4:]))
                    if len(ids) == 3:
                        break
            assert ids == [8, 9, 10]
            bad = await http.get("/v1/events", headers={**headers, "last-event-id": "x"})
            assert bad.status_code == 422 and bad.json()["detail"]
            negative = await http.get("/v1/events?after_seq=-1", headers=headers)
            assert negative.status_code == 422


async def test_a_slow_client_is_cut_without_slowing_the_engine_and_resumes(serve):
    limits = StreamLimits(queue=20, stall_seconds=0.2)
    async with serve(limits=limits) as (engine, api):
        stats = api.app.state.stream_stats
        total = 3000
        for i in range(total):
            engine.events.append(None, ErrorPayload(message=f"m{i}" + "x" * 2000))
        await engine.events.flush()  # the engine committed everything while the client idles
        view = client(api)
        got = []
        async with view:
            async for event in view.events(0):
                got.append(event.seq)
                if len(got) < 40:
                    await asyncio.sleep(0.02)  # a client that cannot keep up at first
                if len(got) == total:
                    break
        assert stats.cut >= 1
        assert got == list(range(1, total + 1))


async def test_the_stream_ends_when_the_run_finishes(serve):
    async with (
        serve(agents={"count": 1, "brain": "scripted"}) as (engine, api),
        client(api) as view,
    ):
        run = asyncio.create_task(engine.run())
        await asyncio.sleep(0.3)
        engine.finish("the test is over")
        await run
        kinds = []
        async with asyncio.timeout(20):
            async for event in view.events(0):  # returns by itself at the run's end
                kinds.append((event.kind, getattr(event.payload, "state", None)))
        assert kinds[-1] == ("run_state", "finished")


async def test_a_bad_payload_in_a_request_is_a_4xx_with_a_message(serve):
    async with serve() as (_, api), raw_http(api) as http:
        for body in (
            {"command": "pause"},
            {"command": "nope"},
            [1, 2],
            "x",
            {"command": "set_budget", "minutes": -1},
        ):
            response = await http.post("/v1/commands", content=json.dumps(body))
            assert response.status_code == 422, body
            assert response.json()["detail"]
        too_long = await http.post("/v1/forum", json={"title": "t" * 500})
        assert too_long.status_code == 422
