"""The run summary and the event books of a pipeline (also what Prometheus exports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bpfopa.output import sink_books

if TYPE_CHECKING:
    from bpfopa.pipeline._pipeline import Pipeline

__all__ = ["FILTERED_IN_KERNEL", "SOURCE_LOSS_COUNTERS", "event_books", "pipeline_snapshot"]

#: Source counters that are events lost before they became documents (``*_batches`` counters
#: count batches, not events, and stay out of every sum of events).
SOURCE_LOSS_COUNTERS = ("kernel_lost", "queue_dropped", "decode_errors")
#: The source counter of events the kernel filter skipped.
FILTERED_IN_KERNEL = "kernel_filtered"


def _projection_summary(pipeline: Pipeline) -> dict[str, Any]:
    projection = pipeline.client.projection
    if projection is None or projection.keeps_everything:
        reason = pipeline.projection_off_reason or "the policies read whole documents"
        return {"enabled": False, "reason": reason}
    return {"enabled": True, "paths": len(projection.paths())}


def _prefilter_summary(pipeline: Pipeline) -> dict[str, Any]:
    judged = pipeline.dedup_stage.stats.prefiltered
    if pipeline.dedup_stage.prefilter is None:
        return {"enabled": False, "reason": pipeline.prefilter_off_reason, "prefiltered": judged}
    return {"enabled": True, "prefiltered": judged}


def event_books(pipeline: Pipeline) -> dict[str, Any]:
    """The event books: ``observed == filtered_in_kernel + prefiltered + deduplicated +
    evaluated + sum(dropped) + pending`` (``pending``: still on its way, 0 after a run).

    ``observed`` counts what the source saw: the documents it produced, the events it
    lost before they became documents, and those the kernel filter skipped. The other
    side is counted independently by each stage.
    """
    source = pipeline.source.counters()
    filtered_in_kernel = int(source.get(FILTERED_IN_KERNEL, 0))
    dropped: dict[str, int] = {
        f"source.{key}": int(source[key]) for key in SOURCE_LOSS_COUNTERS if source.get(key)
    }
    for stage in pipeline.event_stages:
        for reason, count in stage.stats.dropped.items():
            dropped[f"{stage.name}.{reason}"] = count
    policy = pipeline.policy_stage
    pending = (
        sum(queue.weight for queue, _ in pipeline.event_queues)
        + (pipeline.container_stage.parked if pipeline.container_stage is not None else 0)
        + pipeline.dedup.pending
        + len(pipeline.batcher)
        + policy.backlog_events
        + policy.inflight_events
    )
    source_losses = sum(int(source.get(key, 0)) for key in SOURCE_LOSS_COUNTERS)
    observed = filtered_in_kernel + source_losses + pipeline.source_stage.stats.received
    terms = {
        "filtered_in_kernel": filtered_in_kernel,
        "prefiltered": pipeline.dedup_stage.stats.prefiltered,
        "deduplicated": pipeline.dedup.merged,
        "evaluated": policy.stats.emitted,
        "pending": pending,
    }
    accounted = sum(terms.values()) + sum(dropped.values())
    return {
        "observed": observed,
        **terms,
        "dropped": dropped,
        "balanced": observed == accounted,
    }


def pipeline_snapshot(pipeline: Pipeline) -> dict[str, Any]:
    """Counters of every stage, the source, dedup, OPA client and alerts, and the books."""
    return {
        "state": pipeline.state.value,
        "books": event_books(pipeline),
        "source": dict(pipeline.source.counters()),
        "stages": {stage.name: stage.stats.snapshot() for stage in pipeline.stages},
        "dedup": {
            "received": pipeline.dedup.received,
            "merged": pipeline.dedup.merged,
            "held": len(pipeline.dedup),
            "pending": pipeline.dedup.pending,
            "evicted_early": pipeline.dedup.evicted_early,
        },
        "batches": pipeline.batcher.batches,
        "batches_closed_idle": pipeline.batch_stage.early_batches,
        "opa": {
            "requests": pipeline.client.requests,
            "retries": pipeline.client.retries,
            "rejected": pipeline.client.rejected,
            "inflight": pipeline.client.inflight,
            "outage": pipeline.policy_stage.outage,
            "outages": pipeline.policy_stage.outages,
            "recoveries": pipeline.policy_stage.recoveries,
            "backlog_events": pipeline.policy_stage.backlog_events,
            "inflight_events": pipeline.policy_stage.inflight_events,
            "poisoned": pipeline.policy_stage.poisoned,
            "request_limit": pipeline.policy_stage.request_limit,
            "rule_faults": dict(pipeline.client.rule_faults),
            "malformed_verdicts": pipeline.client.malformed_verdicts,
            "projection": _projection_summary(pipeline),
        },
        "prefilter": _prefilter_summary(pipeline),
        "kernel_filter": pipeline.kernel_filter.summary(),
        "containers": pipeline.container_stage.snapshot() if pipeline.container_stage else None,
        "alerts": {
            "by_rule": {
                f"{rule}|{priority}": n
                for (rule, priority), n in pipeline.policy_stage.alerts_by_rule.items()
            },
            "total": sum(pipeline.policy_stage.alerts_by_rule.values()),
            "filtered": pipeline.policy_stage.filtered_alerts,
            "internal": dict(pipeline.internal_alerts),
        },
        "sinks": {sink.name: dict(sink.counters()) for sink in pipeline.sinks},
        "alert_books": {
            stage.sink.name: sink_books(
                stage.published,
                stage.stats.received,
                stage.stats.dropped,
                stage.sink.counters(),
            )
            for stage in pipeline.sink_stages
        },
    }
