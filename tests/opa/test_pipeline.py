"""The whole pipeline against a real OPA: verdicts, dedup, rejections, outages, metrics."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from bpfopa.metrics import MetricsServer, PipelineMetrics
from bpfopa.output import CallbackSink
from bpfopa.pipeline import (
    PROCESS_STATE_SYSCALLS,
    RULE_OPA_RECOVERED,
    RULE_OPA_UNAVAILABLE,
    RULE_SYSCALL_DROP,
    Pipeline,
    PipelineConfig,
    QueueSource,
    StageFailedError,
)
from bpfopa.policy import DeadLetterFile, ManagedOpa, OpaClient, OpaClientConfig
from tests.conftest import OpaServer


def doc(path: str, seq: int, pid: int | None = None) -> dict[str, Any]:
    return {
        "event": {
            "name": "openat", "time": "2026-11-28T09:30:00.000000001Z", "path": path,
            "ret": 3, "error": None, "params": {"seq": seq},
        },
        "process": {"pid": seq if pid is None else pid, "name": "cat", "exe": "/usr/bin/cat"},
    }  # fmt: skip


@pytest.fixture
async def opa(shadow_policy_dir: Path) -> AsyncIterator[ManagedOpa]:
    async with ManagedOpa(include_bundled=False, extra_policies=[shadow_policy_dir]) as server:
        yield server


class Collected:
    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []

    def __call__(self, alerts: Sequence[dict[str, Any]]) -> None:
        self.alerts.extend(alerts)

    def rules(self) -> list[str]:
        return [a["rule"] for a in self.alerts]

    def seqs(self, rule: str) -> list[int]:
        """The documents' seq params: pipelines that call this set alert_document="full"."""
        return sorted(
            a["input"]["event"]["params"]["seq"] for a in self.alerts if a["rule"] == rule
        )


def assert_books(
    summary: Mapping[str, Any],
    *,
    observed: int,
    evaluated: int | None = None,
    deduplicated: int = 0,
    dropped: Mapping[str, int] | None = None,
) -> None:
    """The invariant after every scenario: observed = filtered in kernel + prefiltered +
    deduplicated + evaluated + dropped (by reason), nothing left pending."""
    books = summary["books"]
    assert books["balanced"], books
    assert books["pending"] == 0, books
    assert books["observed"] == observed, books
    assert books["deduplicated"] == deduplicated, books
    if evaluated is not None:
        assert books["evaluated"] == evaluated, books
    if dropped is not None:
        assert books["dropped"] == dropped, books
    terms = ("filtered_in_kernel", "prefiltered", "deduplicated", "evaluated")
    assert sum(books[t] for t in terms) + sum(books["dropped"].values()) == observed


async def feed(source: QueueSource, docs: list[dict[str, Any]], chunk: int = 100) -> None:
    for start in range(0, len(docs), chunk):
        await source.put(docs[start : start + chunk])


async def test_end_to_end_with_dedup_filter_and_metrics(opa: ManagedOpa) -> None:
    source = QueueSource()
    got = Collected()
    metrics = PipelineMetrics()
    client = OpaClient(OpaClientConfig(url=opa.url), on_latency=metrics.observe_opa_latency)
    config = PipelineConfig(
        batch_size=64, batch_age_ms=20, dedup_window_ms=200, hostname="h", alert_document="full"
    )
    async with client:
        pipeline = Pipeline(
            source, client, [CallbackSink(got)], config, on_batch=metrics.observe_batch_size
        )
        metrics.bind(pipeline)
        server = MetricsServer(metrics, "127.0.0.1", 0, ready=lambda: pipeline.ready)
        await server.start()
        try:
            docs = [doc("/etc/shadow" if i % 5 == 0 else "/tmp/ok", i) for i in range(1000)]
            # Ten identical reads by one process: one evaluation with repeat 10.
            docs += [doc("/etc/shadow", 5000, pid=77) for _ in range(10)]
            run = asyncio.create_task(pipeline.run())
            await feed(source, docs)
            async with aiohttp.ClientSession() as http:
                base = f"http://127.0.0.1:{server.port}"
                for _ in range(100):
                    async with http.get(f"{base}/readyz") as resp:
                        if resp.status == 200:
                            break
                    await asyncio.sleep(0.02)
                assert resp.status == 200
                await source.stop()
                summary = await run
                async with http.get(f"{base}/metrics") as resp:
                    text = await resp.text()
                async with http.get(f"{base}/readyz") as resp:
                    assert resp.status == 503  # finished: no longer ready
        finally:
            await server.aclose()
    # Ten identical reads: the first alerts at once, the nine repeats as one summary.
    assert got.seqs("Test shadow") == [*range(0, 1000, 5), 5000, 5000]
    repeated = sorted(
        (a for a in got.alerts if a["input"]["event"]["params"]["seq"] == 5000),
        key=lambda a: a["input"]["repeat"],
    )  # batches in flight together may finish in any order
    assert [a["input"]["repeat"] for a in repeated] == [1, 9]
    assert "shadow read by cat (9 times) (evt_type=openat " in repeated[1]["output"]
    assert repeated[1]["output_fields"]["evt.count"] == 9
    assert summary["stages"]["source"]["received"] == 1010
    assert summary["stages"]["policy"]["received"] == 1002
    assert summary["dedup"]["merged"] == 8
    assert_books(summary, observed=1010, evaluated=1002, deduplicated=8)
    assert pipeline.selected_syscalls == frozenset({"openat"}) | PROCESS_STATE_SYSCALLS
    assert 'bpfopa_stage_events_received_total{stage="source"} 1010.0' in text
    assert 'bpfopa_alerts_total{priority="WARNING",rule="Test shadow"} 202.0' in text
    assert "bpfopa_dedup_ratio" in text and "bpfopa_opa_request_seconds_bucket" in text
    assert "bpfopa_batch_size_count" in text
    # The books in Prometheus: the same numbers as the run summary.
    assert "bpfopa_events_observed_total 1010.0" in text
    assert "bpfopa_events_evaluated_total 1002.0" in text
    assert "bpfopa_events_deduplicated_total 8.0" in text
    assert "bpfopa_events_books_balanced 1.0" in text


async def test_min_priority_filters(opa: ManagedOpa) -> None:
    source = QueueSource()
    got = Collected()
    config = PipelineConfig(dedup_window_ms=0, min_priority="NOTICE", batch_age_ms=5)
    async with OpaClient(OpaClientConfig(url=opa.url)) as client:
        pipeline = Pipeline(source, client, [CallbackSink(got)], config)
        run = asyncio.create_task(pipeline.run())
        await feed(source, [doc("/tmp/debug", 1), doc("/etc/shadow", 2)])
        await source.stop()
        summary = await run
    assert got.rules() == ["Test shadow"]
    assert summary["alerts"]["filtered"] == 1
    assert_books(summary, observed=2, evaluated=2)


async def test_rejected_event_goes_to_dead_letter(opa: ManagedOpa, tmp_path: Path) -> None:
    source = QueueSource()
    got = Collected()
    dead = tmp_path / "dead.jsonl"
    docs = [doc("/etc/shadow", i) for i in range(50)]
    docs[17] = doc("/poison", 17)
    config = PipelineConfig(
        batch_size=50, batch_age_ms=1000, dedup_window_ms=0, alert_document="full"
    )
    async with OpaClient(OpaClientConfig(url=opa.url), dead_letter=DeadLetterFile(dead)) as client:
        pipeline = Pipeline(source, client, [CallbackSink(got)], config)
        run = asyncio.create_task(pipeline.run())
        await source.put(docs)
        await source.stop()
        summary = await run
    assert got.seqs("Test shadow") == [i for i in range(50) if i != 17]
    records = [orjson.loads(line) for line in dead.read_bytes().splitlines()]
    assert [r["document"]["event"]["params"]["seq"] for r in records] == [17]
    assert "eval_conflict_error" in records[0]["reason"]
    assert summary["stages"]["policy"]["dropped"] == {"opa_rejected": 1}
    assert summary["opa"]["rejected"] == 1
    assert_books(summary, observed=50, evaluated=49, dropped={"policy.opa_rejected": 1})


async def test_opa_killed_mid_run(shadow_policy_dir: Path) -> None:
    """Outage: internal alert, bounded backlog evaluated after the restart, excess counted."""
    source = QueueSource()
    got = Collected()
    managed = ManagedOpa(
        include_bundled=False, extra_policies=[shadow_policy_dir], restart_initial_s=3.0
    )
    await managed.start()
    client = OpaClient(
        OpaClientConfig(url=managed.url, retry_attempts=2, retry_initial_s=0.01, retry_max_s=0.02)
    )
    config = PipelineConfig(
        batch_size=10, batch_age_ms=5, dedup_window_ms=0, inflight=2, outage_buffer=100,
        alert_document="full",
    )  # fmt: skip
    try:
        async with client:
            pipeline = Pipeline(source, client, [CallbackSink(got)], config)
            pipeline.policy_stage.probe_initial_s = 0.05
            pipeline.policy_stage.probe_max_s = 0.2
            run = asyncio.create_task(pipeline.run())
            await feed(source, [doc("/etc/shadow", i) for i in range(50)], chunk=10)
            for _ in range(500):
                if len(got.alerts) == 50:
                    break
                await asyncio.sleep(0.01)
            assert got.seqs("Test shadow") == list(range(50))
            assert managed.pid is not None
            os.kill(managed.pid, signal.SIGKILL)
            # The first batch after the kill fails its retries: OPA is declared unavailable.
            await source.put([doc("/etc/shadow", 50)])
            for _ in range(500):
                if pipeline.policy_stage.outage:
                    break
                await asyncio.sleep(0.01)
            assert pipeline.policy_stage.outage
            # 1 event is in the backlog; 150 more arrive: 99 fit the bound of 100, 51 do not.
            await feed(source, [doc("/etc/shadow", i) for i in range(51, 201)], chunk=10)
            for _ in range(1000):
                if RULE_OPA_RECOVERED in got.rules():
                    break
                await asyncio.sleep(0.01)
            await source.stop()
            summary = await run
    finally:
        await managed.aclose()
    assert managed.restarts == 1
    rules = got.rules()
    assert rules.count(RULE_OPA_UNAVAILABLE) == 1 and rules.count(RULE_OPA_RECOVERED) == 1
    assert rules.index(RULE_OPA_UNAVAILABLE) < rules.index(RULE_OPA_RECOVERED)
    assert got.seqs("Test shadow") == list(range(150))
    assert summary["stages"]["policy"]["dropped"] == {"opa_unavailable": 51}
    assert summary["opa"]["outages"] == 1
    internal = next(a for a in got.alerts if a["rule"] == RULE_OPA_UNAVAILABLE)
    assert internal["priority"] == "Critical" and internal["source"] == "internal"
    assert_books(summary, observed=201, evaluated=150, dropped={"policy.opa_unavailable": 51})
    # The drop is reported as an internal alert too (checked at the end of the run).
    assert "bpfopa internal: pipeline event drop" in rules


class LossySource(QueueSource):
    """A queue source whose kernel-loss counter the test advances (what the capture reports)."""

    def __init__(self) -> None:
        super().__init__()
        self.kernel_lost = 0

    def counters(self) -> Mapping[str, int]:
        return {**super().counters(), "kernel_lost": self.kernel_lost}


async def test_kernel_losses_raise_internal_alert(opa: ManagedOpa) -> None:
    source = LossySource()
    got = Collected()
    config = PipelineConfig(monitor_interval_s=0.05, drop_alert_threshold=10)
    async with OpaClient(OpaClientConfig(url=opa.url)) as client:
        pipeline = Pipeline(source, client, [CallbackSink(got)], config)
        run = asyncio.create_task(pipeline.run())
        source.kernel_lost = 1  # 20/s: above the threshold of 10/s
        for _ in range(200):
            if RULE_SYSCALL_DROP in got.rules():
                break
            await asyncio.sleep(0.01)
        await source.stop()
        await run
    drops = [a for a in got.alerts if a["rule"] == RULE_SYSCALL_DROP]
    assert len(drops) == 1
    assert drops[0]["output_fields"]["n_drops"] == 1
    assert drops[0]["output_fields"]["n_kernel_lost"] == 1


class CrashingSink:
    name = "crashing"

    async def open(self) -> None:
        return None

    async def write(self, alerts: Sequence[dict[str, Any]]) -> None:
        raise RuntimeError("sink bug")

    async def aclose(self) -> None:
        return None

    def counters(self) -> Mapping[str, int]:
        return {}


async def test_crashing_stage_fails_the_run_instead_of_hanging(opa: ManagedOpa) -> None:
    source = QueueSource()
    async with OpaClient(OpaClientConfig(url=opa.url)) as client:
        pipeline = Pipeline(source, client, [CrashingSink()], PipelineConfig(batch_age_ms=5))
        run = asyncio.create_task(pipeline.run())
        await source.put([doc("/etc/shadow", 1)])
        await asyncio.sleep(0.3)
        await source.put([doc("/etc/shadow", 2)])
        await source.stop()
        with pytest.raises((RuntimeError, StageFailedError)):
            await asyncio.wait_for(run, 10)
    assert pipeline.sink_stages[0].state.value == "failed"


async def test_bundled_policies_through_pipeline(opa_server: OpaServer) -> None:
    from tests.opa.test_client import shadow_read_by_cat

    source = QueueSource()
    got = Collected()
    async with OpaClient(OpaClientConfig(url=opa_server.url)) as client:
        pipeline = Pipeline(source, client, [CallbackSink(got)], PipelineConfig(hostname="h"))
        run = asyncio.create_task(pipeline.run())
        await source.put([shadow_read_by_cat()])
        await source.stop()
        await run
    alert = next(a for a in got.alerts if a["rule"] == "Read sensitive file untrusted")
    assert alert["source"] == "syscall" and alert["hostname"] == "h"
    assert alert["output_fields"]["fd.name"] == "/etc/shadow"
    assert alert["output"].startswith("09:30:00.123456789: ")
    assert pipeline.selected_syscalls is not None and "openat" in pipeline.selected_syscalls
