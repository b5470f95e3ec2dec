"""The pipeline's knobs, validated when built.

Apart from the pipeline so that the CLI and the stages can name the settings (and their
allowed values) without the machinery that runs them.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bpfopa.output import DEFAULT_REGISTRY_FILE, priority_rank
from bpfopa.pipeline._channel import QueuePolicy
from bpfopa.pipeline._kernel_filter import KERNEL_FILTER_MODES, KernelFilterMode

__all__ = ["PREFILTER_MODES", "PROJECTION_MODES", "STAGE_NAMES", "PipelineConfig"]

STAGE_NAMES = ("containers", "dedup", "batch", "policy", "sink")
PROJECTION_MODES = ("auto", "off")
PREFILTER_MODES = ("auto", "off")


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
