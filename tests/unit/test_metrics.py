"""Metrics: own registry, scrape-time stage counters, /metrics /healthz /readyz over real HTTP."""

from __future__ import annotations

import aiohttp
import pytest
from prometheus_client import REGISTRY, generate_latest

from bpfopa.metrics import MetricsServer, PipelineMetrics, parse_listen_address
from bpfopa.pipeline import Pipeline, PipelineConfig, QueueSource
from bpfopa.policy import OpaClient, OpaClientConfig
from bpfopa.runtime import ContainerMetadata


def test_listen_address() -> None:
    assert parse_listen_address("0") is None
    assert parse_listen_address("9464") == ("127.0.0.1", 9464)
    assert parse_listen_address("127.0.0.1:9000") == ("127.0.0.1", 9000)
    assert parse_listen_address("[::1]:9000") == ("::1", 9000)
    with pytest.raises(ValueError):
        parse_listen_address("localhost:http")
    with pytest.raises(ValueError):
        parse_listen_address("70000")


def pipeline() -> Pipeline:
    client = OpaClient(OpaClientConfig(url="http://127.0.0.1:9"))
    return Pipeline(QueueSource(), client, [], PipelineConfig())


def test_counters_are_read_at_scrape_time_in_a_private_registry() -> None:
    metrics = PipelineMetrics()
    p = pipeline()
    metrics.bind(p)
    p.dedup_stage.stats.received = 10
    p.dedup_stage.stats.prefiltered = 6
    p.dedup.received, p.dedup.merged = 10, 4
    p.batch_stage.stats.drop("queue_full", 3)
    p.policy_stage.alerts_by_rule[("Rule A", "WARNING")] = 2
    metrics.observe_batch_size(42)
    metrics.observe_opa_latency(0.003)
    text = generate_latest(metrics.registry).decode()
    assert 'bpfopa_stage_events_received_total{stage="dedup"} 10.0' in text
    assert 'bpfopa_stage_events_dropped_total{reason="queue_full",stage="batch"} 3.0' in text
    assert "bpfopa_dedup_ratio 0.4" in text
    assert 'bpfopa_stage_events_prefiltered_total{stage="dedup"} 6.0' in text
    assert "bpfopa_prefilter_enabled 0.0" in text  # not started
    assert 'bpfopa_alerts_total{priority="WARNING",rule="Rule A"} 2.0' in text
    assert "bpfopa_batch_size_sum 42.0" in text
    assert 'bpfopa_opa_request_seconds_bucket{le="0.005"} 1.0' in text
    # The process-global registry is untouched.
    assert b"bpfopa_" not in generate_latest(REGISTRY)
    with pytest.raises(RuntimeError):
        metrics.bind(p)


def test_container_metadata_counters() -> None:
    metrics = PipelineMetrics()
    client = OpaClient(OpaClientConfig(url="http://127.0.0.1:9"))
    p = Pipeline(QueueSource(), client, [], PipelineConfig(), containers=ContainerMetadata([]))
    metrics.bind(p)
    assert p.container_stage is not None
    p.container_stage.late = 3
    p.container_stage.metadata.counters["complete"] = 5
    text = generate_latest(metrics.registry).decode()
    assert 'bpfopa_container_metadata_total{outcome="late"} 3.0' in text
    assert 'bpfopa_container_metadata_total{outcome="complete"} 5.0' in text
    # Without the runtime stage (replay), no such metric.
    plain = PipelineMetrics()
    plain.bind(pipeline())
    assert "bpfopa_container_metadata" not in generate_latest(plain.registry).decode()


async def test_http_endpoints() -> None:
    metrics = PipelineMetrics()
    metrics.bind(pipeline())
    metrics.set_process_table_size(17)
    ready = False
    server = MetricsServer(metrics, "127.0.0.1", 0, ready=lambda: ready)
    await server.start()
    try:
        base = f"http://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as resp:
                assert resp.status == 200
            async with http.get(f"{base}/readyz") as resp:
                assert resp.status == 503
            ready = True
            async with http.get(f"{base}/readyz") as resp:
                assert resp.status == 200
            async with http.get(f"{base}/metrics") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"].startswith("text/plain")
                assert "bpfopa_process_table_size 17.0" in await resp.text()
    finally:
        await server.aclose()
