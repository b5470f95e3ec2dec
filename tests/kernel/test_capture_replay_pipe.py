"""`bpfopa capture | bpfopa replay -`: a live capture piped into a replay raises the alert while
both still run (the replay reads the pipe as data arrives), and the replay ends at EOF."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.kernel.rules_harness import BPFOPA, PYTHON

# Opens /etc/shadow every half second until killed: a python3 is no trusted reader.
READER = "import time\nwhile True:\n    open('/etc/shadow', 'rb').close()\n    time.sleep(0.5)"


@pytest.mark.timeout(600)  # the capture's BCC compile is slow on a busy shared host
def test_capture_piped_into_replay(tmp_path: Path) -> None:
    out = tmp_path / "alerts.jsonl"
    reader = subprocess.Popen([PYTHON, "-I", "-S", "-c", READER])
    capture = subprocess.Popen(
        [str(BPFOPA), "capture", "--pid", str(reader.pid), "--syscalls", "openat", "--format",
         "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    replay = subprocess.Popen(
        [str(BPFOPA), "replay", "-", "--quiet", "--output-file", str(out)],
        stdin=capture.stdout,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert capture.stdout is not None
    capture.stdout.close()  # the replay holds the pipe now
    try:
        deadline = time.monotonic() + 480
        alerts: list[dict[str, object]] = []
        while time.monotonic() < deadline and not alerts:
            assert replay.poll() is None, replay.communicate()[1]
            if out.exists():
                lines = out.read_text().splitlines()
                alerts = [a for a in map(json.loads, lines)
                          if a["rule"] == "Read sensitive file untrusted"]  # fmt: skip
            time.sleep(0.2)
        assert alerts, "no alert while capture and replay ran"
        assert alerts[0]["process"]["pid"] == reader.pid  # type: ignore[index]
    finally:
        reader.kill()
        reader.wait()
        capture.send_signal(signal.SIGINT)
        capture.wait(60)
    _, err = replay.communicate(timeout=120)  # EOF on the pipe ends the replay
    assert replay.returncode == 0, err
    summary = json.loads(err.split("bpfopa replay: summary ", 1)[1].splitlines()[0])
    assert summary["source"]["decode_errors"] == 0
    assert summary["alert_books"]["file"]["balanced"]
