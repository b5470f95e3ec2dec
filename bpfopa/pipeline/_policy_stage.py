"""The policy stage: batches to OPA, ``max_inflight`` at a time, alerts to the sinks.

Outage and recovery follow what OPA actually does with our requests, never ``/health``:

- The first failed request (a timeout is never retried in place) declares the outage, with an
  internal alert; its batch goes to the front of a backlog bounded by ``outage_buffer`` events
  (the excess is dropped, counted as ``opa_unavailable``), and every later batch waits behind it.
- A probe re-sends the head of the backlog, with backoff. Recovery is declared only when that
  real evaluation succeeds; the backlog is then evaluated in order.
- A batch that has failed ``max_attempts`` times while OPA evaluates an empty request is poison:
  it is split in halves (and requests are capped at the half's size, growing back after
  ``regrow_after_s`` without poison: an OPA that fails large requests stops flapping), down to
  single documents, which go to the dead-letter file (dropped, counted as ``poison``).
- At the drain deadline or on abort, buffered and in-flight events are counted, never vanish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from bpfopa.errors import PolicyEngineError
from bpfopa.output import AlertBuilder, FieldRegistry
from bpfopa.pipeline._channel import Channel
from bpfopa.pipeline._policy_alerts import (
    RULE_OPA_RECOVERED,
    RULE_OPA_UNAVAILABLE,
    RULE_RULE_FAULT,
    PolicyAlerts,
)
from bpfopa.pipeline._policy_backlog import Backlog, Batch
from bpfopa.pipeline._stages import Stage
from bpfopa.policy import Evaluation, OpaClient, Rejection

__all__ = [
    "RULE_OPA_RECOVERED",
    "RULE_OPA_UNAVAILABLE",
    "RULE_RULE_FAULT",
    "PolicyStage",
]

log = logging.getLogger(__name__)

Document = dict[str, Any]
Alert = dict[str, Any]
Publish = Callable[[list[Alert]], Awaitable[None]]


class PolicyStage(Stage):
    """Evaluates batches with OPA and publishes the alerts (see the module docstring)."""

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
        max_attempts: int = 3,
        probe_initial_s: float = 0.1,
        probe_max_s: float = 5.0,
        regrow_after_s: float = 60.0,
        rule_fault_alert_interval_s: float = 60.0,
        alert_builder: AlertBuilder | None = None,
    ) -> None:
        super().__init__("policy", inbox, None)
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.client = client
        self._publish = publish
        self.max_inflight = max_inflight
        self.outage_buffer = outage_buffer
        self.drain_timeout_s = drain_timeout_s
        self.max_attempts = max_attempts
        self.probe_initial_s = probe_initial_s
        self.probe_max_s = probe_max_s
        self.regrow_after_s = regrow_after_s
        self._alerts = PolicyAlerts(
            client,
            alert_builder or AlertBuilder(FieldRegistry.load(), hostname),
            hostname=hostname,
            min_priority=min_priority,
            rule_fault_alert_interval_s=rule_fault_alert_interval_s,
        )
        self.outage = False
        self.outages = 0
        self.recoveries = 0
        self.poisoned = 0
        #: At most this many documents per request (None: whole batches), after poison splits.
        self.request_limit: int | None = None
        self._backlog = Backlog(outage_buffer, self.stats)
        self._slots = asyncio.Semaphore(max_inflight)
        self._inflight: dict[asyncio.Task[None], int] = {}
        self._drainer: asyncio.Task[None] | None = None
        self._last_poison = 0.0
        self._largest_batch = 0
        self._drain_deadline: float | None = None

    @property
    def alerts_by_rule(self) -> Counter[tuple[str, str]]:
        """Alerts published, by (rule, priority)."""
        return self._alerts.alerts_by_rule

    @property
    def filtered_alerts(self) -> int:
        """Alerts below ``min_priority``, not published."""
        return self._alerts.filtered_alerts

    @property
    def backlog_events(self) -> int:
        return self._backlog.events

    @property
    def inflight_events(self) -> int:
        return sum(self._inflight.values())

    @property
    def idle(self) -> bool:
        """No batch waits and a request slot is free: a batch sent now is evaluated at once."""
        return (
            not self.outage
            and not self._backlog
            and len(self._inflight) < self.max_inflight
            and (self.inbox is None or len(self.inbox) == 0)
        )

    # -- main loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        assert self.inbox is not None
        try:
            while (docs := await self.inbox.get()) is not None:
                self.stats.received += len(docs)
                for part in self._chunks(docs):
                    await self._submit(Batch(part))
            await self._finish()
        except asyncio.CancelledError:
            self._abandon("cancelled")
            raise

    def start_draining(self) -> None:
        """The run is stopping: the drain deadline counts from now, even while this stage
        still waits for a request slot."""
        if self._drain_deadline is None:
            self._drain_deadline = self._loop_time() + self.drain_timeout_s

    async def _submit(self, batch: Batch) -> None:
        if not (self.outage or self._backlog) and await self._acquire_slot():
            if not self.outage:
                self._spawn(batch)
                return
            self._slots.release()  # declared while we waited for a slot: do not send it
        self._backlog.put(batch)
        self._ensure_drainer()

    async def _acquire_slot(self) -> bool:
        """Wait for a request slot (backpressure); False once the drain deadline has passed.

        One acquire is kept pending and polled (never cancelled and re-issued, which could
        lose a slot), so a drain that starts meanwhile is noticed."""
        if not self._slots.locked():
            await self._slots.acquire()
            return True
        acquire = asyncio.ensure_future(self._slots.acquire())
        try:
            while True:
                done, _ = await asyncio.wait({acquire}, timeout=0.25)
                if done:
                    return True
                deadline = self._drain_deadline
                if deadline is not None and self._loop_time() >= deadline:
                    acquire.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await acquire
                    return not acquire.cancelled()
        except asyncio.CancelledError:
            acquire.cancel()
            if acquire.done() and not acquire.cancelled():
                self._slots.release()
            raise

    def _chunks(self, docs: list[Document]) -> list[list[Document]]:
        self._largest_batch = max(self._largest_batch, len(docs))
        limit = self.request_limit
        if limit is not None and self._loop_time() - self._last_poison >= self.regrow_after_s:
            limit *= 2
            self._last_poison = self._loop_time()
            self.request_limit = None if limit >= self._largest_batch else limit
            log.warning("policy engine: trying requests of up to %s documents again", limit)
        if limit is None or len(docs) <= limit:
            return [docs]
        return [docs[i : i + limit] for i in range(0, len(docs), limit)]

    @staticmethod
    def _loop_time() -> float:
        return asyncio.get_running_loop().time()

    async def _finish(self) -> None:
        """End of stream: evaluate the backlog and wait for in-flight batches, within a deadline."""
        loop = asyncio.get_running_loop()
        self.start_draining()
        assert self._drain_deadline is not None
        deadline = self._drain_deadline
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
                "policy engine still unavailable after %.0fs of draining: %d events not "
                "evaluated (%d buffered, %d in flight)",
                self.drain_timeout_s,
                self._backlog.events + self.inflight_events,
                self._backlog.events,
                self.inflight_events,
            )
            tasks = self._abandon("opa_unavailable_at_exit")
            await asyncio.gather(*tasks, return_exceptions=True)

    def _abandon(self, reason: str) -> list[asyncio.Task[None]]:
        """Cancel the drainer and in-flight requests; count what they held as dropped."""
        tasks: list[asyncio.Task[None]] = list(self._inflight)
        if self._drainer is not None:
            self._drainer.cancel()
            tasks.append(self._drainer)
        for task in self._inflight:
            task.cancel()
        self.stats.drop(reason, self._backlog.events)
        self.stats.drop(f"{reason}_in_flight", self.inflight_events)
        self._inflight.clear()
        self._backlog.clear()
        return tasks

    # -- evaluation ---------------------------------------------------------------------------

    def _spawn(self, batch: Batch) -> None:
        task = asyncio.create_task(self._evaluate_guarded(batch))
        self._inflight[task] = len(batch.docs)
        task.add_done_callback(lambda done: self._inflight.pop(done, None))

    async def _evaluate_guarded(self, batch: Batch) -> None:
        task = asyncio.current_task()
        try:
            await self._evaluate(batch)
        except Exception:
            # A bug here must not take detection down silently or wedge the drain.
            lost = self._inflight.pop(task, 0) if task is not None else 0
            log.exception("policy stage: unexpected error; %d events lost", lost)
            self.stats.drop("internal_error", lost)

    async def _evaluate(self, batch: Batch) -> None:
        task = asyncio.current_task()
        try:
            try:
                evaluation = await self.client.evaluate(batch.docs)
            except PolicyEngineError as exc:
                # Unavailable, timed out, policies missing (a reload), refused token: all wait
                # for OPA to evaluate again; the internal alert carries the reason.
                self._inflight.pop(task, None)  # type: ignore[arg-type]
                batch.attempts += 1
                self._backlog.put(batch, front=True)
                await self._enter_outage(exc)
                self._ensure_drainer()
                return
        finally:
            self._slots.release()
        self._inflight.pop(task, None)  # type: ignore[arg-type]
        await self._deliver(batch.docs, evaluation)

    async def _deliver(self, docs: list[Document], evaluation: Evaluation) -> None:
        self.stats.emitted += len(docs) - len(evaluation.rejected)
        self.stats.drop("opa_rejected", len(evaluation.rejected))
        alerts = self._alerts.of_evaluation(docs, evaluation, self._loop_time())
        if alerts:
            await self._publish(alerts)

    # -- outage and recovery ------------------------------------------------------------------

    async def _enter_outage(self, error: BaseException) -> None:
        if self.outage:
            return
        self.outage = True
        self.outages += 1
        log.error("policy engine unavailable: %s", error)
        await self._publish([self._alerts.unavailable(error, self.outage_buffer)])

    async def _recover(self) -> None:
        self.outage = False
        self.recoveries += 1
        log.warning("policy engine recovered; %d buffered events", self._backlog.events)
        dropped = self.stats.dropped["opa_unavailable"]
        await self._publish([self._alerts.recovered(self._backlog.events, dropped)])

    def _ensure_drainer(self) -> None:
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain_backlog(), name="policy-backlog")

    async def _drain_backlog(self) -> None:
        delay = self.probe_initial_s
        while self._backlog:
            if self.outage:
                await asyncio.sleep(delay)
                if self._backlog and await self._probe():
                    delay = self.probe_initial_s
                else:
                    delay = min(delay * 2, self.probe_max_s)
                continue
            await self._slots.acquire()
            if self.outage or not self._backlog:  # an in-flight batch failed meanwhile
                self._slots.release()
                continue
            self._spawn(self._backlog.pop_head(self.request_limit))

    async def _probe(self) -> bool:
        """Re-send the head of the backlog; True when it was evaluated (recovery) or, being
        poison, split or dead-lettered (progress either way)."""
        batch = self._backlog.head(self.request_limit)
        await self._slots.acquire()
        try:
            evaluation = await self.client.evaluate(batch.docs, retry=False)
        except PolicyEngineError as exc:
            batch.attempts += 1
            log.debug("policy engine still unavailable: %s", exc)
            if batch.attempts >= self.max_attempts and await self.client.evaluates():
                self._poison(batch, exc)
                return True
            return False
        finally:
            self._slots.release()
        self._backlog.remove(batch)  # unless abandoned meanwhile
        await self._recover()
        await self._deliver(batch.docs, evaluation)
        return True

    def _poison(self, batch: Batch, error: BaseException) -> None:
        """OPA evaluates other requests but never this batch: halve it, or dead-letter it."""
        if batch not in self._backlog:
            return
        self._last_poison = self._loop_time()
        docs = batch.docs
        if len(docs) > 1:
            middle = self._backlog.split(batch)
            if self.request_limit is None or middle < self.request_limit:
                self.request_limit = middle
                log.warning(
                    "policy engine: a request of %d documents failed %d times while OPA "
                    "evaluates others; sending at most %d per request (%s)",
                    len(docs),
                    batch.attempts,
                    middle,
                    error,
                )
            return
        self._backlog.remove(batch)
        self.poisoned += len(docs)
        self.stats.drop("poison", len(docs))
        reason = (
            f"not evaluated after {batch.attempts} attempts while OPA evaluated others: {error}"
        )
        for doc in docs:
            self.client.dead_letter.write(Rejection(doc, reason, 0))
