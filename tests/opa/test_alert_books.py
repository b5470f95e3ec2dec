"""Alert books through a real OPA and real sinks: produced = delivered + dropped (by sink and
reason) + pending, in the summary and Prometheus; no environment secret reaches any sink or
dead letter; the drop alert counts events, not batches."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from prometheus_client import generate_latest

from bpfopa.metrics import PipelineMetrics
from bpfopa.output import CallbackSink, FileSink, StdoutSink, WebhookSink
from bpfopa.pipeline import RULE_SYSCALL_DROP, Pipeline, PipelineConfig, QueueSource
from bpfopa.policy import DeadLetterFile, ManagedOpa, OpaClient, OpaClientConfig
from tests.conftest import free_port
from tests.http_receiver import serving

SECRET = "hunter2-s3cr3t-value"


def doc(path: str, seq: int) -> dict[str, Any]:
    return {
        "event": {"name": "openat", "time": "2026-11-28T09:30:00.000000001Z", "path": path,
                  "ret": 3, "error": None, "params": {"seq": seq}},
        "process": {"pid": 1000 + seq, "ppid": 1, "name": "cat", "exe": "/usr/bin/cat",
                    "env": ["HOME=/root", f"GITHUB_TOKEN={SECRET}", f"DB_PASSWORD={SECRET}"],
                    "parent": {"pid": 1, "name": "init", "env": [f"API_KEY={SECRET}"]}},
    }  # fmt: skip


@pytest.fixture
async def opa(shadow_policy_dir: Path) -> AsyncIterator[ManagedOpa]:
    async with ManagedOpa(include_bundled=False, extra_policies=[shadow_policy_dir]) as server:
        yield server


class Receiver:
    """Refuses with 413 the alerts of every fifth process; records every body."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.bodies: list[bytes] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.bodies.append(body)
        process = orjson.loads(body).get("process") or {}  # internal alerts have none
        return web.Response(status=413 if process.get("pid", 1) % 5 == 0 else 200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    async with serving(rec.handle, rec.port):
        yield rec


async def test_books_balance_and_no_secret_reaches_a_sink(
    opa: ManagedOpa, receiver: Receiver, tmp_path: Path
) -> None:
    docs = [doc("/etc/shadow", i) for i in range(60)]
    docs[7] = doc("/poison", 7)  # OPA rejects it: a dead letter holding a document
    dead_docs, alerts_file = tmp_path / "dead.jsonl", tmp_path / "out" / "alerts.jsonl"
    stdout = io.BytesIO()
    got: list[dict[str, Any]] = []
    webhook = WebhookSink(receiver.url, tmp_path / "spool", retry_initial_s=0.01)
    sinks = [StdoutSink(stdout, tty=True), FileSink(alerts_file), webhook, CallbackSink(got.extend)]
    source = QueueSource()
    metrics = PipelineMetrics()
    config = PipelineConfig(batch_size=20, batch_age_ms=10, dedup_window_ms=0, hostname="h")
    client = OpaClient(OpaClientConfig(url=opa.url), dead_letter=DeadLetterFile(dead_docs))
    async with client:
        pipeline = Pipeline(source, client, sinks, config)
        metrics.bind(pipeline)
        run = asyncio.create_task(pipeline.run())
        await source.put(docs)
        await source.stop()
        summary = await run
    # 59 rule alerts, and the internal one for the document OPA rejected.
    assert sorted(a["source"] for a in got) == ["internal"] + ["syscall"] * 59
    books = summary["alert_books"]
    refused = sum(1 for i in range(60) if i != 7 and (1000 + i) % 5 == 0)
    assert books["webhook"] == {
        "produced": 60, "delivered": 60 - refused, "dropped": {"rejected": refused},
        "pending": 0, "balanced": True,
    }  # fmt: skip
    for name in ("stdout", "file", "callback"):
        assert books[name] == {"produced": 60, "delivered": 60, "dropped": {}, "pending": 0,
                               "balanced": True}, name  # fmt: skip
    scrape = generate_latest(metrics.registry).decode()
    assert f'bpfopa_sink_alerts_dropped_total{{reason="rejected",sink="webhook"}} {refused}.0' in (
        scrape
    )
    assert 'bpfopa_sink_alerts_delivered_total{sink="file"} 60.0' in scrape
    # Every sink, every dead letter: the alerts name the process, never its environment.
    rejected = tmp_path / "spool" / "rejected.jsonl"
    outputs = {
        "stdout": stdout.getvalue(),
        "file": alerts_file.read_bytes(),
        "webhook": b"".join(receiver.bodies),
        "webhook dead letters": rejected.read_bytes(),
        "OPA dead letters": dead_docs.read_bytes(),
    }
    for name, data in outputs.items():
        assert data, name
        assert SECRET.encode() not in data, name
    assert b"GITHUB_TOKEN=***" in outputs["OPA dead letters"]  # masked, not removed
    assert all(a["process"]["pid"] >= 1000 for a in got if a["source"] == "syscall")
    assert not any("input" in a for a in got)
    for path in (alerts_file, dead_docs, rejected):
        assert path.stat().st_mode & 0o777 == 0o600, path


class BatchLossSource(QueueSource):
    """A source whose queue dropped 40 events in 2 batches."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = False

    def counters(self) -> Mapping[str, int]:
        extra = {"queue_dropped": 40, "queue_dropped_batches": 2} if self.lost else {}
        return {**super().counters(), **extra}


async def test_drop_alert_counts_events_not_batches(opa: ManagedOpa) -> None:
    source = BatchLossSource()
    got: list[dict[str, Any]] = []
    config = PipelineConfig(monitor_interval_s=0.05, drop_alert_threshold=10)
    async with OpaClient(OpaClientConfig(url=opa.url)) as client:
        pipeline = Pipeline(source, client, [CallbackSink(got.extend)], config)
        run = asyncio.create_task(pipeline.run())
        source.lost = True
        for _ in range(200):
            if any(a["rule"] == RULE_SYSCALL_DROP for a in got):
                break
            await asyncio.sleep(0.01)
        await source.stop()
        await run
    [drop] = [a for a in got if a["rule"] == RULE_SYSCALL_DROP]
    assert drop["output_fields"]["n_drops"] == 40
    assert "40 system calls lost" in drop["output"]
