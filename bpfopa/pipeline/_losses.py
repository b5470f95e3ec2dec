"""Internal alerts for lost events: source losses and pipeline drops since the last check.

Apart from the pipeline's assembly: it is the one part of the run with state of its own (the
counts at the last check) and alert texts of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bpfopa.output import internal_alert
from bpfopa.pipeline._stages import Stage

__all__ = ["RULE_PIPELINE_DROP", "RULE_SYSCALL_DROP", "LossMonitor"]

Alert = dict[str, Any]

RULE_SYSCALL_DROP = "bpfopa internal: syscall event drop"
RULE_PIPELINE_DROP = "bpfopa internal: pipeline event drop"


def _is_loss_counter(name: str) -> bool:
    # Counts of events only: queue_dropped_batches counts the batches those events were in.
    return ("lost" in name or "drop" in name) and not name.endswith("_batches")


class LossMonitor:
    """Turns the growth of loss and drop counters into internal alerts."""

    def __init__(self, interval_s: float, threshold: float, hostname: str) -> None:
        """``threshold``: source losses per second above which "syscall event drop" is raised."""
        self._interval_s = interval_s
        self._threshold = threshold
        self._hostname = hostname
        self._last_source: dict[str, int] = {}
        self._last_stage_drops: dict[str, int] = {}

    def alerts(self, source_counters: Mapping[str, int], stages: Sequence[Stage]) -> list[Alert]:
        """The alerts for source losses and stage drops since the last call."""
        interval = self._interval_s
        counters = {k: v for k, v in source_counters.items() if _is_loss_counter(k)}
        deltas = {k: v - self._last_source.get(k, 0) for k, v in counters.items()}
        self._last_source = dict(counters)
        lost = sum(d for d in deltas.values() if d > 0)
        alerts: list[Alert] = []
        if lost > 0 and lost / interval > self._threshold:
            alerts.append(
                internal_alert(
                    RULE_SYSCALL_DROP,
                    "CRITICAL",
                    f"bpfopa internal: syscall event drop. {lost} system calls lost "
                    f"in the last {interval:g}s",
                    {"n_drops": lost, **{f"n_{k}": v for k, v in deltas.items() if v}},
                    self._hostname,
                )
            )
        stage_drops = {
            f"{stage.name}.{reason}": count
            for stage in stages
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
                    self._hostname,
                )
            )
        return alerts
