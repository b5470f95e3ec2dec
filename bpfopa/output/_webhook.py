"""HTTP webhook sink, compatible with falcosidekick: one POST of the alert JSON per alert.

Delivery guarantees (docs/pipeline.md "Sinks"):

- Every POST carries ``Idempotency-Key: <alert uuid>``; the uuid is in the alert and survives
  the spool, so a receiver that honours the key (``idempotent_receiver``) sees each alert once
  even when bpfopa resends it: exactly once.
- Otherwise at least once, with no blind resend: a request is repeated at once only when the
  receiver cannot have processed it (connection refused, 5xx, 408, 429). A request that timed
  out may still be processing: it is not retried at once but resent from the spool, and the
  sink's timeout is multiplied by 4 (up to ``max_timeout_s``) for the rest of the run, so a
  receiver slower than the timeout gets one more copy per fourfold of its slowness, not one
  per retry. A POST cut by shutdown is kept as
  "unacknowledged": the next start resends it only to an idempotent receiver, else
  dead-letters it (delivery unknown) instead.
- A permanent refusal (any other 4xx, say 413) dead-letters that alert at once, and one the
  receiver keeps failing with 5xx after ``poison_after`` answers; later alerts are not blocked.

While the endpoint is down, alerts go to a bounded on-disk spool (one 0600 file per alert,
numbered, in a 0700 directory; the oldest is dropped and counted when full) that a background
task replays in order; every alert after the first spooled one is spooled too, so the
receiver sees them in order. A spool left at exit is replayed by the next start.
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
import orjson

from bpfopa.errors import SinkError, SinkRejectedError
from bpfopa.output._files import DeadLetterFile
from bpfopa.output._sinks import encode_alert
from bpfopa.output._spool import Spool

__all__ = ["WebhookSink"]

log = logging.getLogger(__name__)
Alert = dict[str, Any]

#: Answers after which the receiver has not kept the alert and a resend is safe.
_RETRY_STATUSES = frozenset({408, 425, 429})


class _Timeout(SinkError):
    """The request was sent and no answer came in time: the receiver may have it."""


class _ServerError(SinkError):
    """The receiver answered 5xx: it failed this alert (a poison alert, when it keeps doing so
    while it answers)."""


class WebhookSink:
    name = "webhook"

    def __init__(
        self,
        url: str,
        spool_dir: Path,
        *,
        max_spool: int = 10_000,
        timeout_s: float = 30.0,
        max_timeout_s: float = 300.0,
        attempts: int = 3,
        retry_initial_s: float = 0.1,
        retry_max_s: float = 2.0,
        replay_max_interval_s: float = 10.0,
        close_timeout_s: float = 10.0,
        headers: Mapping[str, str] | None = None,
        ca_file: Path | None = None,
        idempotent_receiver: bool = False,
        poison_after: int = 10,
        dead_letter: DeadLetterFile | None = None,
        fsync_interval_s: float | None = 1.0,
    ) -> None:
        if attempts < 1 or timeout_s <= 0:
            raise ValueError("attempts must be >= 1, timeout_s > 0")
        self.url = url
        self.spool_dir = spool_dir
        self._spool = Spool(spool_dir, max_spool, fsync_interval_s)
        self.timeout_s = timeout_s
        self.max_timeout_s = max(max_timeout_s, timeout_s)
        self.attempts = attempts
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.replay_max_interval_s = replay_max_interval_s
        self.close_timeout_s = close_timeout_s
        self.idempotent_receiver = idempotent_receiver
        #: A spooled alert the receiver answered 5xx this many times is dead-lettered: it must
        #: not hold up every later alert. Refused connections and timeouts do not count (the
        #: receiver is down or slow, not failing this alert).
        self.poison_after = max(1, poison_after)
        self._server_errors: Counter[Path] = Counter()
        self._headers = {"Content-Type": "application/json", **(headers or {})}
        self._ca_file = ca_file
        self._session: aiohttp.ClientSession | None = None
        #: Spool entries whose POST timed out (a resend of those is counted).
        self._timed_out: set[Path] = set()
        #: Raised x4 at each timeout (up to max_timeout_s) for the rest of the run: a receiver
        #: that was slow once is waited for longer from then on.
        self._timeout_s = timeout_s
        self._replayer: asyncio.Task[None] | None = None
        #: The spool entry whose POST is under way (the replayer's), never dropped for room.
        self._inflight: Path | None = None
        self._closing = asyncio.Event()
        self._counts: Counter[str] = Counter()
        self._fsync_interval_s = fsync_interval_s
        #: Alerts the receiver refused for good; by default ``rejected.jsonl`` in the spool.
        self.dead_letter = dead_letter

    @property
    def spooled(self) -> int:
        return len(self._spool.entries)

    async def open(self) -> None:
        try:
            unacked = self._spool.open()
        except OSError as exc:
            raise SinkError(f"cannot create webhook spool {self.spool_dir}: {exc}") from exc
        if self.dead_letter is None:
            self.dead_letter = DeadLetterFile(
                self.spool_dir / "rejected.jsonl", fsync_interval_s=self._fsync_interval_s
            )
        self._recover_unacked(unacked)
        carried = self._spool.load()
        if carried:
            self._counts["carried_over"] += carried
            log.warning("webhook: %d alerts left spooled by a previous run", carried)
        ssl_context: ssl.SSLContext | bool = True
        if self._ca_file is not None:
            ssl_context = ssl.create_default_context(cafile=str(self._ca_file))
        self._session = aiohttp.ClientSession(
            headers=self._headers,
            connector=aiohttp.TCPConnector(ssl=ssl_context, limit=4),
        )
        if self._spool.entries:
            self._start_replayer()

    def _recover_unacked(self, unacked: list[Path]) -> None:
        """POSTs cut by the last shutdown: resent only where resending cannot duplicate."""
        for path in unacked:
            if self.idempotent_receiver:
                self._spool.requeue(path)
                self._counts["resent_unacked"] += 1
                continue
            try:
                alert = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as exc:
                alert = f"unreadable: {exc}"
            assert self.dead_letter is not None
            self.dead_letter.add(
                "alert",
                alert,
                reason="webhook POST in flight at shutdown; delivery unknown and the receiver "
                "is not known to honour Idempotency-Key, so it is not resent",
            )
            self._counts["carried_over"] += 1
            self._counts["dropped_unacknowledged"] += 1
            with contextlib.suppress(OSError):
                path.unlink()

    # -- one POST ----------------------------------------------------------------------------

    async def _post(self, body: bytes, key: str, timeout_s: float) -> None:
        assert self._session is not None
        try:
            async with self._session.post(
                self.url,
                data=body,
                headers={"Idempotency-Key": key},
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as resp:
                text = await resp.text(errors="replace")
                status = resp.status
        except TimeoutError as exc:
            self._counts["timeouts"] += 1
            self._timeout_s = min(self._timeout_s * 4, self.max_timeout_s)
            log.warning("webhook %s is slow: timeout raised to %g s", self.url, self._timeout_s)
            raise _Timeout(f"webhook {self.url} did not answer within {timeout_s:g} s") from exc
        except aiohttp.ClientError as exc:
            raise SinkError(f"webhook {self.url} unreachable: {exc!r}") from exc
        if status < 300:
            return
        if 400 <= status < 500 and status not in _RETRY_STATUSES:
            raise SinkRejectedError(
                f"webhook {self.url} refused the alert ({status}): {text[:300]}", status
            )
        if status >= 500:
            raise _ServerError(f"webhook {self.url} answered {status}: {text[:300]}")
        raise SinkError(f"webhook {self.url} answered {status}")

    async def _post_with_retry(self, body: bytes, key: str) -> None:
        """Retries only what the receiver cannot have kept (and timeouts when it dedups)."""
        delay = self.retry_initial_s
        for attempt in range(1, self.attempts + 1):
            try:
                await self._post(body, key, self._timeout_s)
                return
            except SinkRejectedError:
                raise
            except _Timeout:
                if not self.idempotent_receiver or attempt == self.attempts:
                    raise
            except SinkError:
                if attempt == self.attempts:
                    raise
            self._counts["retries"] += 1
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.retry_max_s)

    def _reject(self, alert: Alert | bytes, exc: SinkRejectedError) -> None:
        record: Any = alert
        if isinstance(alert, bytes):
            try:
                record = orjson.loads(alert)
            except orjson.JSONDecodeError:
                record = {"raw": alert.decode("utf-8", "replace")}
        assert self.dead_letter is not None
        self.dead_letter.add("alert", record, reason=str(exc), status=exc.status)
        self._counts["dropped_rejected"] += 1

    # -- the spool ---------------------------------------------------------------------------

    def _to_spool(self, body: bytes, *, timed_out: bool = False) -> None:
        for dropped in self._spool.make_room(keep=self._inflight):
            self._forget(dropped)
            self._counts["dropped_spool_full"] += 1
            log.error("webhook spool %s is full: oldest alert dropped", self.spool_dir)
        try:
            path = self._spool.put(body)
        except OSError as exc:
            self._counts["dropped_spool_error"] += 1
            log.error("cannot spool alert in %s, alert dropped: %s", self.spool_dir, exc)
            return
        if timed_out:
            self._timed_out.add(path)
        self._counts["spooled"] += 1

    def _forget(self, path: Path) -> None:
        self._timed_out.discard(path)
        self._server_errors.pop(path, None)

    def _done(self, path: Path) -> None:
        """The head entry is settled (delivered or dead-lettered): off the spool."""
        self._spool.remove(path)
        self._forget(path)

    def _poison(self, body: bytes, path: Path, exc: SinkError) -> None:
        assert self.dead_letter is not None
        try:
            record: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            record = {"raw": body.decode("utf-8", "replace")}
        self.dead_letter.add(
            "alert",
            record,
            reason=f"the receiver failed this alert {self.poison_after} times: {exc}",
        )
        self._counts["dropped_poison"] += 1
        self._done(path)

    def _start_replayer(self) -> None:
        if self._replayer is None or self._replayer.done():
            self._replayer = asyncio.create_task(self._replay(), name="webhook-spool-replay")

    async def _pause(self, seconds: float) -> bool:
        """Sleep; True when the sink is closing (the replay stops between two POSTs)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)
        return self._closing.is_set()

    async def _replay(self) -> None:
        delay = self.retry_initial_s
        while self._spool.entries and not self._closing.is_set():
            path = self._spool.entries[0]
            try:
                body = path.read_bytes()
                key = str(orjson.loads(body).get("uuid") or path.stem)
            except (OSError, orjson.JSONDecodeError, AttributeError) as exc:
                log.error("webhook spool file %s unreadable, dropped: %s", path, exc)
                self._done(path)
                self._counts["dropped_spool_error"] += 1
                continue
            if path in self._timed_out:
                self._counts["resent_after_timeout"] += 1
            self._inflight = path
            try:
                await self._post(body, key, self._timeout_s)
            except SinkRejectedError as exc:
                self._reject(body, exc)
            except _Timeout:
                self._timed_out.add(path)
                continue
            except _ServerError as exc:
                self._server_errors[path] += 1
                if self._server_errors[path] >= self.poison_after:
                    self._poison(body, path, exc)
                    continue
                if await self._pause(delay):
                    return
                delay = min(delay * 2, self.replay_max_interval_s)
                continue
            except SinkError:
                if await self._pause(delay):
                    return
                delay = min(delay * 2, self.replay_max_interval_s)
                continue
            except asyncio.CancelledError:
                self._forget(path)
                self._spool.mark_unacked(body, path)
                raise
            else:
                self._counts["delivered"] += 1
                self._counts["replayed"] += 1
            finally:
                self._inflight = None
            delay = self.retry_initial_s
            self._done(path)

    # -- the AlertSink protocol ----------------------------------------------------------------

    async def write(self, alerts: Sequence[Alert]) -> None:
        """Never raises for one alert's fate: each is delivered, spooled or dead-lettered and
        counted once."""
        for alert in alerts:
            body = encode_alert(alert)
            if self._spool.entries:
                self._to_spool(body)
                continue
            try:
                await self._post_with_retry(body, str(alert.get("uuid", "")))
            except SinkRejectedError as exc:
                self._reject(alert, exc)
                continue
            except SinkError as exc:
                log.warning("%s; spooling alerts to %s", exc, self.spool_dir)
                self._to_spool(body, timed_out=isinstance(exc, _Timeout))
                self._start_replayer()
                continue
            except asyncio.CancelledError:
                self._spool.mark_unacked(body)
                raise
            self._counts["delivered"] += 1

    async def aclose(self) -> None:
        if self._replayer is not None and not self._replayer.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._replayer), self.close_timeout_s)
            except TimeoutError:
                # Stop between two POSTs: one under way is given its timeout to answer, and
                # only then cut (and kept as unacknowledged).
                self._closing.set()
                try:
                    await asyncio.wait_for(asyncio.shield(self._replayer), self._timeout_s)
                except TimeoutError:
                    self._replayer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._replayer
                log.warning(
                    "webhook: %d alerts remain spooled in %s; the next start delivers them",
                    len(self._spool.entries),
                    self.spool_dir,
                )
        self._spool.sync()
        if self.dead_letter is not None:
            self.dead_letter.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def counters(self) -> Mapping[str, int]:
        return {
            **self._counts,
            "pending": len(self._spool.entries),
            "dead_letter_dropped": self.dead_letter.dropped if self.dead_letter else 0,
        }
