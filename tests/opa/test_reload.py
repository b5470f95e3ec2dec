"""Hot reload: a valid policy change is served atomically (new rule fires, its syscalls are
selected); a broken one is refused with file:line and an internal alert, the old rules keep
running."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bpfopa.output import CallbackSink
from bpfopa.pipeline import (
    RULE_POLICY_REFUSED,
    RULE_POLICY_RELOADED,
    Pipeline,
    PipelineConfig,
    PolicyReloader,
    QueueSource,
)
from bpfopa.policy import ManagedOpa, OpaClient, OpaClientConfig
from tests.opa.faulty_rules import CONFLICTING, GOOD, MISSPELT_SYSCALL, line_of, write_rule
from tests.opa.test_client import shadow_read_by_cat
from tests.opa.test_pipeline import Collected

SENSITIVE = "Read sensitive file untrusted"
CUSTOM = "Custom custom_good"


def opened(path: str, pid: int) -> dict[str, Any]:
    doc = shadow_read_by_cat()
    doc["event"]["path"] = doc["event"]["fd"]["name"] = path
    doc["event"]["params"]["filename"] = path
    doc["process"]["pid"] = pid
    return doc


def pids(got: Collected, rule: str | None = None) -> list[int]:
    return [
        a["input"]["process"]["pid"]
        for a in got.alerts
        if "input" in a and (rule is None or a["rule"] == rule)
    ]


async def evaluated(source: QueueSource, got: Collected, docs: list[dict[str, Any]]) -> None:
    """Feed ``docs`` and wait until the pipeline has judged them (a marker alert arrives)."""
    marker = opened("/etc/shadow", 90_000 + len(got.alerts))
    await source.put([*docs, marker])
    for _ in range(1000):
        if marker["process"]["pid"] in pids(got):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the pipeline did not evaluate the documents")


async def test_reload_swaps_valid_policies_and_refuses_broken_ones(tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    source, got = QueueSource(), Collected()
    async with ManagedOpa(extra_policies=[custom], authentication=True, swap_grace_s=0.5) as opa:
        client = OpaClient(OpaClientConfig(url=opa.url, token=opa.token))
        async with client:
            opa.on_url_change(client.set_url)
            config = PipelineConfig(
                hostname="h", policy_dirs=tuple(opa.sources), alert_document="full"
            )
            pipeline = Pipeline(source, client, [CallbackSink(got)], config)
            reloader = PolicyReloader(pipeline, opa)
            run = asyncio.create_task(pipeline.run())
            await evaluated(source, got, [opened("/dev/shm/bpfopa-custom-good", 1)])
            assert CUSTOM not in got.rules()

            # A valid new rule: served after the reload, with its syscall selected.
            write_rule(custom, "custom_good", GOOD)
            first_url = opa.url
            assert await reloader.reload()
            assert opa.url != first_url and client.config.url == opa.url
            await evaluated(source, got, [opened("/dev/shm/bpfopa-custom-good", 2)])
            assert pids(got, CUSTOM) == [2]
            assert RULE_POLICY_RELOADED in got.rules()
            assert pipeline.selected_syscalls is not None and "openat" in pipeline.selected_syscalls

            # Broken: a misspelt syscall, then a rule that errors. Both refused; the old
            # rules, custom_good included, keep running on the same OPA.
            served = opa.url
            bad = write_rule(custom, "custom_misspelt", MISSPELT_SYSCALL)
            assert not await reloader.reload()
            bad.parent.joinpath(bad.name).unlink()
            bad.parent.rmdir()
            conflict = write_rule(custom, "custom_conflict", CONFLICTING)
            assert not await reloader.reload()
            assert opa.url == served
            await evaluated(source, got, [opened("/dev/shm/bpfopa-custom-good", 3)])
            await source.stop()
            summary = await run
    refusals = [a for a in got.alerts if a["rule"] == RULE_POLICY_REFUSED]
    assert len(refusals) == 2
    assert f"{bad}:8: " in refusals[0]["output"] and "opennat" in refusals[0]["output"]
    assert f"{conflict}:{line_of(CONFLICTING, '_level := ', 2)}: " in refusals[1]["output"]
    assert "eval_conflict_error" in refusals[1]["output"]
    assert pids(got, CUSTOM) == [2, 3]
    assert got.rules().count(SENSITIVE) == 3  # the markers: detection never stopped
    assert summary["books"]["balanced"] and summary["books"]["pending"] == 0
    assert summary["opa"]["outages"] == 0
