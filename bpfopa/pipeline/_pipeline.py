"""Assembling and running the pipeline: source -> dedup -> batch -> OPA -> alert sinks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from bpfopa.output import AlertBuilder, AlertSink, FieldRegistry
from bpfopa.pipeline._batch import Batcher
from bpfopa.pipeline._channel import Channel, Lifecycle
from bpfopa.pipeline._config import PREFILTER_MODES, PROJECTION_MODES, PipelineConfig
from bpfopa.pipeline._containers import ContainerStage
from bpfopa.pipeline._dedup import Deduplicator
from bpfopa.pipeline._kernel_filter import KernelFilterControl
from bpfopa.pipeline._losses import RULE_PIPELINE_DROP, RULE_SYSCALL_DROP, LossMonitor
from bpfopa.pipeline._policy_derived import PolicyDerived
from bpfopa.pipeline._policy_stage import PolicyStage
from bpfopa.pipeline._source import PROCESS_STATE_SYSCALLS, EventSource
from bpfopa.pipeline._stages import (
    BatchStage,
    DedupStage,
    SinkStage,
    SourceStage,
    Stage,
)
from bpfopa.pipeline._summary import event_books, pipeline_snapshot
from bpfopa.policy import OpaClient
from bpfopa.runtime import ContainerMetadata

# The config and the loss alerts live in _config and _losses; their names stay importable here.
__all__ = [
    "PREFILTER_MODES",
    "PROJECTION_MODES",
    "RULE_PIPELINE_DROP",
    "RULE_SYSCALL_DROP",
    "Pipeline",
    "PipelineConfig",
]

log = logging.getLogger(__name__)

Alert = dict[str, Any]


class Pipeline:
    """Runs until the source ends (EOF, or :meth:`stop`), then drains and delivers every alert."""

    def __init__(
        self,
        source: EventSource,
        client: OpaClient,
        sinks: Sequence[AlertSink],
        config: PipelineConfig | None = None,
        *,
        extra_syscalls: Collection[str] = PROCESS_STATE_SYSCALLS,
        on_batch: Callable[[int], None] | None = None,
        on_source_started: Callable[[], None] | None = None,
        containers: ContainerMetadata | None = None,
    ) -> None:
        """``containers``: the runtime's metadata (live capture), filled into every event's
        ``process.container`` by a stage before the prefilter; None leaves documents as is."""
        self.source = source
        self._on_source_started = on_source_started
        self.client = client
        self.sinks = list(sinks)
        self.config = config or PipelineConfig()
        self.extra_syscalls = frozenset(extra_syscalls)
        self.state = Lifecycle.NEW
        self.ready = False
        self.selected_syscalls: frozenset[str] | None = None
        self.kernel_filter = KernelFilterControl(self.config.kernel_filter)
        self.internal_alerts: Counter[str] = Counter()
        cfg = self.config
        self.dedup = Deduplicator(cfg.dedup_window_ms / 1000, cfg.dedup_max_keys)
        self.batcher = Batcher(cfg.batch_size, cfg.batch_age_ms / 1000)

        def channel(name: str) -> Channel[Any]:
            return Channel(name, cfg.queue_capacity, cfg.policy_for(name), cfg.block_timeout_s)

        to_dedup, to_batch, to_policy = channel("dedup"), channel("batch"), channel("policy")
        self.sink_stages = [
            SinkStage(
                sink,
                Channel(
                    f"sink:{sink.name}",
                    cfg.sink_capacity,
                    cfg.policy_for("sink"),
                    cfg.block_timeout_s,
                ),
            )
            for sink in self.sinks
        ]
        self.container_stage: ContainerStage | None = None
        if containers is not None:
            to_containers = channel("containers")
            self.container_stage = ContainerStage(
                containers,
                to_containers,
                to_dedup,
                wait_s=cfg.container_wait_ms / 1000,
                exec_wait_s=cfg.container_exec_wait_ms / 1000,
            )
            self.source_stage = SourceStage(source, to_containers)
        else:
            self.source_stage = SourceStage(source, to_dedup)
        self.dedup_stage = DedupStage(self.dedup, to_dedup, to_batch)
        #: The projection and the prefilter of the policies OPA serves.
        self.policy_derived = PolicyDerived(client, cfg, self.dedup_stage)
        self.batch_stage = BatchStage(
            self.batcher, to_batch, to_policy, on_batch, idle=lambda: self.policy_stage.idle
        )
        self.policy_stage = PolicyStage(
            client,
            to_policy,
            self.publish,
            hostname=cfg.hostname,
            max_inflight=cfg.inflight,
            outage_buffer=cfg.outage_buffer,
            min_priority=cfg.min_priority,
            drain_timeout_s=cfg.drain_timeout_s,
            alert_builder=AlertBuilder(
                FieldRegistry.load(cfg.field_registry), cfg.hostname, cfg.alert_document
            ),
            max_attempts=cfg.max_attempts,
        )
        #: Each queue between event stages with the stage that consumes it (for the books).
        self.event_queues: list[tuple[Channel[Any], Stage]] = [
            (to_dedup, self.dedup_stage),
            (to_batch, self.batch_stage),
            (to_policy, self.policy_stage),
        ]
        if self.container_stage is not None:
            assert self.container_stage.inbox is not None
            self.event_queues.insert(0, (self.container_stage.inbox, self.container_stage))
        self._monitor: asyncio.Task[None] | None = None
        self._prefilter_refresher: asyncio.Task[None] | None = None
        self._losses = LossMonitor(cfg.monitor_interval_s, cfg.drop_alert_threshold, cfg.hostname)
        self._stop_requested = False

    @property
    def event_stages(self) -> list[Stage]:
        """The stages events flow through, up to OPA (the sinks carry alerts)."""
        stages: list[Stage] = [self.source_stage]
        if self.container_stage is not None:
            stages.append(self.container_stage)
        return [*stages, self.dedup_stage, self.batch_stage, self.policy_stage]

    @property
    def stages(self) -> list[Stage]:
        return [*self.event_stages, *self.sink_stages]

    async def publish(self, alerts: list[Alert]) -> None:
        """Fan a batch of alerts out to every sink (each under its own full-queue policy)."""
        for alert in alerts:
            if alert.get("source") == "internal":
                self.internal_alerts[str(alert.get("rule"))] += 1
        for stage in self.sink_stages:
            await stage.publish(alerts)

    async def stop(self) -> None:
        """Graceful stop: the source stops, every stage drains, every alert is delivered."""
        if self.state is Lifecycle.NEW:
            self._stop_requested = True
        elif self.state is Lifecycle.RUNNING:
            self.state = Lifecycle.DRAINING
            self.policy_stage.start_draining()
            await self.source.stop()

    async def run(self) -> dict[str, Any]:
        """Run to the end of the source; returns :meth:`snapshot`. Raises if a stage crashed."""
        if self.state is not Lifecycle.NEW:
            raise RuntimeError(f"Pipeline.run() in state {self.state.value}")
        self.state = Lifecycle.RUNNING
        try:
            await self._prepare()
            for sink in self.sinks:
                await sink.open()
            for stage in reversed(self.stages):
                await stage.start()
            self.ready = True
            if self._stop_requested:
                await self.stop()
            self._monitor = asyncio.create_task(self._monitor_losses(), name="loss-monitor")
            if self.config.prefilter == "auto":
                self._prefilter_refresher = asyncio.create_task(
                    self._refresh_prefilter(), name="prefilter-refresh"
                )
            # gather raises as soon as one stage fails; the rest are then aborted below.
            await asyncio.gather(*(stage.wait() for stage in self.event_stages))
            await self._stop_monitor()
            await self._check_losses()
            for stage in self.sink_stages:
                assert stage.inbox is not None
                stage.inbox.close()
            for stage in self.sink_stages:
                await stage.wait()
        except BaseException:
            self.state = Lifecycle.FAILED
            await self._stop_monitor()
            await self._abort()
            raise
        finally:
            self.ready = False
            for sink in self.sinks:
                with contextlib.suppress(Exception):
                    await sink.aclose()
        self.state = Lifecycle.STOPPED
        return self.snapshot()

    @property
    def finished(self) -> bool:
        return self.state in (Lifecycle.STOPPED, Lifecycle.FAILED)

    async def _prepare(self) -> None:
        await self.client.check_policies()
        await self.policy_derived.derive()
        await self.policy_derived.load_prefilter()
        await self.policy_derived.setup_projection()
        wanted = await self.client.syscalls() if self.config.select_syscalls else None
        # A live source can only reconfigure its probes once they are loaded: start first.
        await self.source.start()
        if self.config.select_syscalls:
            if wanted is None:
                log.warning("data.bpfopa.main.syscalls is undefined: capturing every syscall")
            else:
                self.selected_syscalls = frozenset(wanted) | self.extra_syscalls
                self.source.select_syscalls(self.selected_syscalls)
        await self.reload_kernel_filter()
        if self._on_source_started is not None:
            self._on_source_started()

    async def reload_kernel_filter(self) -> None:
        """Load the policies' kernel filter into the probes if it changed (call after the
        policies changed); without the proof that every rule reads through by_syscall, every
        open syscall stays unfiltered."""
        plan = self.policy_derived.plan
        await self.kernel_filter.reload(
            self.client, self.source, None if plan is None else plan.unscoped_rules
        )

    async def before_policy_swap(self) -> None:
        """New rules may read what the current prefilter drops or the projection leaves out:
        send every document, whole, until :meth:`policies_changed` derives both again."""
        await self.policy_derived.before_swap()

    async def policies_changed(self, policy_dirs: Sequence[Path] | None = None) -> None:
        """OPA serves other policies now (``policy_dirs``: their files): derive the projection
        and the prefilter again, and capture the syscalls the new rules declare."""
        await self.policy_derived.rederive(policy_dirs)
        if self.config.select_syscalls:
            wanted = await self.client.syscalls()
            if wanted is not None:
                self.selected_syscalls = frozenset(wanted) | self.extra_syscalls
                self.source.select_syscalls(self.selected_syscalls)
        # The kernel filter is computed from the policies too.
        await self.reload_kernel_filter()

    async def _refresh_prefilter(self) -> None:
        while True:
            await asyncio.sleep(self.config.prefilter_refresh_s)
            if self.policy_derived.swapping:  # policies_changed() reloads both
                continue
            try:
                await self.policy_derived.load_prefilter()
                await self.reload_kernel_filter()
            except Exception:  # a bug here must not stop the refreshes silently
                log.exception("policy prefilter refresh failed")

    @property
    def projection_off_reason(self) -> str | None:
        """Why documents go to OPA unprojected, when they do."""
        return self.policy_derived.projection_off_reason

    @property
    def prefilter_off_reason(self) -> str | None:
        """Why every document goes to OPA, when it does."""
        return self.policy_derived.prefilter_off_reason

    async def _abort(self) -> None:
        """Cancellation or a crash: stop the source, let each stage drain without waiting."""
        with contextlib.suppress(Exception):
            await self.source.stop()
        for stage in self.event_stages:
            await stage.aclose()
        # Events still queued between stages are lost with the run: counted, never vanished.
        for queue, consumer in self.event_queues:
            consumer.stats.drop("aborted_queued", queue.weight)
            queue.clear()
        # Alerts already handed to sinks are still written (bounded by the sinks' buffers).
        for stage in self.sink_stages:
            assert stage.inbox is not None
            stage.inbox.close()
        for stage in self.sink_stages:
            try:
                await asyncio.wait_for(stage.wait(), self.config.block_timeout_s)
            except (TimeoutError, Exception):
                await stage.aclose()

    async def _stop_monitor(self) -> None:
        for task in (self._monitor, self._prefilter_refresher):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._monitor = self._prefilter_refresher = None

    async def _monitor_losses(self) -> None:
        while True:
            await asyncio.sleep(self.config.monitor_interval_s)
            await self._check_losses()

    async def _check_losses(self) -> None:
        """Raise internal alerts for source losses and pipeline drops since the last check."""
        alerts = self._losses.alerts(self.source.counters(), self.stages)
        if alerts:
            await self.publish(alerts)

    def books(self) -> dict[str, Any]:
        """The event books (see :func:`bpfopa.pipeline._summary.event_books`)."""
        return event_books(self)

    def snapshot(self) -> dict[str, Any]:
        """Counters of every stage, the source, dedup, OPA client and alerts, and the books."""
        return pipeline_snapshot(self)
