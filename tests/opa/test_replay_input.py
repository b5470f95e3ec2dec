"""``bpfopa replay`` reads stdin (``-``) and FIFOs as data arrives, says where a line is not
UTF-8, and its summary's alert books balance."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

from bpfopa._paths import PROJECT_ROOT
from tests.opa.test_replay import doc, opa_url, replay, seqs, summary_of

__all__ = ["opa_url"]  # the fixture, shared with test_replay


def _lines(start: int, count: int) -> bytes:
    return b"".join(orjson.dumps(doc(seq)) + b"\n" for seq in range(start, start + count))


def test_replay_reads_standard_input(opa_url: str, tmp_path: Path) -> None:
    output = tmp_path / "alerts.jsonl"
    command = [sys.executable, "-m", "bpfopa.pipeline", "replay", "-", "--opa-url", opa_url,
               "--output-file", str(output), "--quiet", "--dedup-window-ms", "0",
               "--alert-document", "full"]  # fmt: skip
    proc = subprocess.run(command, input=_lines(0, 300), capture_output=True, timeout=120,
                          cwd=PROJECT_ROOT)  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    assert seqs(output) == list(range(0, 300, 3))
    summary = summary_of(proc.stderr)
    assert summary["source"]["events"] == 300
    books = summary["alert_books"]["file"]
    assert books["produced"] == books["delivered"] == 100 and books["balanced"]
    assert output.stat().st_mode & 0o777 == 0o600


def test_replay_reads_a_fifo_as_it_is_written(opa_url: str, tmp_path: Path) -> None:
    fifo, output = tmp_path / "events.fifo", tmp_path / "alerts.jsonl"
    os.mkfifo(fifo)
    proc = replay(str(fifo), "--opa-url", opa_url, "--output-file", str(output), "--quiet",
                  "--dedup-window-ms", "0", "--batch-age-ms", "10")  # fmt: skip
    seen_while_open = threading.Event()

    def writer() -> None:
        with fifo.open("wb") as f:
            f.write(_lines(0, 3))  # one alert (seq 0), then the writer waits
            f.flush()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if output.exists() and output.read_bytes().count(b"\n") >= 1:
                    seen_while_open.set()
                    break
                time.sleep(0.05)
            f.write(_lines(3, 3))

    thread = threading.Thread(target=writer)
    thread.start()
    _, stderr = proc.communicate(timeout=120)
    thread.join()
    assert proc.returncode == 0, stderr.decode()
    assert seen_while_open.is_set(), "the alert waited for the writer to close the FIFO"
    assert seqs(output) == [0, 3]


def test_invalid_utf8_is_reported_with_file_and_line(opa_url: str, tmp_path: Path) -> None:
    recording, output = tmp_path / "rec.jsonl", tmp_path / "alerts.jsonl"
    bad = orjson.dumps(doc(1)).replace(b"/tmp/ok", b"/tmp/\xff\xfeok")
    recording.write_bytes(_lines(0, 1) + bad + b"\n" + _lines(3, 1))
    proc = replay(str(recording), "--opa-url", opa_url, "--output-file", str(output), "--quiet")
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()
    text = stderr.decode()
    assert "rec.jsonl:2: skipped: not valid UTF-8 (byte 0xff at offset " in text, text
    assert "surrogates" not in text
    assert summary_of(stderr)["source"]["decode_errors"] == 1
    assert seqs(output) == [0, 3]


def test_a_directory_is_a_clear_usage_error(tmp_path: Path) -> None:
    proc = replay(str(tmp_path))
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2 and b"is a directory" in stderr
