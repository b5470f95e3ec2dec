"""Fault scenarios against a real OPA (stopped, or behind tests/opa/fault_proxy.py): what
bpfopa declares, when, and that the event books balance afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from bpfopa.output import CallbackSink
from bpfopa.pipeline import (
    RULE_OPA_RECOVERED,
    RULE_OPA_UNAVAILABLE,
    Pipeline,
    PipelineConfig,
    QueueSource,
)
from bpfopa.policy import DeadLetterFile, ManagedOpa, OpaClient, OpaClientConfig
from tests.opa.fault_proxy import FaultProxy
from tests.opa.test_pipeline import Collected, assert_books, doc, feed


@pytest.fixture
async def opa(shadow_policy_dir: Path) -> AsyncIterator[ManagedOpa]:
    async with ManagedOpa(include_bundled=False, extra_policies=[shadow_policy_dir]) as server:
        yield server


@pytest.fixture
async def proxy(opa: ManagedOpa) -> AsyncIterator[FaultProxy]:
    fault = FaultProxy(opa.url)
    await fault.start()
    try:
        yield fault
    finally:
        await fault.aclose()


def client_for(url: str, dead: Path | None = None, timeout_s: float = 1.0) -> OpaClient:
    config = OpaClientConfig(
        url=url, timeout_s=timeout_s, retry_attempts=2, retry_initial_s=0.01, retry_max_s=0.02
    )
    return OpaClient(config, dead_letter=DeadLetterFile(dead))


def pipeline_for(source: QueueSource, client: OpaClient, got: Collected, **config: Any) -> Pipeline:
    settings: dict[str, Any] = {
        "batch_size": 20,
        "batch_age_ms": 5,
        "dedup_window_ms": 0,
        "alert_document": "full",
    }
    pipeline = Pipeline(source, client, [CallbackSink(got)], PipelineConfig(**(settings | config)))
    pipeline.policy_stage.probe_initial_s = 0.05
    pipeline.policy_stage.probe_max_s = 0.2
    return pipeline


async def wait_for(predicate: Any, within: float = 20.0) -> float:
    """Seconds until ``predicate()`` held; fails after ``within`` seconds."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < within, "condition not reached"
        await asyncio.sleep(0.005)
    return time.monotonic() - started


def shadow(start: int, stop: int) -> list[dict[str, Any]]:
    return [doc("/etc/shadow", i) for i in range(start, stop)]


async def test_stopped_opa_is_an_outage_at_the_first_timeout(opa: ManagedOpa) -> None:
    """SIGSTOP: the outage is declared one request timeout after the event, not after every
    retry; recovery only once a real evaluation succeeds after SIGCONT."""
    source, got = QueueSource(), Collected()
    async with client_for(opa.url, timeout_s=1.0) as client:
        pipeline = pipeline_for(source, client, got)
        run = asyncio.create_task(pipeline.run())
        await wait_for(lambda: pipeline.ready)
        await feed(source, shadow(0, 20))
        await wait_for(lambda: len(got.alerts) == 20)
        assert opa.pid is not None
        os.kill(opa.pid, signal.SIGSTOP)
        try:
            await source.put(shadow(20, 40))
            declared = await wait_for(lambda: RULE_OPA_UNAVAILABLE in got.rules())
            await feed(source, shadow(40, 100), chunk=20)
            await asyncio.sleep(1.5)  # stopped for a while: probes time out, nothing recovers
            assert RULE_OPA_RECOVERED not in got.rules()
        finally:
            os.kill(opa.pid, signal.SIGCONT)
        await wait_for(lambda: RULE_OPA_RECOVERED in got.rules())
        await source.stop()
        summary = await run
    print(f"hung OPA: outage declared {declared:.2f}s after the event (timeout 1 s)")
    assert declared < 1.9
    assert got.seqs("Test shadow") == list(range(100))
    assert summary["opa"]["outages"] == 1 and summary["opa"]["recoveries"] == 1
    assert_books(summary, observed=100, evaluated=100, dropped={})


@pytest.mark.parametrize("mode", ["error", "garbage"])
async def test_opa_answering_500_or_garbage(proxy: FaultProxy, mode: str) -> None:
    """Every request fails (the empty evaluation too): an outage, never poison; the backlog
    is evaluated once OPA answers again."""
    source, got = QueueSource(), Collected()
    async with client_for(proxy.url) as client:
        pipeline = pipeline_for(source, client, got)
        run = asyncio.create_task(pipeline.run())
        await wait_for(lambda: pipeline.ready)
        proxy.set_mode(mode)
        await feed(source, shadow(0, 100), chunk=20)
        await wait_for(lambda: RULE_OPA_UNAVAILABLE in got.rules())
        await feed(source, shadow(100, 200), chunk=20)
        await asyncio.sleep(1.0)
        assert RULE_OPA_RECOVERED not in got.rules()
        proxy.set_mode("pass")
        await wait_for(lambda: RULE_OPA_RECOVERED in got.rules())
        await source.stop()
        summary = await run
    assert got.seqs("Test shadow") == list(range(200))
    assert summary["opa"]["outages"] == 1 and summary["opa"]["poisoned"] == 0
    assert_books(summary, observed=200, evaluated=200, dropped={})


async def test_large_requests_failing_do_not_flap(proxy: FaultProxy) -> None:
    """/health and small requests answer, large ones fail: one outage, requests capped at a
    size that works, every event evaluated (before: 193 outage/recovery pairs in 40 s)."""
    source, got = QueueSource(), Collected()
    proxy.max_body = len(orjson.dumps({"input": {"events": shadow(0, 30)}}))
    async with client_for(proxy.url) as client:
        pipeline = pipeline_for(source, client, got, batch_size=100, batch_age_ms=20)
        run = asyncio.create_task(pipeline.run())
        await wait_for(lambda: pipeline.ready)
        proxy.set_mode("large_fails")
        for start in range(0, 1000, 100):
            await source.put(shadow(start, start + 100))
            await asyncio.sleep(0.05)
        await wait_for(lambda: len(got.seqs("Test shadow")) == 1000, within=60)
        await source.stop()
        summary = await run
    opa = summary["opa"]
    print(
        f"large requests failing: {opa['outages']} outage(s), request limit {opa['request_limit']}"
    )
    assert got.seqs("Test shadow") == list(range(1000))
    assert opa["outages"] == 1 and opa["recoveries"] == 1
    assert opa["request_limit"] is not None and opa["request_limit"] <= 30
    assert_books(summary, observed=1000, evaluated=1000, dropped={})


async def test_poison_batch_is_dead_lettered_and_stops_blocking(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    """A document whose request always gets a 500 (not an evaluation error) while OPA
    evaluates everything else: split out after max_attempts, dead-lettered, counted."""
    source, got, dead = QueueSource(), Collected(), tmp_path / "dead.jsonl"
    docs = shadow(0, 200)
    docs[77] = doc("/poison-5xx", 77)
    async with client_for(proxy.url, dead) as client:
        pipeline = pipeline_for(source, client, got, max_attempts=2)
        run = asyncio.create_task(pipeline.run())
        await wait_for(lambda: pipeline.ready)
        proxy.set_mode("poison")
        await feed(source, docs, chunk=20)
        await wait_for(lambda: len(got.seqs("Test shadow")) == 199, within=60)
        await source.stop()
        summary = await run
    assert got.seqs("Test shadow") == [i for i in range(200) if i != 77]
    records = [orjson.loads(line) for line in dead.read_bytes().splitlines()]
    assert [r["document"]["event"]["params"]["seq"] for r in records] == [77]
    assert "after 2 attempts" in records[0]["reason"]
    assert summary["opa"]["poisoned"] == 1
    assert_books(summary, observed=200, evaluated=199, dropped={"policy.poison": 1})


async def test_slow_opa_within_the_timeout_is_no_outage(proxy: FaultProxy) -> None:
    source, got = QueueSource(), Collected()
    proxy.delay_s = 0.3
    async with client_for(proxy.url, timeout_s=2.0) as client:
        pipeline = pipeline_for(source, client, got)
        run = asyncio.create_task(pipeline.run())
        await wait_for(lambda: pipeline.ready)
        proxy.set_mode("slow")
        await feed(source, shadow(0, 100), chunk=20)
        await source.stop()
        summary = await run
    assert got.seqs("Test shadow") == list(range(100))
    assert summary["opa"]["outages"] == 0
    assert_books(summary, observed=100, evaluated=100, dropped={})


async def test_in_flight_at_the_drain_deadline_is_counted(proxy: FaultProxy) -> None:
    """A hung OPA at stop: what was buffered and what was in flight when the drain deadline
    passed are both counted, nothing vanishes."""
    source, got = QueueSource(), Collected()
    async with client_for(proxy.url, timeout_s=30.0) as client:
        pipeline = pipeline_for(source, client, got, drain_timeout_s=1.0, inflight=2)
        run = asyncio.create_task(pipeline.run())
        await wait_for(lambda: pipeline.ready)
        proxy.set_mode("hang")
        await feed(source, shadow(0, 100), chunk=20)
        await wait_for(lambda: pipeline.policy_stage.inflight_events > 0)
        stopped = time.monotonic()
        await pipeline.stop()
        summary = await run
        drained_in = time.monotonic() - stopped
    dropped = summary["books"]["dropped"]
    assert drained_in < 3.0  # the 1 s deadline holds though every request slot is hung
    assert dropped["policy.opa_unavailable_at_exit_in_flight"] == 40  # 2 slots x 20
    assert dropped["policy.opa_unavailable_at_exit"] == 60
    assert_books(summary, observed=100, evaluated=0)
