"""The event pipeline: source -> deduplicate -> batch -> OPA -> alert sinks."""

from bpfopa.pipeline._batch import Batcher
from bpfopa.pipeline._channel import Channel, Lifecycle, QueuePolicy, StageFailedError, StageStats
from bpfopa.pipeline._containers import ContainerStage
from bpfopa.pipeline._dedup import Deduplicator, dedup_key
from bpfopa.pipeline._pipeline import (
    RULE_PIPELINE_DROP,
    RULE_SYSCALL_DROP,
    Pipeline,
    PipelineConfig,
)
from bpfopa.pipeline._policy_stage import (
    RULE_OPA_RECOVERED,
    RULE_OPA_UNAVAILABLE,
    RULE_RULE_FAULT,
    PolicyStage,
)
from bpfopa.pipeline._reload import RULE_POLICY_REFUSED, RULE_POLICY_RELOADED, PolicyReloader
from bpfopa.pipeline._source import PROCESS_STATE_SYSCALLS, EventSource, QueueSource, ReplaySource
from bpfopa.pipeline._stages import (
    BatchStage,
    DedupStage,
    SinkStage,
    SourceStage,
    Stage,
)

__all__ = [
    "PROCESS_STATE_SYSCALLS",
    "RULE_OPA_RECOVERED",
    "RULE_OPA_UNAVAILABLE",
    "RULE_PIPELINE_DROP",
    "RULE_POLICY_REFUSED",
    "RULE_POLICY_RELOADED",
    "RULE_RULE_FAULT",
    "RULE_SYSCALL_DROP",
    "BatchStage",
    "Batcher",
    "Channel",
    "ContainerStage",
    "DedupStage",
    "Deduplicator",
    "EventSource",
    "Lifecycle",
    "Pipeline",
    "PipelineConfig",
    "PolicyReloader",
    "PolicyStage",
    "QueuePolicy",
    "QueueSource",
    "ReplaySource",
    "SinkStage",
    "SourceStage",
    "Stage",
    "StageFailedError",
    "StageStats",
    "dedup_key",
]
