"""A small aiohttp app on loopback: ``/metrics``, ``/healthz`` and ``/readyz``."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bpfopa.metrics._metrics import PipelineMetrics

__all__ = ["MetricsServer", "parse_listen_address"]


def parse_listen_address(text: str) -> tuple[str, int] | None:
    """``HOST:PORT`` or ``PORT`` (on 127.0.0.1); ``0`` (or an empty string) disables."""
    text = text.strip()
    if text in ("", "0"):
        return None
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", text
    host = host.strip("[]") or "127.0.0.1"
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"bad listen address {text!r}: want HOST:PORT, PORT or 0") from None
    if not 0 < number < 65536:
        raise ValueError(f"bad port in {text!r}")
    return host, number


class MetricsServer:
    """Serves the metrics; ``ready`` says whether the pipeline is ready (for ``/readyz``)."""

    def __init__(
        self, metrics: PipelineMetrics, host: str, port: int, ready: Callable[[], bool]
    ) -> None:
        self.metrics = metrics
        self.host = host
        self.port = port
        self._ready = ready
        self._runner: web.AppRunner | None = None

    async def _metrics(self, request: web.Request) -> web.Response:
        self.metrics.refresh()
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, request: web.Request) -> web.Response:
        if self._ready():
            return web.Response(text="ready\n")
        return web.Response(status=503, text="not ready\n")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0 and self._runner.addresses:  # port 0: any free port (tests)
            self.port = int(self._runner.addresses[0][1])

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
