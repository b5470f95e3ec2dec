"""deploy/bpfopa.service stops bpfopa before its OPA and leaves it time to drain."""

from __future__ import annotations

import configparser

from bpfopa._paths import PROJECT_ROOT
from bpfopa.pipeline import PipelineConfig


def test_unit_drains_before_stopping_opa_and_reloads_on_hup() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(PROJECT_ROOT / "deploy" / "bpfopa.service")
    service = unit["Service"]
    # mixed: SIGTERM to bpfopa only; OPA (its own process group) is stopped by bpfopa last.
    assert service["KillMode"] == "mixed"
    stop_s = float(service["TimeoutStopSec"].removesuffix("s"))
    assert stop_s > PipelineConfig().drain_timeout_s + 5
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["Restart"] == "on-failure"
