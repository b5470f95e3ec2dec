"""Deduplication: pure logic with an explicit clock."""

from __future__ import annotations

from typing import Any

import pytest

from bpfopa.pipeline import Deduplicator, dedup_key


def ev(pid: int = 1, path: str = "/etc/passwd", ret: int = 3, **params: Any) -> dict[str, Any]:
    return {
        "event": {"name": "openat", "path": path, "ret": ret, "error": None, "params": params},
        "process": {"pid": pid, "exe": "/usr/bin/cat"},
    }


def books(dedup: Deduplicator) -> tuple[int, int]:
    return dedup.received, dedup.released + dedup.merged + dedup.pending


def test_first_occurrence_passes_at_once_and_repeats_merge() -> None:
    dedup = Deduplicator(window_s=0.1)
    first = dedup.add([ev(), ev(), ev()], now=0.0)
    assert [d["repeat"] for d in first] == [1]  # no wait for the window
    assert dedup.add([ev()], now=0.05) == []
    assert dedup.expire(now=0.099) == []
    out = dedup.expire(now=0.1)
    # The three repeats become one summary document counting them.
    assert len(out) == 1 and out[0]["repeat"] == 3
    assert (dedup.received, dedup.merged, dedup.released, dedup.pending) == (4, 2, 2, 0)
    # After the window closed the same event passes at once again.
    assert [d["repeat"] for d in dedup.add([ev()], now=0.2)] == [1]
    assert dedup.flush() == []
    assert books(dedup) == (5, 5)


def test_no_repeat_no_summary() -> None:
    dedup = Deduplicator(window_s=0.1)
    assert len(dedup.add([ev(pid=1), ev(pid=2)], now=0.0)) == 2
    assert dedup.expire(now=1.0) == [] and len(dedup) == 0


def test_differences_that_matter_keep_events_apart() -> None:
    dedup = Deduplicator(window_s=1.0)
    docs = [ev(), ev(pid=2), ev(path="/etc/shadow"), ev(ret=-2), ev(flags=1), ev(flags=2)]
    out = dedup.add(docs, now=0.0)
    assert len(out) == 6 and len(dedup) == 6
    assert all(d["repeat"] == 1 for d in out)
    assert dedup.flush() == []


def test_key_ignores_param_order_and_time() -> None:
    a, b = ev(x=1, y=2), ev(y=2, x=1)
    a["event"]["time"], b["event"]["time"] = "t1", "t2"
    assert dedup_key(a) == dedup_key(b)


def test_summaries_are_released_in_first_seen_order() -> None:
    dedup = Deduplicator(window_s=0.1)
    dedup.add([ev(pid=1)], now=0.0)
    dedup.add([ev(pid=2)], now=0.05)
    dedup.add([ev(pid=1), ev(pid=2)], now=0.06)
    first = dedup.add([ev(pid=3)], now=0.12)
    # pid 1's window closed: its summary comes before pid 3's first occurrence.
    assert [(d["process"]["pid"], d["repeat"]) for d in first] == [(1, 1), (3, 1)]
    dedup.add([ev(pid=3)], now=0.13)
    assert [d["process"]["pid"] for d in dedup.expire(0.25)] == [2, 3]
    assert books(dedup) == (6, 6)


def test_memory_is_bounded() -> None:
    dedup = Deduplicator(window_s=10.0, max_keys=100)
    passed = dedup.add([ev(pid=i) for i in range(250)], now=0.0)
    assert len(dedup) == 100 and len(passed) == 250
    # A key evicted early with repeats releases its summary at once.
    dedup.add([ev(pid=249)], now=1.0)
    released = dedup.add([ev(pid=i) for i in range(1000, 1100)], now=1.0)
    assert [d["process"]["pid"] for d in released if d["process"]["pid"] < 1000] == [249]
    assert dedup.evicted_early == 1 and books(dedup) == (351, 351)


def test_zero_window_disables() -> None:
    dedup = Deduplicator(window_s=0)
    out = dedup.add([ev(), ev()], now=0.0)
    assert [d["repeat"] for d in out] == [1, 1]
    assert len(dedup) == 0 and dedup.merged == 0


def test_malformed_documents_do_not_crash() -> None:
    dedup = Deduplicator(window_s=0.1)
    weird: list[dict[str, Any]] = [{}, {"event": "x", "process": None}, {"event": {"params": {1}}}]
    assert len(dedup.add(weird, now=0.0)) == 2
    # {} and the str/None one have the same (empty) identity: the second is a repeat.
    assert [d["repeat"] for d in dedup.flush()] == [1]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        Deduplicator(window_s=-1)
