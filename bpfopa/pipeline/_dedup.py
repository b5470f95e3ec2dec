"""Deduplication: identical events within a window become at most two evaluations.

Two events are identical when the same process (pid and exe) made the same syscall with the same
path, params, fd and result. The first one passes at once (``repeat: 1``, a top-level field of
the document), so deduplication adds no latency to an alert. Its repeats inside the window are
merged into one summary document, the first repeat, whose ``repeat`` counts them all; it is
released when the window closes. Memory is bounded by ``max_keys``: past it the oldest entry is
released early.

Counters: ``received = released + merged + pending`` (``pending``: summaries not yet released).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["Deduplicator", "dedup_key"]

Document = dict[str, Any]


def _section(doc: Document, name: str) -> dict[str, Any]:
    value = doc.get(name)
    return value if isinstance(value, dict) else {}


def dedup_key(doc: Document) -> bytes:
    """The identity of an event for deduplication (compact bytes)."""
    event = _section(doc, "event")
    process = _section(doc, "process")
    fd = event.get("fd")
    identity = (
        process.get("pid"),
        process.get("exe"),
        event.get("name"),
        event.get("path"),
        event.get("params"),
        fd.get("name") if isinstance(fd, dict) else None,
        event.get("ret"),
        event.get("error"),
    )
    try:
        return orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a value orjson cannot encode: such a document is never merged
        return repr(identity).encode()


@dataclass(slots=True)
class _Held:
    deadline: float
    #: The first repeat, which carries the count of them all (None: no repeat yet).
    summary: Document | None = None


class Deduplicator:
    """Pure logic; the caller supplies the clock (seconds, monotonic).

    ``window_s == 0`` disables merging: every document passes through with ``repeat: 1``.
    """

    def __init__(self, window_s: float, max_keys: int = 65536) -> None:
        if window_s < 0 or max_keys < 1:
            raise ValueError("window_s must be >= 0 and max_keys >= 1")
        self.window_s = window_s
        self.max_keys = max_keys
        self._held: OrderedDict[bytes, _Held] = OrderedDict()
        self.received = 0
        self.merged = 0
        self.released = 0
        self.evicted_early = 0
        self._pending = 0

    def __len__(self) -> int:
        return len(self._held)

    @property
    def pending(self) -> int:
        """Summary documents held until their window closes."""
        return self._pending

    def add(self, docs: list[Document], now: float) -> list[Document]:
        """Take new documents; return the first occurrences among them at once, after the
        summaries whose window closed (oldest first)."""
        self.received += len(docs)
        if self.window_s == 0:
            for doc in docs:
                doc["repeat"] = 1
            self.released += len(docs)
            return docs
        out = self.expire(now)
        held = self._held
        for doc in docs:
            key = dedup_key(doc)
            entry = held.get(key)
            if entry is not None:
                if entry.summary is None:
                    doc["repeat"] = 1
                    entry.summary = doc
                    self._pending += 1
                else:
                    entry.summary["repeat"] += 1
                    self.merged += 1
                continue
            doc["repeat"] = 1
            out.append(doc)
            self.released += 1
            held[key] = _Held(now + self.window_s)
            if len(held) > self.max_keys:
                _, oldest = held.popitem(last=False)
                if oldest.summary is not None:
                    self.evicted_early += 1
                    self._release(oldest.summary, out)
        return out

    def _release(self, summary: Document, out: list[Document]) -> None:
        out.append(summary)
        self._pending -= 1
        self.released += 1

    def expire(self, now: float) -> list[Document]:
        """Release every summary whose window has closed; forget those keys."""
        out: list[Document] = []
        held = self._held
        while held:
            key, entry = next(iter(held.items()))
            if entry.deadline > now:
                break
            del held[key]
            if entry.summary is not None:
                self._release(entry.summary, out)
        return out

    def next_deadline(self) -> float | None:
        if not self._held:
            return None
        return next(iter(self._held.values())).deadline

    def flush(self) -> list[Document]:
        """Release every summary held (end of stream)."""
        out: list[Document] = []
        for entry in self._held.values():
            if entry.summary is not None:
                self._release(entry.summary, out)
        self._held.clear()
        return out
