"""Latency with the default knobs (dedup window 100 ms, batch age 50 ms) and a real OPA: an
isolated event is neither held by the deduplicator nor by the batcher (before, no alert could
arrive in under ~150 ms)."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from bpfopa.output import CallbackSink
from bpfopa.pipeline import Pipeline, PipelineConfig, QueueSource
from bpfopa.policy import ManagedOpa, OpaClient, OpaClientConfig
from tests.opa.test_pipeline import doc

ISOLATED = 20


async def test_isolated_alert_arrives_well_under_100ms(shadow_policy_dir: Path) -> None:
    arrived: dict[int, float] = {}
    alerted = asyncio.Event()

    def sink(alerts: Any) -> None:
        for alert in alerts:
            arrived[alert["input"]["event"]["params"]["seq"]] = time.perf_counter()
        alerted.set()

    source = QueueSource()
    config = PipelineConfig(alert_document="full")  # the defaults, documents in the alerts
    assert (config.dedup_window_ms, config.batch_age_ms) == (100.0, 50.0)
    async with ManagedOpa(include_bundled=False, extra_policies=[shadow_policy_dir]) as opa:
        client = OpaClient(OpaClientConfig(url=opa.url))
        async with client:
            pipeline = Pipeline(source, client, [CallbackSink(sink)], config)
            run = asyncio.create_task(pipeline.run())
            await source.put([doc("/tmp/warm-up", -1)])  # evaluated once the pipeline runs
            latencies = []
            for seq in range(ISOLATED):
                await asyncio.sleep(0.05)  # isolated: the pipeline is idle again
                alerted.clear()
                sent = time.perf_counter()
                await source.put([doc("/etc/shadow", seq)])
                await asyncio.wait_for(alerted.wait(), 5)
                latencies.append(arrived[seq] - sent)
            await source.stop()
            summary = await run
    p50 = statistics.median(latencies)
    p90 = statistics.quantiles(latencies, n=10)[-1]
    print(f"isolated alert latency: p50 {p50 * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms")
    assert p50 < 0.05 and p90 < 0.1
    assert summary["batches_closed_idle"] >= ISOLATED // 2
