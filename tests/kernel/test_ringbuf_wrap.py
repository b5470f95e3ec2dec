"""The ring buffer's data pages are mapped once: a record that wraps past the end of the ring is
joined from its two pieces. A one-page ring, records of every length, read in lock-step with
the writer so nothing is lost: every record must come out whole and in order."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from bpfopa.capture._probes import ProbeConfig, load_probes

ROUNDS = 300
PER_ROUND = 4

# Opens of paths that do not exist, each of a different length, in rounds of PER_ROUND; the
# writer waits for the reader after each round so a one-page ring never overflows.
WRITER = textwrap.dedent(
    """
    import os, sys
    base, rounds, per_round = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    for r in range(rounds):
        sys.stdin.readline()
        for k in range(per_round):
            i = r * per_round + k
            try:
                os.open(f"{base}/wrap-{i}-" + "x" * (i * 7 % 181), os.O_RDONLY)
            except FileNotFoundError:
                pass
        sys.stdout.write("round\\n"); sys.stdout.flush()
    sys.stdin.readline()
    """
)


def test_records_that_wrap_come_out_whole(tmp_path: Path) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path), str(ROUNDS), str(PER_ROUND)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdin is not None and writer.stdout is not None
    assert writer.stdout.readline() == "ready\n"
    probes = load_probes(
        ProbeConfig(syscalls=frozenset({"openat"}), ringbuf_pages=1, target_pid=writer.pid)
    )
    seen: list[bytes] = []
    try:
        for _ in range(ROUNDS):
            writer.stdin.write("go\n")
            writer.stdin.flush()
            assert writer.stdout.readline() == "round\n"
            for record in probes.transport.drain(0):
                if b"/wrap-" in record:
                    seen.append(record)
        assert sum(probes.transport.kernel_lost_by_cpu()) == 0
    finally:
        writer.stdin.write("\n")
        writer.stdin.close()
        writer.wait(10)
        probes.close()

    assert len(seen) == ROUNDS * PER_ROUND
    total = 0
    for i, record in enumerate(seen):
        path = f"{tmp_path}/wrap-{i}-".encode() + b"x" * (i * 7 % 181)
        at = record.find(path)
        assert at >= 0, f"record {i} is not whole: {record!r}"
        # The path ends there: the record ends, or the string's terminator follows.
        assert record[at + len(path) : at + len(path) + 1] in (b"", b"\0"), record
        total += len(record) + 8
    # The records went round the one-page ring many times, so many of them wrapped.
    assert total > 20 * 4096
