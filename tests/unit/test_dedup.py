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


def test_identical_events_within_window_merge() -> None:
    dedup = Deduplicator(window_s=0.1)
    assert dedup.add([ev(), ev(), ev()], now=0.0) == []
    assert dedup.add([ev()], now=0.05) == []
    assert dedup.expire(now=0.099) == []
    out = dedup.expire(now=0.1)
    assert len(out) == 1 and out[0]["repeat"] == 4
    assert (dedup.received, dedup.merged, dedup.released) == (4, 3, 1)
    # After the window closed the same event starts a new one.
    assert dedup.add([ev()], now=0.2) == []
    assert [d["repeat"] for d in dedup.flush()] == [1]


def test_differences_that_matter_keep_events_apart() -> None:
    dedup = Deduplicator(window_s=1.0)
    docs = [ev(), ev(pid=2), ev(path="/etc/shadow"), ev(ret=-2), ev(flags=1), ev(flags=2)]
    dedup.add(docs, now=0.0)
    assert len(dedup) == 6
    assert all(d["repeat"] == 1 for d in dedup.flush())


def test_key_ignores_param_order_and_time() -> None:
    a, b = ev(x=1, y=2), ev(y=2, x=1)
    a["event"]["time"], b["event"]["time"] = "t1", "t2"
    assert dedup_key(a) == dedup_key(b)


def test_release_order_is_first_seen_order() -> None:
    dedup = Deduplicator(window_s=0.1)
    dedup.add([ev(pid=1)], now=0.0)
    dedup.add([ev(pid=2)], now=0.05)
    dedup.add([ev(pid=1)], now=0.06)
    first = dedup.add([ev(pid=3)], now=0.12)
    assert [d["process"]["pid"] for d in first] == [1]
    assert first[0]["repeat"] == 2
    assert [d["process"]["pid"] for d in dedup.expire(0.25)] == [2, 3]


def test_memory_is_bounded() -> None:
    dedup = Deduplicator(window_s=10.0, max_keys=100)
    released = dedup.add([ev(pid=i) for i in range(250)], now=0.0)
    assert len(dedup) == 100
    assert [d["process"]["pid"] for d in released] == list(range(150))
    assert dedup.evicted_early == 150


def test_zero_window_disables() -> None:
    dedup = Deduplicator(window_s=0)
    out = dedup.add([ev(), ev()], now=0.0)
    assert [d["repeat"] for d in out] == [1, 1]
    assert len(dedup) == 0 and dedup.merged == 0


def test_malformed_documents_do_not_crash() -> None:
    dedup = Deduplicator(window_s=0.1)
    weird: list[dict[str, Any]] = [{}, {"event": "x", "process": None}, {"event": {"params": {1}}}]
    dedup.add(weird, now=0.0)
    assert len(dedup.flush()) == 2  # {} and the str/None one have the same (empty) identity


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        Deduplicator(window_s=-1)
