"""A container's first processes run while its engine is still starting it; the engine's
inspect then says "created" with no pid. The metadata waits for the start instead of caching
a document without ``init_pid`` (the container-start rules read it). The engine is played by
an aiohttp server on a unix socket speaking the few Docker API calls used (pure logic)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web

from bpfopa.runtime import ContainerMetadata

CID = "ef" * 32


class Engine:
    """Answers "created" for the first ``starting`` inspects, then "running" with a pid."""

    def __init__(self, starting: int) -> None:
        self.starting = starting
        self.inspects = 0
        self.stopping = asyncio.Event()

    async def version(self, _request: web.Request) -> web.Response:
        return web.json_response({"Version": "20.10.24", "Components": [{"Name": "Engine"}]})

    async def inspect(self, _request: web.Request) -> web.Response:
        self.inspects += 1
        started = self.inspects > self.starting
        state: dict[str, Any] = (
            {"Status": "running", "Running": True, "Pid": 4321}
            if started
            else {"Status": "created", "Running": False, "Pid": 0}
        )
        return web.json_response(
            {"Id": CID, "Name": "/app", "State": state, "Config": {}, "HostConfig": {}}
        )

    async def events(self, _request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(_request)
        await self.stopping.wait()  # no removals: the stream stays open until the test ends
        return response


async def resolve(starting: int, start_wait_s: float) -> tuple[dict[str, Any], Engine, Any]:
    engine = Engine(starting)
    app = web.Application()
    app.router.add_get("/version", engine.version)
    app.router.add_get("/v1.41/version", engine.version)
    app.router.add_get(r"/{version:v[0-9.]+}/containers/{id}/json", engine.inspect)
    app.router.add_get(r"/containers/{id}/json", engine.inspect)
    app.router.add_get(r"/{version:v[0-9.]+}/events", engine.events)
    app.router.add_get("/events", engine.events)
    runner = web.AppRunner(app)
    await runner.setup()
    with tempfile.TemporaryDirectory(prefix="bpfopa-engine-") as workdir:
        socket = Path(workdir) / "docker.sock"
        await web.UnixSite(runner, str(socket)).start()
        meta = ContainerMetadata([socket], start_wait_s=start_wait_s)
        try:
            await meta.start()
            base = {"id": CID[:12], "full_id": CID, "runtime": "docker"}
            async with asyncio.timeout(10):
                while (doc := meta.lookup(base)) is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
            return doc, engine, meta.counters
        finally:
            engine.stopping.set()
            await meta.aclose()
            await runner.cleanup()


async def test_a_container_being_started_is_asked_again_until_it_runs() -> None:
    doc, engine, counters = await resolve(starting=3, start_wait_s=2.0)
    assert doc["init_pid"] == 4321 and doc["metadata"] == "complete"
    assert engine.inspects == 4 and counters["start_waits"] == 3


async def test_the_wait_for_a_start_is_bounded() -> None:
    doc, _engine, counters = await resolve(starting=10_000, start_wait_s=0.1)
    assert doc["init_pid"] is None and doc["metadata"] == "complete"
    assert counters["start_wait_expired"] == 1
