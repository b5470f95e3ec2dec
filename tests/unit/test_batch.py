"""Batching: size and age, pure logic with an explicit clock."""

from __future__ import annotations

from typing import Any

import pytest

from bpfopa.pipeline import Batcher


def docs(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"n": i} for i in range(start, start + n)]


def test_closes_on_size() -> None:
    batcher = Batcher(max_size=3, max_age_s=1.0)
    closed = batcher.add(docs(7), now=0.0)
    assert [[d["n"] for d in b] for b in closed] == [[0, 1, 2], [3, 4, 5]]
    assert len(batcher) == 1


def test_closes_on_age_from_first_document() -> None:
    batcher = Batcher(max_size=100, max_age_s=0.05)
    assert batcher.add(docs(1), now=1.0) == []
    assert batcher.add(docs(1, 1), now=1.04) == []
    assert batcher.next_deadline() == pytest.approx(1.05)
    assert batcher.due(1.049) == []
    assert [len(b) for b in batcher.due(1.05)] == [2]
    assert batcher.next_deadline() is None


def test_aged_batch_closes_before_new_documents_join() -> None:
    batcher = Batcher(max_size=100, max_age_s=0.05)
    batcher.add(docs(2), now=0.0)
    closed = batcher.add(docs(1, 2), now=0.1)
    assert [[d["n"] for d in b] for b in closed] == [[0, 1]]
    assert [[d["n"] for d in b] for b in batcher.flush()] == [[2]]


def test_zero_age_closes_every_add() -> None:
    batcher = Batcher(max_size=10, max_age_s=0)
    assert [len(b) for b in batcher.add(docs(3), now=0.0)] == [3]


def test_flush_empty_and_counts() -> None:
    batcher = Batcher(max_size=2, max_age_s=1)
    assert batcher.flush() == []
    batcher.add(docs(5), now=0)
    batcher.flush()
    assert batcher.batches == 3


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        Batcher(max_size=0, max_age_s=1)
