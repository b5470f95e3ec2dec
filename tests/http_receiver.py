"""A real HTTP server on 127.0.0.1 for the tests that post to one (the webhook sink's
receivers): one aiohttp app whose POST / goes to the test's handler, up for one block."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def serving(
    handle: Handler, port: int, *, shutdown_timeout: float = 60.0
) -> AsyncIterator[None]:
    """Serve POST / on 127.0.0.1:``port`` with ``handle`` until the block ends
    (``shutdown_timeout``: how long requests still in flight may take then)."""
    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield
    finally:
        await runner.cleanup()
