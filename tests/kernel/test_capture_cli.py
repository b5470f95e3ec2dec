"""`bpfopa capture` as a user runs it: JSON lines when piped, escaped text on request."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

from bpfopa._paths import PROJECT_ROOT

BPFOPA = str(PROJECT_ROOT / ".venv" / "bin" / "bpfopa")


def _capture(
    *args: str, action: list[str], act: Callable[[], None] | None = None
) -> tuple[str, str]:
    proc = subprocess.Popen(
        [BPFOPA, "capture", "--duration", "6", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    attached = proc.stderr.readline().decode()  # "attached (...)" once the probes are in
    while "attached" not in attached and proc.poll() is None:
        attached = proc.stderr.readline().decode()
    time.sleep(0.2)
    if act is not None:
        act()
    else:
        subprocess.run(action, capture_output=True, timeout=10)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out.decode(), attached + err.decode()


def test_json_lines_and_summary() -> None:
    marker = f"/tmp/bpfopa-{uuid.uuid4().hex}"
    out, err = _capture("--syscalls", "openat", action=["cat", marker])
    docs = [json.loads(line) for line in out.splitlines()]
    assert docs and all(d["event"]["name"] == "openat" for d in docs)
    [mine] = [d for d in docs if d["event"]["path"] == marker]
    assert mine["event"]["error"] == "ENOENT" and mine["process"]["name"] == "cat"
    assert "summary:" in err and "kernel_lost=0" in err


def test_text_format_escapes_attacker_bytes() -> None:
    marker = uuid.uuid4().hex  # not "red-": other processes open e.g. required-features.h
    evil = f"/tmp/bpfopa-\x1b[2J\x1b[31mred-{marker}"
    out, _ = _capture("--syscalls", "openat", "--format", "text", action=["cat", evil])
    assert "\x1b" not in out
    [line] = [line for line in out.splitlines() if marker in line]
    assert "\\x1b[2J" in line and " cat[" in line and "ENOENT" in line


def test_exclude_pid() -> None:
    marker = f"/tmp/bpfopa-{uuid.uuid4().hex}"
    hidden = subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.stdin.readline(); open({marker!r}+'-hidden')"],
        stdin=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert hidden.stdin is not None

    def act() -> None:
        assert hidden.stdin is not None
        hidden.stdin.write(b"\n")
        hidden.stdin.flush()
        hidden.wait(10)
        subprocess.run(["cat", marker + "-seen"], capture_output=True, timeout=10)

    out, _ = _capture("--syscalls", "openat", "--exclude-pid", str(hidden.pid), action=[], act=act)
    paths = {json.loads(line)["event"]["path"] for line in out.splitlines()}
    assert marker + "-seen" in paths and marker + "-hidden" not in paths
