"""An HTTP proxy on loopback in front of a real OPA that misbehaves on demand.

Modes (``proxy.mode``): ``pass``; ``hang`` (hold every request, answer nothing); ``slow``
(``delay_s`` before forwarding); ``error`` (500 to everything, /health included); ``garbage``
(200 with a body that is not JSON); ``large_fails`` (500 to requests whose body exceeds
``max_body`` bytes, the rest forwarded: /health and small evaluations still work); ``poison``
(500 to requests whose body contains ``poison_marker``, the rest forwarded).
"""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
from aiohttp import web

MODES = ("pass", "hang", "slow", "error", "garbage", "large_fails", "poison")


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode = "pass"
        self.delay_s = 0.0
        self.max_body = 1 << 30
        self.poison_marker = b"/poison-5xx"
        self.seen: Counter[str] = Counter()
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_mode(self, mode: str) -> None:
        assert mode in MODES, mode
        self.mode = mode
        if mode == "hang":
            self._released.clear()
        else:
            self._released.set()  # held requests go on (and are forwarded)

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        app = web.Application(client_max_size=1 << 30)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._released.set()

    async def aclose(self) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        mode = self.mode
        self.seen[mode] += 1
        if mode == "hang":
            await self._released.wait()
        elif mode == "slow":
            await asyncio.sleep(self.delay_s)
        elif mode == "error":
            return web.Response(status=500, text='{"code": "internal_error"}')
        elif mode == "garbage":
            return web.Response(status=200, body=b"\x00not json{")
        elif mode == "large_fails" and len(body) > self.max_body:
            return web.Response(status=500, text="request too large for this proxy")
        elif mode == "poison" and self.poison_marker in body:
            return web.Response(status=500, text="upstream handler crashed")
        assert self._session is not None
        async with self._session.request(
            request.method,
            f"{self.upstream}{request.rel_url}",
            data=body,
            headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
        ) as upstream:
            payload = await upstream.read()
            return web.Response(
                status=upstream.status,
                body=payload,
                content_type=upstream.content_type,
            )
