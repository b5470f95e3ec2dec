"""``bpfopa replay`` as a subprocess: every alert written, bad lines counted, SIGTERM drains."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from benchmarks.policy_input import generate
from bpfopa._paths import POLICIES_DIR, PROJECT_ROOT
from bpfopa.policy import ManagedOpa
from tests.conftest import OpaServer


def doc(seq: int) -> dict[str, Any]:
    return {
        "event": {
            "name": "openat", "time": "2026-11-28T09:30:00.000000001Z",
            "path": "/etc/shadow" if seq % 3 == 0 else "/tmp/ok", "ret": 3, "error": None,
            "params": {"seq": seq},
        },
        "process": {"pid": seq, "name": "cat", "exe": "/usr/bin/cat"},
    }  # fmt: skip


def write_recording(path: Path, count: int, garbage: bool = False) -> None:
    with path.open("wb") as f:
        for seq in range(count):
            f.write(orjson.dumps(doc(seq)) + b"\n")
            if garbage and seq == 10:
                f.write(b"{not json\n[1, 2]\n\n")


@pytest.fixture
async def opa_url(shadow_policy_dir: Path) -> AsyncIterator[str]:
    async with ManagedOpa(include_bundled=False, extra_policies=[shadow_policy_dir]) as opa:
        yield opa.url


def replay(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        # --alert-document full: the tests follow their documents' params into the alerts.
        [sys.executable, "-m", "bpfopa.pipeline", "replay", *args, "--alert-document", "full"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def summary_of(stderr: bytes) -> dict[str, Any]:
    for line in stderr.decode().splitlines():
        if line.startswith("bpfopa replay: summary "):
            parsed: dict[str, Any] = orjson.loads(line.split(" summary ", 1)[1])
            return parsed
    raise AssertionError(f"no summary in stderr: {stderr.decode()[-2000:]}")


def seqs(output: Path) -> list[int]:
    alerts = [orjson.loads(line) for line in output.read_bytes().splitlines()]
    assert all(a["rule"] == "Test shadow" for a in alerts)
    return sorted(a["input"]["event"]["params"]["seq"] for a in alerts)


async def test_replay_writes_every_alert_and_counts_bad_lines(opa_url: str, tmp_path: Path) -> None:
    recording, output = tmp_path / "rec.jsonl", tmp_path / "alerts.jsonl"
    write_recording(recording, 3000, garbage=True)
    proc = replay(str(recording), "--opa-url", opa_url, "--output-file", str(output),
                  "--dedup-window-ms", "0")  # fmt: skip
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()
    assert seqs(output) == list(range(0, 3000, 3))
    # Not a TTY: stdout carries the same alerts as JSON lines.
    assert len(stdout.splitlines()) == 1000
    summary = summary_of(stderr)
    assert summary["source"]["decode_errors"] == 2 and summary["source"]["blank_lines"] == 1
    assert summary["source"]["events"] == 3000
    assert b"rec.jsonl:12: skipped: not JSON" in stderr


async def test_sigterm_delivers_every_pending_alert(opa_url: str, tmp_path: Path) -> None:
    recording, output = tmp_path / "rec.jsonl", tmp_path / "alerts.jsonl"
    total = 300_000
    write_recording(recording, total)
    proc = replay(str(recording), "--opa-url", opa_url, "--output-file", str(output), "--quiet",
                  "--dedup-window-ms", "0", "--batch-size", "200")  # fmt: skip
    deadline = time.monotonic() + 60
    while not (output.exists() and output.stat().st_size > 0):
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    os.kill(proc.pid, signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()
    summary = summary_of(stderr)
    read = summary["source"]["events"]
    assert 0 < read < total, "SIGTERM came after the end: make the recording bigger"
    # Every event read got its verdict, and every alert it produced is in the file.
    assert summary["stages"]["policy"]["emitted"] == read
    assert seqs(output) == list(range(0, read, 3))
    assert b"stopping on SIGTERM" in stderr


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    proc = replay(str(tmp_path / "nope.jsonl"), "--opa-url", "http://127.0.0.1:9")
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2 and b"no such file" in stderr


def test_unreachable_opa_is_a_clear_error(tmp_path: Path) -> None:
    recording = tmp_path / "rec.jsonl"
    write_recording(recording, 5)
    proc = replay(str(recording), "--opa-url", "http://127.0.0.1:9")
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2 and b"cannot connect to OPA" in stderr


@pytest.fixture
def shadow_recording(tmp_path: Path) -> Iterator[Path]:
    from tests.opa.test_client import shadow_read_by_cat

    path = tmp_path / "shadow.jsonl"
    path.write_bytes(orjson.dumps(shadow_read_by_cat()) + b"\n")
    yield path


def test_replay_with_bundled_policies(
    opa_binary: Path, shadow_recording: Path, tmp_path: Path
) -> None:
    """The managed OPA with the bundled policies (no --opa-url) flags `cat /etc/shadow`."""
    output = tmp_path / "alerts.jsonl"
    proc = replay(str(shadow_recording), "--output-file", str(output), "--quiet")
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()
    rules = [orjson.loads(line)["rule"] for line in output.read_bytes().splitlines()]
    assert "Read sensitive file untrusted" in rules


async def test_sighup_reopens_the_output_file(opa_url: str, tmp_path: Path) -> None:
    """logrotate: rename the file, SIGHUP; later alerts land in a new file, none is lost."""
    recording, output = tmp_path / "rec.jsonl", tmp_path / "alerts.jsonl"
    rotated = tmp_path / "alerts.jsonl.1"
    total = 300_000
    write_recording(recording, total)
    proc = replay(str(recording), "--opa-url", opa_url, "--output-file", str(output), "--quiet",
                  "--dedup-window-ms", "0", "--batch-size", "200")  # fmt: skip
    deadline = time.monotonic() + 60
    while not (output.exists() and output.stat().st_size > 0):
        assert proc.poll() is None
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    output.rename(rotated)
    os.kill(proc.pid, signal.SIGHUP)
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr.decode()
    assert output.exists(), "SIGHUP did not reopen the output file"
    assert seqs(rotated) and seqs(output)
    assert sorted(seqs(rotated) + seqs(output)) == list(range(0, total, 3))


def _replay_alerts(url: str, recording: Path, output: Path, mode: str) -> tuple[Any, list[Any]]:
    # --policies: the server's files, from which the prefilter learns that every rule reads
    # documents through lib/events.by_syscall.
    proc = replay(str(recording), "--opa-url", url, "--policies", str(POLICIES_DIR),
                  "--output-file", str(output), "--quiet",
                  "--dedup-window-ms", "0", "--prefilter", mode)  # fmt: skip
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()
    alerts = [orjson.loads(line) for line in output.read_bytes().splitlines()]
    return summary_of(stderr), sorted((a["rule"], a["input"]["event"]["ts"]) for a in alerts)


def test_replay_prefilter_auto_gives_the_alerts_of_off(
    opa_server: OpaServer, tmp_path: Path
) -> None:
    recording = tmp_path / "rec.jsonl"
    docs = generate(3000, seed=9, violation_rate=0.1)["events"]
    recording.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in docs))
    on, alerts_on = _replay_alerts(opa_server.url, recording, tmp_path / "on.jsonl", "auto")
    off, alerts_off = _replay_alerts(opa_server.url, recording, tmp_path / "off.jsonl", "off")
    assert len(alerts_off) > 200 and alerts_on == alerts_off
    assert on["prefilter"]["enabled"] and not off["prefilter"]["enabled"]
    assert on["stages"]["dedup"]["prefiltered"] > len(docs) // 2
    assert off["stages"]["dedup"]["prefiltered"] == 0
    for summary in (on, off):  # every document judged, locally or by OPA
        judged = summary["stages"]["dedup"]["prefiltered"]
        assert judged + summary["stages"]["policy"]["emitted"] == len(docs)
