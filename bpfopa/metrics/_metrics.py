"""Prometheus metrics of a running pipeline, in a registry of their own (never the global one).

Counters that the stages already keep are read at scrape time by a custom collector, so the hot
path pays nothing for them; only the histograms (batch sizes, OPA latency) are observed live.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from bpfopa.pipeline import Pipeline

__all__ = ["PipelineMetrics"]

BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _PipelineCollector(Collector):
    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline

    def collect(self) -> Iterator[Metric]:
        snap: dict[str, Any] = self._pipeline.snapshot()
        received = CounterMetricFamily(
            "bpfopa_stage_events_received", "Events a stage received", labels=["stage"]
        )
        emitted = CounterMetricFamily(
            "bpfopa_stage_events_emitted", "Events a stage passed on", labels=["stage"]
        )
        dropped = CounterMetricFamily(
            "bpfopa_stage_events_dropped", "Events a stage dropped", labels=["stage", "reason"]
        )
        prefiltered = CounterMetricFamily(
            "bpfopa_stage_events_prefiltered",
            "Events the policy prefilter judged without OPA (no rule can flag them)",
            labels=["stage"],
        )
        for name, stats in snap["stages"].items():
            received.add_metric([name], stats["received"])
            emitted.add_metric([name], stats["emitted"])
            for reason, count in stats["dropped"].items():
                dropped.add_metric([name, reason], count)
            if stats.get("prefiltered"):
                prefiltered.add_metric([name], stats["prefiltered"])
        yield from (received, emitted, dropped, prefiltered)
        enabled = GaugeMetricFamily(
            "bpfopa_prefilter_enabled", "1 while the policy prefilter judges documents locally"
        )
        enabled.add_metric([], 1.0 if snap["prefilter"]["enabled"] else 0.0)
        yield enabled

        source = CounterMetricFamily(
            "bpfopa_source_counter",
            "Counters of the event source (kernel_lost, decode_errors, ...)",
            labels=["counter"],
        )
        lost = CounterMetricFamily("bpfopa_kernel_lost_samples", "Samples the kernel buffer lost")
        filtered = CounterMetricFamily(
            "bpfopa_kernel_filtered_records",
            "Records the kernel filter skipped (no rule can flag them), by syscall",
            labels=["syscall"],
        )
        kernel_lost = 0
        for key, value in snap["source"].items():
            if key == "process_table_size":
                continue
            if key.startswith("kernel_filtered."):
                filtered.add_metric([key.removeprefix("kernel_filtered.")], value)
                continue
            source.add_metric([key], value)
            if key == "kernel_lost":
                kernel_lost = value
        lost.add_metric([], kernel_lost)
        yield from (source, lost, filtered)
        if "kernel_filter" in snap:
            kernel_filter = GaugeMetricFamily(
                "bpfopa_kernel_filter_enabled", "1 while the probes filter records in the kernel"
            )
            kernel_filter.add_metric([], 1.0 if snap["kernel_filter"]["enabled"] else 0.0)
            yield kernel_filter

        containers = snap.get("containers")
        if containers:
            metadata = CounterMetricFamily(
                "bpfopa_container_metadata",
                "Container metadata lookups by outcome, and events that went on without it (late)",
                labels=["outcome"],
            )
            for key in ("lookups", "complete", "not_found", "errors", "late"):
                metadata.add_metric([key], containers.get(key, 0))
            yield metadata

        dedup = snap["dedup"]
        ratio = GaugeMetricFamily(
            "bpfopa_dedup_ratio", "Share of events merged into an earlier identical one"
        )
        ratio.add_metric([], dedup["merged"] / dedup["received"] if dedup["received"] else 0.0)
        merged = CounterMetricFamily("bpfopa_dedup_merged", "Events merged by deduplication")
        merged.add_metric([], dedup["merged"])
        yield from (ratio, merged)

        opa = snap["opa"]
        inflight = GaugeMetricFamily("bpfopa_opa_inflight_requests", "OPA requests in flight")
        inflight.add_metric([], opa["inflight"])
        requests = CounterMetricFamily("bpfopa_opa_requests", "OPA requests sent")
        requests.add_metric([], opa["requests"])
        retries = CounterMetricFamily("bpfopa_opa_retries", "OPA requests retried")
        retries.add_metric([], opa["retries"])
        rejected = CounterMetricFamily(
            "bpfopa_opa_rejected_documents", "Documents OPA rejected (dead-lettered)"
        )
        rejected.add_metric([], opa["rejected"])
        outages = CounterMetricFamily("bpfopa_opa_outages", "Times OPA became unavailable")
        outages.add_metric([], opa["outages"])
        backlog = GaugeMetricFamily(
            "bpfopa_opa_backlog_events", "Events waiting for OPA to come back"
        )
        backlog.add_metric([], opa["backlog_events"])
        yield from (inflight, requests, retries, rejected, outages, backlog)
        yield from _reliability_metrics(snap)

        alerts = CounterMetricFamily(
            "bpfopa_alerts", "Alerts raised by rule and priority", labels=["rule", "priority"]
        )
        for key, count in snap["alerts"]["by_rule"].items():
            rule, _, priority = key.rpartition("|")
            alerts.add_metric([rule, priority], count)
        internal = CounterMetricFamily(
            "bpfopa_internal_alerts", "Internal alerts by rule", labels=["rule"]
        )
        for rule, count in snap["alerts"]["internal"].items():
            internal.add_metric([rule], count)
        yield from (alerts, internal)
        yield from _alert_books(snap["alert_books"])


def _alert_books(books: dict[str, Any]) -> Iterator[Metric]:
    """Per sink: alerts produced = delivered + dropped (by reason) + pending."""
    produced = CounterMetricFamily(
        "bpfopa_sink_alerts_produced", "Alerts handed to a sink", labels=["sink"]
    )
    delivered = CounterMetricFamily(
        "bpfopa_sink_alerts_delivered", "Alerts a sink delivered", labels=["sink"]
    )
    dropped = CounterMetricFamily(
        "bpfopa_sink_alerts_dropped",
        "Alerts a sink dropped or dead-lettered, by reason (queue_full, spool_full, rejected, ...)",
        labels=["sink", "reason"],
    )
    pending = GaugeMetricFamily(
        "bpfopa_sink_alerts_pending", "Alerts queued or spooled for a sink", labels=["sink"]
    )
    for sink, book in books.items():
        produced.add_metric([sink], book["produced"])
        delivered.add_metric([sink], book["delivered"])
        for reason, count in book["dropped"].items():
            dropped.add_metric([sink, reason], count)
        pending.add_metric([sink], book["pending"])
    yield from (produced, delivered, dropped, pending)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc)
    family.add_metric([], value)
    return family


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc)
    family.add_metric([], value)
    return family


def _reliability_metrics(snap: dict[str, Any]) -> Iterator[Metric]:
    """The event books (observed = filtered in kernel + prefiltered + deduplicated + evaluated
    + dropped + pending) and the policy engine's fault counters."""
    books = snap["books"]
    yield _counter("bpfopa_events_observed", "Events the source saw", books["observed"])
    yield _counter(
        "bpfopa_events_filtered_in_kernel",
        "Events the kernel filter skipped (no rule can flag them)",
        books["filtered_in_kernel"],
    )
    yield _counter("bpfopa_events_prefiltered", "Events judged without OPA", books["prefiltered"])
    yield _counter(
        "bpfopa_events_deduplicated",
        "Events merged into another evaluated document's repeat count",
        books["deduplicated"],
    )
    yield _counter("bpfopa_events_evaluated", "Events OPA evaluated", books["evaluated"])
    dropped = CounterMetricFamily(
        "bpfopa_events_dropped", "Events lost, by where and why", labels=["where", "reason"]
    )
    for key, count in books["dropped"].items():
        where, _, reason = key.partition(".")
        dropped.add_metric([where, reason], count)
    yield dropped
    yield _gauge("bpfopa_events_pending", "Events on their way through", books["pending"])
    yield _gauge(
        "bpfopa_events_books_balanced", "1 while the event books balance", books["balanced"]
    )
    opa = snap["opa"]
    yield _gauge("bpfopa_opa_outage", "1 while OPA is declared unavailable", opa["outage"])
    yield _counter("bpfopa_opa_recoveries", "Outages ended by a real evaluation", opa["recoveries"])
    yield _counter(
        "bpfopa_opa_poisoned_documents",
        "Documents dead-lettered after max attempts while OPA evaluated others",
        opa["poisoned"],
    )
    yield _gauge(
        "bpfopa_opa_inflight_events", "Events in requests in flight", opa["inflight_events"]
    )
    yield _gauge(
        "bpfopa_opa_request_limit",
        "Documents per request after poison splits (0: whole batches)",
        opa["request_limit"] or 0,
    )
    faults = CounterMetricFamily(
        "bpfopa_rule_evaluation_errors",
        "Documents a rule could not evaluate (every other rule did)",
        labels=["rule"],
    )
    for rule, count in opa["rule_faults"].items():
        faults.add_metric([rule], count)
    yield faults


class PipelineMetrics:
    """The metrics; pass :meth:`observe_batch_size` / :meth:`observe_opa_latency` as hooks."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.batch_size = Histogram(
            "bpfopa_batch_size",
            "Documents per OPA batch",
            buckets=BATCH_SIZE_BUCKETS,
            registry=self.registry,
        )
        self.opa_latency = Histogram(
            "bpfopa_opa_request_seconds",
            "OPA request latency",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.process_table_size = Gauge(
            "bpfopa_process_table_size", "Processes in the process table", registry=self.registry
        )
        self._pipeline: Pipeline | None = None

    def observe_batch_size(self, size: int) -> None:
        self.batch_size.observe(size)

    def observe_opa_latency(self, seconds: float) -> None:
        self.opa_latency.observe(seconds)

    def set_process_table_size(self, size: int) -> None:
        """The callback a source calls when its process table changes size."""
        self.process_table_size.set(size)

    def bind(self, pipeline: Pipeline) -> None:
        """Expose ``pipeline``'s counters (once)."""
        if self._pipeline is not None:
            raise RuntimeError("PipelineMetrics is already bound to a pipeline")
        self._pipeline = pipeline
        self.registry.register(_PipelineCollector(pipeline))

    def refresh(self) -> None:
        """Pull gauges the source reports in its counters (before a scrape)."""
        if self._pipeline is not None:
            size = self._pipeline.source.counters().get("process_table_size")
            if size is not None:
                self.process_table_size.set(size)
