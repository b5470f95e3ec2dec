"""One rule's evaluation error never blinds the others (the bundled policies plus a custom
rule OPA cannot evaluate on /etc/shadow)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson

from bpfopa.output import CallbackSink
from bpfopa.pipeline import RULE_RULE_FAULT, Pipeline, PipelineConfig, QueueSource
from bpfopa.policy import DeadLetterFile, ManagedOpa, OpaClient, OpaClientConfig
from tests.opa.faulty_rules import CONFLICTING, write_rule
from tests.opa.test_client import shadow_read_by_cat
from tests.opa.test_pipeline import Collected, assert_books

SENSITIVE = "Read sensitive file untrusted"


def harmless(seq: int) -> dict[str, Any]:
    doc = shadow_read_by_cat()
    doc["event"]["path"] = doc["event"]["fd"]["name"] = f"/tmp/harmless-{seq}"
    doc["event"]["params"]["filename"] = doc["event"]["path"]
    return doc


async def test_a_conflicting_rule_loses_only_its_own_verdicts(tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    write_rule(custom, "custom_conflict", CONFLICTING)
    dead = tmp_path / "dead.jsonl"
    docs: list[dict[str, Any]] = []
    for i in range(20):
        shadow = shadow_read_by_cat()
        shadow["process"]["pid"] = 10_000 + i  # 20 distinct reads
        docs += [shadow, harmless(i), harmless(100 + i)]
    source, got = QueueSource(), Collected()
    async with ManagedOpa(extra_policies=[custom]) as opa:
        client = OpaClient(OpaClientConfig(url=opa.url), dead_letter=DeadLetterFile(dead))
        async with client:
            pipeline = Pipeline(
                source,
                client,
                [CallbackSink(got)],
                PipelineConfig(batch_size=60, hostname="h", alert_document="full"),
            )
            run = asyncio.create_task(pipeline.run())
            await source.put(docs)
            await source.stop()
            summary = await run
    # Before: the whole /etc/shadow batch was dead-lettered and this rule fired 0 of 20.
    assert got.rules().count(SENSITIVE) == 20
    faults = [a for a in got.alerts if a["rule"] == RULE_RULE_FAULT]
    assert len(faults) == 1  # one internal alert per rule and interval
    assert faults[0]["output_fields"]["rule.id"] == "custom_conflict"
    assert "eval_conflict_error" in faults[0]["output_fields"]["error"]
    assert summary["opa"]["rule_faults"] == {"custom_conflict": 20}
    records = [orjson.loads(line) for line in dead.read_bytes().splitlines()]
    assert len(records) == 20
    assert all(r["reason"].startswith("rule custom_conflict could not evaluate") for r in records)
    assert all(r["document"]["event"]["path"] == "/etc/shadow" for r in records)
    assert_books(summary, observed=60, evaluated=60, dropped={})
