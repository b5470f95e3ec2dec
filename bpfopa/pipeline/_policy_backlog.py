"""The policy stage's backlog: batches waiting for OPA to evaluate again, oldest first,
bounded in events.

Apart from the stage so that the stage reads as what it does with OPA (send, probe, recover)
and this as the bookkeeping of what waits: the event count always equal to what the batches
hold, and every document that does not fit counted as dropped.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from bpfopa.pipeline._channel import StageStats

__all__ = ["Backlog", "Batch"]

Document = dict[str, Any]


@dataclass(eq=False, slots=True)
class Batch:
    """Documents sent to OPA in one request, and how often that request has failed."""

    docs: list[Document]
    attempts: int = 0


class Backlog:
    """Batches in order, at most ``capacity`` events; the excess is dropped and counted in
    ``stats`` as ``opa_unavailable``."""

    def __init__(self, capacity: int, stats: StageStats) -> None:
        self._batches: deque[Batch] = deque()
        self._capacity = capacity
        self._stats = stats
        #: The documents the batches hold.
        self.events = 0

    def __bool__(self) -> bool:
        return bool(self._batches)

    def __contains__(self, batch: object) -> bool:
        return batch in self._batches

    def put(self, batch: Batch, *, front: bool = False) -> None:
        """Queue ``batch`` (``front``: first, a failed batch keeps its place); what does not
        fit is dropped from its end."""
        room = self._capacity - self.events
        if room < len(batch.docs):
            self._stats.drop("opa_unavailable", len(batch.docs) - max(room, 0))
            batch.docs = batch.docs[: max(room, 0)]
        if not batch.docs:
            return
        if front:
            self._batches.appendleft(batch)
        else:
            self._batches.append(batch)
        self.events += len(batch.docs)

    def head(self, limit: int | None) -> Batch:
        """The first batch, first cut to ``limit`` documents (the rest stays second)."""
        head = self._batches[0]
        if limit is not None and len(head.docs) > limit:
            rest = Batch(head.docs[limit:], head.attempts)
            head.docs = head.docs[:limit]
            self._batches.insert(1, rest)
        return head

    def pop_head(self, limit: int | None) -> Batch:
        """Take the first batch, cut to ``limit`` documents."""
        batch = self.head(limit)
        self.events -= len(batch.docs)
        self._batches.popleft()
        return batch

    def remove(self, batch: Batch) -> None:
        """Take ``batch`` out, wherever it is (no-op if it is not queued)."""
        if batch in self._batches:
            self._batches.remove(batch)
            self.events -= len(batch.docs)

    def split(self, batch: Batch) -> int:
        """Replace ``batch`` (queued, of two or more documents) by its halves in its place;
        returns the size of the first half."""
        index = self._batches.index(batch)
        del self._batches[index]
        middle = len(batch.docs) // 2
        self._batches.insert(index, Batch(batch.docs[middle:]))
        self._batches.insert(index, Batch(batch.docs[:middle]))
        return middle

    def clear(self) -> None:
        self._batches.clear()
        self.events = 0
