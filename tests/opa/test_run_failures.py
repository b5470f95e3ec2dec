"""`bpfopa run` fails loudly: a crashed stage or capture is a non-zero exit with the reason,
and running without root says so first."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bpfopa._paths import PROJECT_ROOT
from bpfopa.errors import CaptureError
from bpfopa.output import CallbackSink
from bpfopa.pipeline import Pipeline, PipelineConfig, QueueSource
from bpfopa.pipeline._cli import EXIT_FAILED, _run_pipeline
from bpfopa.policy import ManagedOpa, OpaClient, OpaClientConfig
from tests.opa.test_pipeline import Collected, doc

BPFOPA = PROJECT_ROOT / ".venv" / "bin" / "bpfopa"


class CrashingSource(QueueSource):
    """Delivers what it is given, then fails as the live source does when its poll thread
    crashes."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def batches(self) -> AsyncIterator[list[dict[str, Any]]]:
        async for docs in super().batches():
            yield docs
        raise self.error


@pytest.mark.parametrize(
    "error", [CaptureError("kernel poll thread crashed: OSError(5)"), RuntimeError("a bug")]
)
async def test_a_crash_is_a_failed_run_with_its_reason(
    shadow_policy_dir: Path, error: Exception, capsys: pytest.CaptureFixture[str]
) -> None:
    source, got = CrashingSource(error), Collected()
    async with ManagedOpa(include_bundled=False, extra_policies=[shadow_policy_dir]) as opa:
        client = OpaClient(OpaClientConfig(url=opa.url))
        async with client:
            pipeline = Pipeline(source, client, [CallbackSink(got)], PipelineConfig(batch_age_ms=5))
            await source.put([doc("/etc/shadow", 1)])
            await source.stop()
            code = await asyncio.wait_for(_run_pipeline(pipeline, "bpfopa run", None, None), 30)
    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert str(error) in err and "summary" in err


def test_run_without_root_says_so_first() -> None:
    done = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         str(BPFOPA), "run", "--metrics-addr", "0"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith("bpfopa run: needs root")
    assert "tracefs mounted" not in done.stderr
