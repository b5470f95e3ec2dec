"""The stages: source -> dedup -> batch -> policy (OPA, in _policy_stage) -> one sink per sink.

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
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bpfopa.errors import BackpressureTimeout, SinkError
from bpfopa.output import AlertSink
from bpfopa.pipeline._batch import Batcher
from bpfopa.pipeline._channel import Channel, Lifecycle, StageFailedError, StageStats
from bpfopa.pipeline._dedup import Deduplicator
from bpfopa.pipeline._source import EventSource
from bpfopa.policy import Prefilter

__all__ = [
    "BatchStage",
    "DedupStage",
    "SinkStage",
    "SourceStage",
    "Stage",
]

log = logging.getLogger(__name__)

Document = dict[str, Any]
Alert = dict[str, Any]
Publish = Callable[[list[Alert]], Awaitable[None]]


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
    """Closes batches when full or aged out, and at once when ``idle()`` says the next stage
    would evaluate them right away and nothing else is queued here: an isolated event waits
    for no one, while under load batches fill up."""

    def __init__(
        self,
        batcher: Batcher,
        inbox: Channel[list[Document]],
        outbox: Channel[list[Document]],
        on_batch: Callable[[int], None] | None = None,
        idle: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__("batch", inbox, outbox)
        self.batcher = batcher
        self._on_batch = on_batch
        self._idle = idle
        self.early_batches = 0

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
                if len(batcher) and not len(self.inbox) and self._idle is not None and self._idle():
                    self.early_batches += 1
                    await self._emit_batches(batcher.flush())
            await self._emit_batches(batcher.flush())
        except asyncio.CancelledError:
            for batch in batcher.flush():
                self.offer(batch, len(batch))
            raise


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
