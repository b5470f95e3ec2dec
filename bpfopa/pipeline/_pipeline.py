"""Assembling and running the pipeline: source -> dedup -> batch -> OPA -> alert sinks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpfopa.errors import BpfopaError, OpaUnavailableError, PolicyEngineError
from bpfopa.output import (
    DEFAULT_REGISTRY_FILE,
    AlertBuilder,
    AlertSink,
    FieldRegistry,
    internal_alert,
    priority_rank,
)
from bpfopa.pipeline._batch import Batcher
from bpfopa.pipeline._channel import Channel, Lifecycle, QueuePolicy
from bpfopa.pipeline._containers import ContainerStage
from bpfopa.pipeline._dedup import Deduplicator
from bpfopa.pipeline._kernel_filter import (
    KERNEL_FILTER_MODES,
    KernelFilterControl,
    KernelFilterMode,
)
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
from bpfopa.policy import OpaClient, load_prefilter
from bpfopa.policy._projection import ProjectionPlan, derive_plan
from bpfopa.runtime import ContainerMetadata

__all__ = ["RULE_PIPELINE_DROP", "RULE_SYSCALL_DROP", "Pipeline", "PipelineConfig"]

log = logging.getLogger(__name__)

Alert = dict[str, Any]

RULE_SYSCALL_DROP = "bpfopa internal: syscall event drop"
RULE_PIPELINE_DROP = "bpfopa internal: pipeline event drop"
STAGE_NAMES = ("containers", "dedup", "batch", "policy", "sink")
PROJECTION_MODES = ("auto", "off")
PREFILTER_MODES = ("auto", "off")


def _is_loss_counter(name: str) -> bool:
    # Counts of events only: queue_dropped_batches counts the batches those events were in.
    return ("lost" in name or "drop" in name) and not name.endswith("_batches")


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Knobs of the pipeline; sizes are in events (alerts for sinks)."""

    batch_size: int = 500
    batch_age_ms: float = 50.0
    inflight: int = 4
    dedup_window_ms: float = 100.0
    dedup_max_keys: int = 65_536
    queue_capacity: int = 50_000
    queue_policy: QueuePolicy = QueuePolicy.BLOCK
    #: Per stage inbox ("dedup", "batch", "policy", "sink"), overriding ``queue_policy``.
    queue_policies: Mapping[str, QueuePolicy] = field(default_factory=dict)
    block_timeout_s: float = 5.0
    outage_buffer: int = 100_000
    min_priority: str = "DEBUG"
    hostname: str = field(default_factory=socket.gethostname)
    sink_capacity: int = 10_000
    drain_timeout_s: float = 30.0
    #: Evaluations a batch may fail while OPA evaluates others before it is poison (split,
    #: then dead-lettered document by document).
    max_attempts: int = 3
    #: Source losses per second above which "syscall event drop" is raised.
    drop_alert_threshold: float = 0.0
    monitor_interval_s: float = 1.0
    select_syscalls: bool = True
    #: "auto": send OPA only the fields the policies in ``policy_dirs`` read (alerts still
    #: carry the full document); "off": full documents.
    opa_projection: str = "auto"
    #: The Rego files / directories OPA loaded, for the projection.
    policy_dirs: tuple[Path, ...] = ()
    #: "on": the probes drop opens no rule can flag (data.bpfopa.kernel_filter), counted.
    kernel_filter: KernelFilterMode = "on"
    #: "auto": documents no rule can flag (data.bpfopa.lib.events.by_syscall's prefilter, and
    #: syscalls no rule declares) are judged in Python and never sent; "off": all are sent.
    prefilter: str = "auto"
    #: How often the prefilter's constants are re-read from OPA (its policies may change).
    prefilter_refresh_s: float = 10.0
    #: "summary": alerts carry their output fields and a process summary; "full": also the
    #: evaluated document (environment values masked either way).
    alert_document: str = "summary"
    #: The field registry alerts' output_fields come from (policies/fields.json).
    field_registry: Path = DEFAULT_REGISTRY_FILE
    #: How long an event waits for its container's metadata from the runtime before it goes
    #: on without (``process.container.metadata: "late"``).
    container_wait_ms: float = 50.0
    #: The same for execs: a container's first exec comes while its engine is still starting
    #: it, and engines answer only once the start is done.
    container_exec_wait_ms: float = 500.0

    def __post_init__(self) -> None:
        if self.opa_projection not in PROJECTION_MODES:
            raise ValueError(
                f"opa_projection must be one of {PROJECTION_MODES}, not {self.opa_projection!r}"
            )
        if self.kernel_filter not in KERNEL_FILTER_MODES:
            raise ValueError(f"kernel_filter must be one of {KERNEL_FILTER_MODES}")
        if self.prefilter not in PREFILTER_MODES:
            raise ValueError(f"prefilter must be one of {PREFILTER_MODES}, not {self.prefilter!r}")
        if not self.prefilter_refresh_s > 0:
            raise ValueError("prefilter_refresh_s must be > 0")
        if not 0 <= self.container_wait_ms <= 10_000:
            raise ValueError("container_wait_ms must be between 0 and 10000")
        if not 0 <= self.container_exec_wait_ms <= 10_000:
            raise ValueError("container_exec_wait_ms must be between 0 and 10000")
        priority_rank(self.min_priority)  # raises ValueError on an unknown level
        unknown = set(self.queue_policies) - set(STAGE_NAMES)
        if unknown:
            raise ValueError(f"unknown stage(s) {sorted(unknown)}; stages: {STAGE_NAMES}")
        if min(self.batch_size, self.inflight, self.queue_capacity, self.max_attempts) < 1:
            raise ValueError("batch_size, inflight, queue_capacity and max_attempts must be >= 1")

    def policy_for(self, stage: str) -> QueuePolicy:
        return self.queue_policies.get(stage, self.queue_policy)


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
        #: Why documents go to OPA unprojected, when they do.
        self.projection_off_reason: str | None = "not started"
        #: Why every document goes to OPA, when it does.
        self.prefilter_off_reason: str | None = "not started"
        self._policy_plan: ProjectionPlan | None = None
        self.kernel_filter = KernelFilterControl(self.config.kernel_filter)
        self._policy_plan_error = "not derived"
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
        self._last_source: dict[str, int] = {}
        self._last_stage_drops: dict[str, int] = {}
        self._stop_requested = False
        self._swapping_policies = False

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
        await self._derive_policy_plan()
        await self._load_prefilter()
        await self._setup_projection()
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
        plan = self._policy_plan
        await self.kernel_filter.reload(
            self.client, self.source, None if plan is None else plan.unscoped_rules
        )

    async def before_policy_swap(self) -> None:
        """New rules may read what the current prefilter drops or the projection leaves out:
        send every document, whole, until :meth:`policies_changed` derives both again."""
        self._swapping_policies = True  # the periodic prefilter refresh must wait
        self.dedup_stage.prefilter = None
        self.prefilter_off_reason = "policies are being reloaded"
        if self.config.opa_projection != "off":
            await self.client.set_projection_plan(None)
            self.projection_off_reason = "policies are being reloaded"

    async def policies_changed(self, policy_dirs: Sequence[Path] | None = None) -> None:
        """OPA serves other policies now (``policy_dirs``: their files): derive the projection
        and the prefilter again, and capture the syscalls the new rules declare."""
        self._swapping_policies = True
        self._policy_plan_error = "not derived"
        await self._derive_policy_plan(policy_dirs)
        self._swapping_policies = False
        await self._load_prefilter()
        await self._setup_projection()
        if self.config.select_syscalls:
            wanted = await self.client.syscalls()
            if wanted is not None:
                self.selected_syscalls = frozenset(wanted) | self.extra_syscalls
                self.source.select_syscalls(self.selected_syscalls)
        # The kernel filter is computed from the policies too.
        await self.reload_kernel_filter()

    async def _derive_policy_plan(self, policy_dirs: Sequence[Path] | None = None) -> None:
        """What the local policy files read: the field projection's input, and the proof the
        prefilter needs that every rule sees documents only through lib/events.by_syscall."""
        self._policy_plan = self.client.projection_plan  # derived by the caller
        if self._policy_plan is not None:
            return
        dirs = tuple(policy_dirs) if policy_dirs is not None else self.config.policy_dirs
        if not dirs:
            self._policy_plan_error = "no local policy files"
            return
        try:
            self._policy_plan = await asyncio.to_thread(derive_plan, dirs)
        except (BpfopaError, OSError, ValueError, KeyError, TypeError) as exc:
            self._policy_plan_error = f"derivation failed: {exc}"

    def _prefilter_unsound(self) -> str | None:
        """Why the prefilter could drop a document some rule reads, or None."""
        plan = self._policy_plan
        if plan is None:
            return (
                "cannot check that every rule reads documents through lib/events.by_syscall "
                f"({self._policy_plan_error}; give the server's policy files with --policies)"
            )
        if plan.unscoped_rules:
            return "rule packages read documents outside lib/events.by_syscall: " + ", ".join(
                plan.unscoped_rules
            )
        return None

    async def _load_prefilter(self) -> None:
        """(Re-)read the prefilter's constants from OPA; never fatal: every document is sent."""
        stage = self.dedup_stage
        if self._swapping_policies:
            return
        if self.config.prefilter == "off":
            self.prefilter_off_reason = "--prefilter off"
            stage.prefilter = None
            return
        unsound = self._prefilter_unsound()
        if unsound is not None:
            if self.prefilter_off_reason != unsound:
                log.warning("policy prefilter off, sending every document to OPA: %s", unsound)
            self.prefilter_off_reason = unsound
            stage.prefilter = None
            return
        try:
            prefilter = await load_prefilter(self.client)
        except OpaUnavailableError as exc:
            # OPA is down (the policy stage buffers meanwhile): keep what we have, retry later.
            log.debug("policy prefilter not refreshed: %s", exc)
            if stage.prefilter is None:
                self.prefilter_off_reason = f"OPA unavailable: {exc}"
            return
        except PolicyEngineError as exc:
            if stage.prefilter is not None or self.prefilter_off_reason == "not started":
                log.warning("policy prefilter off, sending every document to OPA: %s", exc)
            stage.prefilter = None
            self.prefilter_off_reason = str(exc)
            return
        if stage.prefilter is None and self.prefilter_off_reason != "not started":
            log.warning("policy prefilter on again")
        stage.prefilter = prefilter
        self.prefilter_off_reason = None

    async def _refresh_prefilter(self) -> None:
        while True:
            await asyncio.sleep(self.config.prefilter_refresh_s)
            if self._swapping_policies:  # policies_changed() reloads both
                continue
            try:
                await self._load_prefilter()
                await self.reload_kernel_filter()
            except Exception:  # a bug here must not stop the refreshes silently
                log.exception("policy prefilter refresh failed")

    async def _setup_projection(self) -> None:
        """Apply the projection derived from the policy files (never fatal: full documents)."""
        cfg = self.config
        if cfg.opa_projection == "off":
            self.projection_off_reason = "--opa-projection off"
            await self.client.set_projection_plan(None)
            return
        if self.client.projection_plan is not None:  # derived by the caller
            self.projection_off_reason = None
            return
        plan = self._policy_plan
        if plan is None:
            self.projection_off_reason = self._policy_plan_error
            if cfg.policy_dirs:
                log.warning(
                    "field projection off, sending full documents: %s", self._policy_plan_error
                )
            else:
                log.warning(
                    "field projection off: the policy files of the OPA at %s are unknown "
                    "(give them with --policies DIR); sending full documents",
                    self.client.config.url,
                )
            return
        for site in plan.keep_sites:
            log.warning(
                "field projection: %s:%d uses %s whole (%s)",
                site.file,
                site.row,
                site.path or "the whole document",
                site.reason,
            )
        await self.client.set_projection_plan(plan)
        self.projection_off_reason = None

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
        interval = self.config.monitor_interval_s
        counters = {k: v for k, v in self.source.counters().items() if _is_loss_counter(k)}
        deltas = {k: v - self._last_source.get(k, 0) for k, v in counters.items()}
        self._last_source = dict(counters)
        lost = sum(d for d in deltas.values() if d > 0)
        alerts: list[Alert] = []
        if lost > 0 and lost / interval > self.config.drop_alert_threshold:
            alerts.append(
                internal_alert(
                    RULE_SYSCALL_DROP,
                    "CRITICAL",
                    f"bpfopa internal: syscall event drop. {lost} system calls lost "
                    f"in the last {interval:g}s",
                    {"n_drops": lost, **{f"n_{k}": v for k, v in deltas.items() if v}},
                    self.config.hostname,
                )
            )
        stage_drops = {
            f"{stage.name}.{reason}": count
            for stage in self.stages
            for reason, count in stage.stats.dropped.items()
        }
        drop_deltas = {
            k: v - self._last_stage_drops.get(k, 0)
            for k, v in stage_drops.items()
            if v - self._last_stage_drops.get(k, 0) > 0
        }
        self._last_stage_drops = stage_drops
        if drop_deltas:
            alerts.append(
                internal_alert(
                    RULE_PIPELINE_DROP,
                    "CRITICAL",
                    f"bpfopa internal: pipeline event drop. {sum(drop_deltas.values())} events "
                    "dropped in the pipeline",
                    {"n_drops": sum(drop_deltas.values()), **drop_deltas},
                    self.config.hostname,
                )
            )
        if alerts:
            await self.publish(alerts)

    def books(self) -> dict[str, Any]:
        """The event books (see :func:`bpfopa.pipeline._summary.event_books`)."""
        return event_books(self)

    def snapshot(self) -> dict[str, Any]:
        """Counters of every stage, the source, dedup, OPA client and alerts, and the books."""
        return pipeline_snapshot(self)
