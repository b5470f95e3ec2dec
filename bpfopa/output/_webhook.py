"""HTTP webhook sink, compatible with falcosidekick: one POST of the alert JSON per alert.

While the endpoint is down, alerts go to a bounded on-disk spool (one file per alert, numbered);
a background task replays the spool in order when the endpoint answers again, and every alert
after the first spooled one is spooled too, so the receiver sees them in order. A spool left at
exit is replayed by the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_random_exponential as wait_backoff

from bpfopa.errors import SinkError
from bpfopa.output._sinks import encode_alert

__all__ = ["WebhookSink"]

log = logging.getLogger(__name__)
Alert = dict[str, Any]


class WebhookSink:
    name = "webhook"

    def __init__(
        self,
        url: str,
        spool_dir: Path,
        *,
        max_spool: int = 100_000,
        timeout_s: float = 5.0,
        attempts: int = 3,
        retry_initial_s: float = 0.1,
        retry_max_s: float = 2.0,
        replay_max_interval_s: float = 10.0,
        close_timeout_s: float = 10.0,
        headers: Mapping[str, str] | None = None,
        ca_file: Path | None = None,
    ) -> None:
        self.url = url
        self.spool_dir = spool_dir
        self.max_spool = max_spool
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.replay_max_interval_s = replay_max_interval_s
        self.close_timeout_s = close_timeout_s
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._ca_file = ca_file
        self._session: aiohttp.ClientSession | None = None
        self._spooled: list[Path] = []
        self._next_seq = 0
        self._replayer: asyncio.Task[None] | None = None
        self._counts: Counter[str] = Counter()

    @property
    def spooled(self) -> int:
        return len(self._spooled)

    async def open(self) -> None:
        try:
            self.spool_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SinkError(f"cannot create webhook spool {self.spool_dir}: {exc}") from exc
        self._spooled = sorted(self.spool_dir.glob("*.json"))
        if self._spooled:
            self._next_seq = int(self._spooled[-1].stem) + 1
            log.warning("webhook: %d alerts left spooled by a previous run", len(self._spooled))
        ssl_context: ssl.SSLContext | bool = True
        if self._ca_file is not None:
            ssl_context = ssl.create_default_context(cafile=str(self._ca_file))
        self._session = aiohttp.ClientSession(
            headers=self._headers,
            timeout=aiohttp.ClientTimeout(total=self.timeout_s),
            connector=aiohttp.TCPConnector(ssl=ssl_context, limit=4),
        )
        if self._spooled:
            self._start_replayer()

    async def _post(self, body: bytes) -> None:
        assert self._session is not None
        try:
            async with self._session.post(self.url, data=body) as resp:
                await resp.read()
                if resp.status >= 300:
                    raise SinkError(f"webhook {self.url} answered {resp.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SinkError(f"webhook {self.url} unreachable: {exc!r}") from exc

    async def _post_with_retry(self, body: bytes) -> None:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(SinkError),
            wait=wait_backoff(multiplier=self.retry_initial_s, max=self.retry_max_s),
            stop=stop_after_attempt(max(1, self.attempts)),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    self._counts["retries"] += 1
                await self._post(body)

    def _spool(self, body: bytes) -> None:
        if len(self._spooled) >= self.max_spool:
            self._counts["dropped_spool_full"] += 1
            log.error("webhook spool %s is full: alert dropped", self.spool_dir)
            return
        path = self.spool_dir / f"{self._next_seq:016d}.json"
        self._next_seq += 1
        try:
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(body)
            tmp.rename(path)
        except OSError as exc:
            self._counts["dropped_spool_error"] += 1
            raise SinkError(f"cannot spool alert to {path}: {exc}") from exc
        self._spooled.append(path)
        self._counts["spooled"] += 1

    def _start_replayer(self) -> None:
        if self._replayer is None or self._replayer.done():
            self._replayer = asyncio.create_task(self._replay(), name="webhook-spool-replay")

    async def _replay(self) -> None:
        delay = self.retry_initial_s
        while self._spooled:
            path = self._spooled[0]
            try:
                body = path.read_bytes()
            except OSError as exc:
                log.error("webhook spool file %s unreadable, skipped: %s", path, exc)
                self._spooled.pop(0)
                self._counts["dropped_spool_error"] += 1
                continue
            try:
                await self._post(body)
            except SinkError:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.replay_max_interval_s)
                continue
            delay = self.retry_initial_s
            with contextlib.suppress(OSError):
                path.unlink()
            self._spooled.pop(0)
            self._counts["delivered"] += 1
            self._counts["replayed"] += 1

    async def write(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            body = encode_alert(alert)
            if self._spooled:
                self._spool(body)
                continue
            try:
                await self._post_with_retry(body)
            except SinkError as exc:
                log.warning("%s; spooling alerts to %s", exc, self.spool_dir)
                self._spool(body)
                self._start_replayer()
                continue
            self._counts["delivered"] += 1

    async def aclose(self) -> None:
        if self._replayer is not None and not self._replayer.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._replayer), self.close_timeout_s)
            except TimeoutError:
                self._replayer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._replayer
                log.warning(
                    "webhook: %d alerts remain spooled in %s; the next start delivers them",
                    len(self._spooled),
                    self.spool_dir,
                )
        if self._session is not None:
            await self._session.close()
            self._session = None

    def counters(self) -> Mapping[str, int]:
        return {**self._counts, "spool_pending": len(self._spooled)}
