"""`bpfopa run` on the real kernel with its managed OPA and the default policies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bpfopa._paths import PROJECT_ROOT

BPFOPA = PROJECT_ROOT / ".venv" / "bin" / "bpfopa"


def _alerts(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _wait(path: Path, predicate: Any, timeout: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [a for a in _alerts(path) if predicate(a)]
        if found:
            return found
        time.sleep(0.02)
    return []


def test_read_shadow_alerts_once_within_a_second(tmp_path: Path) -> None:
    out = tmp_path / "alerts.jsonl"
    ready = tmp_path / "ready"
    run = subprocess.Popen(
        [str(BPFOPA), "run", "--metrics-addr", "0", "--quiet", "--output-file", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Ready when a probe event has gone all the way through: a marker file read alerts as
        # nothing, so wait for the pipeline to evaluate a canary instead.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            subprocess.run(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL, check=True)
            if _wait(out, lambda a: a["rule"] == "Read sensitive file untrusted", 1.0):
                break
        else:
            raise AssertionError("bpfopa run never alerted")
        ready.touch()
        before = len(_alerts(out))

        harmless = subprocess.Popen(["cat", "/etc/hostname"], stdout=subprocess.DEVNULL)
        harmless.wait(5)
        started = time.monotonic()
        shadow = subprocess.Popen(["cat", "/etc/shadow"], stdout=subprocess.DEVNULL)
        shadow.wait(5)
        found = _wait(
            out,
            lambda a: (
                a["rule"] == "Read sensitive file untrusted" and a["process"]["pid"] == shadow.pid
            ),
            1.0,
        )
        latency = time.monotonic() - started
        assert found, "no alert within 1 s"
        assert latency <= 1.0
        time.sleep(1.0)  # anything else that was going to arrive has arrived
        new = _alerts(out)[before:]
        mine = [a for a in new if a["process"]["pid"] in (shadow.pid, harmless.pid)]
        assert len(mine) == 1, [a["rule"] for a in mine]
        alert = mine[0]
        assert alert["process"]["name"] == "cat"
        assert alert["output_fields"]["fd.name"] == "/etc/shadow"
        assert alert["priority"] and alert["source"] == "syscall"
    finally:
        run.send_signal(signal.SIGTERM)
        try:
            _, err = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            run.kill()
            _, err = run.communicate()
        assert run.returncode == 0, err
    assert os.path.exists(out)
