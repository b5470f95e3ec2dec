"""Batching: a batch closes when it reaches ``max_size`` documents or ``max_age_s`` seconds."""

from __future__ import annotations

from typing import Any

__all__ = ["Batcher"]

Document = dict[str, Any]


class Batcher:
    """Pure logic; the caller supplies the clock (seconds, monotonic).

    The age of a batch counts from its first document, so a lone event waits at most
    ``max_age_s`` before it is evaluated.
    """

    def __init__(self, max_size: int, max_age_s: float) -> None:
        if max_size < 1 or max_age_s < 0:
            raise ValueError("max_size must be >= 1 and max_age_s >= 0")
        self.max_size = max_size
        self.max_age_s = max_age_s
        self._open: list[Document] = []
        self._opened_at = 0.0
        self.batches = 0

    def __len__(self) -> int:
        return len(self._open)

    def add(self, docs: list[Document], now: float) -> list[list[Document]]:
        """Take documents; return the batches that closed (full, or aged out before these)."""
        closed = self.due(now)
        for doc in docs:
            if not self._open:
                self._opened_at = now
            self._open.append(doc)
            if len(self._open) >= self.max_size:
                closed.append(self._take())
        if self._open and self.max_age_s == 0:
            closed.append(self._take())
        return closed

    def due(self, now: float) -> list[list[Document]]:
        """The open batch if it has aged out, else nothing."""
        if self._open and now - self._opened_at >= self.max_age_s:
            return [self._take()]
        return []

    def next_deadline(self) -> float | None:
        return self._opened_at + self.max_age_s if self._open else None

    def flush(self) -> list[list[Document]]:
        return [self._take()] if self._open else []

    def _take(self) -> list[Document]:
        batch, self._open = self._open, []
        self.batches += 1
        return batch
