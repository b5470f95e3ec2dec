"""ReplaySource on hostile recordings: every bad line counted, never fatal, memory bounded."""

from __future__ import annotations

from pathlib import Path

import orjson

from bpfopa.pipeline import EventSource, ReplaySource


async def collect(source: ReplaySource) -> list[int]:
    await source.start()
    seen: list[int] = []
    async for batch in source.batches():
        seen.extend(doc["n"] for doc in batch)
    return seen


async def test_bad_lines_are_counted_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    good = [orjson.dumps({"n": i}) for i in range(5)]
    path.write_bytes(
        good[0] + b"\n"
        + b"{broken\n"
        + b"[1, 2, 3]\n"
        + b"\n"
        + good[1] + b"\n"
        + b'{"n": "\xff\xfe"}\n'  # not UTF-8: orjson refuses it
        + b'{"pad": "' + b"x" * 500 + b'"}\n'  # over the 100-byte limit below
        + good[2] + b"\n"
        + good[3] + b"\n"
        + good[4]  # no final newline
    )  # fmt: skip
    source = ReplaySource(path, chunk_size=3, max_line_bytes=100)
    assert isinstance(source, EventSource)
    assert await collect(source) == [0, 1, 2, 3, 4]
    counters = source.counters()
    assert counters["events"] == 5
    assert counters["decode_errors"] == 4  # broken, array, non-UTF-8, oversized
    assert counters["oversized_lines"] == 1
    assert counters["blank_lines"] == 1
    assert counters["lines"] == 10


async def test_stop_ends_after_the_current_chunk(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"n": i}) + b"\n" for i in range(100)))
    source = ReplaySource(path, chunk_size=10)
    await source.start()
    seen: list[int] = []
    async for batch in source.batches():
        seen.extend(doc["n"] for doc in batch)
        await source.stop()
    assert seen == list(range(10))
    source.exclude_pid(1)  # no-ops for a recording
    source.select_syscalls(["openat"])
