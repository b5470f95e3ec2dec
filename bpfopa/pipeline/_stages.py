"""The stages: source -> dedup -> batch -> policy (OPA) -> one sink stage per alert sink.

Every stage is a class with ``start()`` / ``aclose()``, a :class:`Lifecycle` state and a
:class:`StageStats`. Its background task's done-callback fails the channels on both sides when it
crashes, so neighbours raise :class:`StageFailedError` instead of waiting forever. End of stream
travels as a closed channel: each stage drains what it holds, closes its outbox and ends.
Cancellation drains without waiting (what does not fit is counted) and re-raises.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bpfopa.errors import BackpressureTimeout, PolicyEngineError, SinkError
from bpfopa.output import AlertBuilder, AlertSink, FieldRegistry, internal_alert, priority_rank
from bpfopa.pipeline._batch import Batcher
from bpfopa.pipeline._channel import Channel, Lifecycle, StageFailedError, StageStats
from bpfopa.pipeline._dedup import Deduplicator
from bpfopa.pipeline._source import EventSource
from bpfopa.policy import OpaClient, Prefilter

__all__ = [
    "RULE_OPA_RECOVERED",
    "RULE_OPA_UNAVAILABLE",
    "BatchStage",
    "DedupStage",
    "PolicyStage",
    "SinkStage",
    "SourceStage",
    "Stage",
]

log = logging.getLogger(__name__)

Document = dict[str, Any]
Alert = dict[str, Any]
Publish = Callable[[list[Alert]], Awaitable[None]]

RULE_OPA_UNAVAILABLE = "bpfopa internal: policy engine unavailable"
RULE_OPA_RECOVERED = "bpfopa internal: policy engine recovered"


class Stage(abc.ABC):
    """A background task between an inbox and an outbox channel."""

    def __init__(
        self, name: str, inbox: Channel[Any] | None = None, outbox: Channel[Any] | None = None
    ) -> None:
        self.name = name
        self.inbox = inbox
        self.outbox = outbox
        self.stats = StageStats(name)
        self.state = Lifecycle.NEW
        self.error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self.state is not Lifecycle.NEW:
            raise RuntimeError(f"stage {self.name}: start() in state {self.state.value}")
        self.state = Lifecycle.RUNNING
        self._task = asyncio.create_task(self._main(), name=f"stage-{self.name}")
        self._task.add_done_callback(self._on_done)

    async def _main(self) -> None:
        await self.run()
        self.state = Lifecycle.DRAINING
        if self.outbox is not None:
            self.outbox.close()

    @abc.abstractmethod
    async def run(self) -> None:
        """Consume the inbox until it ends; emit downstream."""

    def _on_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            self.state = Lifecycle.STOPPED
            if self.outbox is not None:
                self.outbox.close()
            return
        error = task.exception()
        if error is None:
            self.state = Lifecycle.STOPPED
            return
        self.state = Lifecycle.FAILED
        self.error = error
        log.error("stage %s crashed: %r", self.name, error, exc_info=error)
        failure = StageFailedError(f"stage {self.name} crashed: {error!r}")
        for channel in (self.inbox, self.outbox):
            if channel is not None:
                channel.fail(failure)

    async def wait(self) -> None:
        """Until the stage ends; raises what made it fail."""
        if self._task is None:
            return
        await asyncio.shield(self._task)

    async def aclose(self) -> None:
        """Cancel the task (it drains what it can without waiting) and wait for it."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def emit(self, item: Any, count: int) -> None:
        """Put ``item`` (``count`` events) downstream under the outbox's full-queue policy."""
        assert self.outbox is not None
        try:
            delivered = await self.outbox.put(item)
        except BackpressureTimeout as exc:
            self.stats.backpressure_timeouts += 1
            self.stats.drop("backpressure_timeout", count)
            log.warning("%s: %s; %d events dropped", self.name, exc, count)
            return
        if delivered:
            self.stats.emitted += count
        else:
            self.stats.drop("queue_full", count)

    def offer(self, item: Any, count: int) -> None:
        """Emit without waiting (draining under cancellation)."""
        if self.outbox is not None and self.outbox.offer(item):
            self.stats.emitted += count
        else:
            self.stats.drop("cancelled", count)


class SourceStage(Stage):
    def __init__(self, source: EventSource, outbox: Channel[list[Document]]) -> None:
        super().__init__("source", None, outbox)
        self.source = source

    async def run(self) -> None:
        async for batch in self.source.batches():
            if not batch:
                continue
            self.stats.received += len(batch)
            await self.emit(batch, len(batch))


class DedupStage(Stage):
    """The policy prefilter (cheapest first: it drops most documents), then deduplication.

    ``prefilter`` is swapped by the pipeline when it re-reads the policy's constants; None
    sends every document on.
    """

    def __init__(
        self,
        dedup: Deduplicator,
        inbox: Channel[list[Document]],
        outbox: Channel[list[Document]],
        prefilter: Prefilter | None = None,
    ) -> None:
        super().__init__("dedup", inbox, outbox)
        self.dedup = dedup
        self.prefilter = prefilter

    async def run(self) -> None:
        assert self.inbox is not None
        loop = asyncio.get_running_loop()
        dedup = self.dedup
        try:
            while True:
                try:
                    batch = await self.inbox.get(until=dedup.next_deadline())
                except TimeoutError:
                    batch = []
                if batch is None:
                    break
                self.stats.received += len(batch)
                prefilter = self.prefilter
                if prefilter is not None and batch:
                    batch, judged = prefilter.split(batch)
                    self.stats.prefiltered += judged
                out = dedup.add(batch, loop.time()) if batch else dedup.expire(loop.time())
                if out:
                    await self.emit(out, len(out))
            rest = dedup.flush()
            if rest:
                await self.emit(rest, len(rest))
        except asyncio.CancelledError:
            rest = dedup.flush()
            if rest:
                self.offer(rest, len(rest))
            raise


class BatchStage(Stage):
    def __init__(
        self,
        batcher: Batcher,
        inbox: Channel[list[Document]],
        outbox: Channel[list[Document]],
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__("batch", inbox, outbox)
        self.batcher = batcher
        self._on_batch = on_batch

    async def _emit_batches(self, batches: list[list[Document]]) -> None:
        for batch in batches:
            if self._on_batch is not None:
                self._on_batch(len(batch))
            await self.emit(batch, len(batch))

    async def run(self) -> None:
        assert self.inbox is not None
        loop = asyncio.get_running_loop()
        batcher = self.batcher
        try:
            while True:
                try:
                    docs = await self.inbox.get(until=batcher.next_deadline())
                except TimeoutError:
                    await self._emit_batches(batcher.due(loop.time()))
                    continue
                if docs is None:
                    break
                self.stats.received += len(docs)
                await self._emit_batches(batcher.add(docs, loop.time()))
            await self._emit_batches(batcher.flush())
        except asyncio.CancelledError:
            for batch in batcher.flush():
                self.offer(batch, len(batch))
            raise


class PolicyStage(Stage):
    """Evaluates batches with OPA, ``max_inflight`` at a time, and publishes the alerts.

    When OPA is unavailable (retries spent), batches wait in an outage backlog bounded by
    ``outage_buffer`` events — what exceeds it is dropped with reason ``opa_unavailable`` — while
    a probe waits for OPA to answer again; the backlog is then evaluated first, in order.
    """

    def __init__(
        self,
        client: OpaClient,
        inbox: Channel[list[Document]],
        publish: Publish,
        *,
        hostname: str,
        max_inflight: int = 4,
        outage_buffer: int = 100_000,
        min_priority: str = "DEBUG",
        drain_timeout_s: float = 30.0,
        probe_initial_s: float = 0.1,
        probe_max_s: float = 5.0,
        alert_builder: AlertBuilder | None = None,
    ) -> None:
        super().__init__("policy", inbox, None)
        self.alert_builder = alert_builder or AlertBuilder(FieldRegistry.load(), hostname)
        self.client = client
        self._publish = publish
        self.hostname = hostname
        self.max_inflight = max_inflight
        self.outage_buffer = outage_buffer
        self.min_rank = priority_rank(min_priority)
        self.drain_timeout_s = drain_timeout_s
        self.probe_initial_s = probe_initial_s
        self.probe_max_s = probe_max_s
        self.outage = False
        self.outages = 0
        self.alerts_by_rule: Counter[tuple[str, str]] = Counter()
        self.filtered_alerts = 0
        self._backlog: deque[list[Document]] = deque()
        self._backlog_events = 0
        self._slots = asyncio.Semaphore(max_inflight)
        self._inflight: set[asyncio.Task[None]] = set()
        self._drainer: asyncio.Task[None] | None = None
        self._recovered = asyncio.Event()
        self._recovered.set()

    @property
    def backlog_events(self) -> int:
        return self._backlog_events

    # -- main loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        assert self.inbox is not None
        try:
            while (batch := await self.inbox.get()) is not None:
                self.stats.received += len(batch)
                if self.outage or self._backlog:
                    self._to_backlog(batch)
                    self._ensure_drainer()
                    continue
                await self._slots.acquire()
                if self.outage:  # declared while we waited for a slot: do not send it
                    self._slots.release()
                    self._to_backlog(batch)
                    self._ensure_drainer()
                    continue
                self._spawn(batch)
            await self._finish()
        except asyncio.CancelledError:
            self._abandon("cancelled")
            raise

    async def _finish(self) -> None:
        """End of stream: evaluate the backlog and wait for in-flight batches, within a deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.drain_timeout_s
        while self._inflight or self._backlog:
            if self._backlog:
                self._ensure_drainer()
            waiting: set[asyncio.Task[None]] = set(self._inflight)
            if self._drainer is not None and not self._drainer.done():
                waiting.add(self._drainer)
            remaining = deadline - loop.time()
            if remaining <= 0 or not waiting:
                break
            await asyncio.wait(waiting, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
        if self._inflight or self._backlog:
            log.error(
                "policy engine still unavailable after %.0fs of draining: %d events not evaluated",
                self.drain_timeout_s,
                self._backlog_events,
            )
            self._abandon("opa_unavailable_at_exit")

    def _abandon(self, reason: str) -> None:
        if self._drainer is not None:
            self._drainer.cancel()
        for task in self._inflight:
            task.cancel()
        self.stats.drop(reason, self._backlog_events)
        self._backlog.clear()
        self._backlog_events = 0

    # -- evaluation ---------------------------------------------------------------------------

    def _spawn(self, batch: list[Document]) -> None:
        task = asyncio.create_task(self._evaluate_guarded(batch))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _evaluate_guarded(self, batch: list[Document]) -> None:
        try:
            await self._evaluate(batch)
        except Exception:
            # A bug here must not take detection down silently or wedge the drain.
            log.exception("policy stage: unexpected error; %d events lost", len(batch))
            self.stats.drop("internal_error", len(batch))

    async def _evaluate(self, batch: list[Document]) -> None:
        try:
            try:
                evaluation = await self.client.evaluate(batch)
            except PolicyEngineError as exc:
                # Unavailable, policies missing (a bundle reloading), refused token: all wait
                # for OPA to answer properly again; the internal alert carries the reason.
                self._to_backlog(batch, front=True)
                await self._enter_outage(exc)
                self._ensure_drainer()
                return
        finally:
            self._slots.release()
        self.stats.emitted += len(batch) - len(evaluation.rejected)
        self.stats.drop("opa_rejected", len(evaluation.rejected))
        alerts: list[Alert] = []
        for verdict in evaluation.alerts:
            if priority_rank(verdict.priority) > self.min_rank:
                self.filtered_alerts += 1
                continue
            self.alerts_by_rule[(verdict.rule, verdict.priority)] += 1
            alerts.append(
                self.alert_builder.build(
                    batch[verdict.index],
                    rule=verdict.rule,
                    priority=verdict.priority,
                    output=verdict.output,
                    tags=verdict.tags,
                    rule_id=verdict.id,
                    output_fields=verdict.output_fields,
                )
            )
        if alerts:
            await self._publish(alerts)

    def _to_backlog(self, batch: list[Document], *, front: bool = False) -> None:
        room = self.outage_buffer - self._backlog_events
        if room < len(batch):
            self.stats.drop("opa_unavailable", len(batch) - max(room, 0))
            batch = batch[: max(room, 0)]
        if not batch:
            return
        if front:
            self._backlog.appendleft(batch)
        else:
            self._backlog.append(batch)
        self._backlog_events += len(batch)

    # -- outage and recovery ------------------------------------------------------------------

    async def _enter_outage(self, error: BaseException) -> None:
        if self.outage:
            return
        self.outage = True
        self.outages += 1
        self._recovered.clear()
        log.error("policy engine unavailable: %s", error)
        await self._publish(
            [
                internal_alert(
                    RULE_OPA_UNAVAILABLE,
                    "CRITICAL",
                    f"Policy engine unavailable; events are buffered (up to "
                    f"{self.outage_buffer}) until it answers again: {error}",
                    {"opa.url": self.client.config.url, "error": str(error)},
                    self.hostname,
                )
            ]
        )

    async def _probe_until_recovered(self) -> None:
        delay = self.probe_initial_s
        while True:
            await asyncio.sleep(delay)
            try:
                await self.client.health()
                await self.client.check_policies()
            except PolicyEngineError as exc:
                log.debug("policy engine still unavailable: %s", exc)
                delay = min(delay * 2, self.probe_max_s)
                continue
            break
        self.outage = False
        self._recovered.set()
        log.warning("policy engine recovered; %d buffered events", self._backlog_events)
        await self._publish(
            [
                internal_alert(
                    RULE_OPA_RECOVERED,
                    "NOTICE",
                    f"Policy engine recovered; evaluating {self._backlog_events} buffered events",
                    {
                        "opa.url": self.client.config.url,
                        "buffered": self._backlog_events,
                        "dropped": self.stats.dropped["opa_unavailable"],
                    },
                    self.hostname,
                )
            ]
        )

    def _ensure_drainer(self) -> None:
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain_backlog(), name="policy-backlog")

    async def _drain_backlog(self) -> None:
        while True:
            if self.outage:
                await self._probe_until_recovered()
            if not self._backlog:
                return
            await self._slots.acquire()
            if self.outage:  # an in-flight batch failed meanwhile
                self._slots.release()
                continue
            batch = self._backlog.popleft()
            self._backlog_events -= len(batch)
            self._spawn(batch)


class SinkStage(Stage):
    """One subscriber of the alert fan-out with its own bounded buffer."""

    def __init__(self, sink: AlertSink, inbox: Channel[list[Alert]]) -> None:
        super().__init__(f"sink:{sink.name}", inbox, None)
        self.sink = sink
        #: Alerts handed to this sink's inbox: the first line of its books (sink_books).
        self.published = 0

    async def run(self) -> None:
        assert self.inbox is not None
        while (alerts := await self.inbox.get()) is not None:
            self.stats.received += len(alerts)
            try:
                await self.sink.write(alerts)
            except SinkError as exc:
                self.stats.drop("sink_error", len(alerts))
                log.error("alert sink %s: %s", self.sink.name, exc)
                continue
            finally:
                # What the sink delivered, by its own count: an alert it spooled is not yet
                # emitted, one it dropped is counted in its drops only (alert_books).
                self.stats.emitted = self.sink.counters().get("delivered", 0)

    async def publish(self, alerts: Sequence[Alert]) -> None:
        assert self.inbox is not None
        self.published += len(alerts)
        try:
            delivered = await self.inbox.put(list(alerts))
        except BackpressureTimeout as exc:
            self.stats.backpressure_timeouts += 1
            self.stats.drop("backpressure_timeout", len(alerts))
            log.warning("alert sink %s: %s; %d alerts dropped", self.sink.name, exc, len(alerts))
            return
        if not delivered:
            self.stats.drop("queue_full", len(alerts))
