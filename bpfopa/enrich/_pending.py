"""Syscall records parked until their process (or its parent) is known.

Tetragon's eventcache: a record naming a pid that neither the table nor /proc knows may be
ahead of the lifecycle record that introduces it. It waits, briefly and in a bounded set, for
a fork or exec of the pid it lacks; past its deadline it goes out with what is known, flagged.
Later records of a process with parked records are parked behind them, so that its documents
stay in order.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(slots=True)
class PendingStats:
    parked: int = 0
    resolved: int = 0  # a lifecycle record made the process known
    expired: int = 0  # emitted after the wait with what was known (flagged incomplete)
    overflow: int = 0  # the set was full: emitted at once (flagged incomplete)


class PendingSet:
    def __init__(self, wait_ns: int, limit: int) -> None:
        self._wait_ns = wait_ns
        self._limit = limit
        self._records: dict[int, deque[tuple[int, int, bytes]]] = {}  # missing: (deadline, pid, r)
        self._parked_pids: dict[int, int] = {}  # record pid -> records parked
        self._size = 0
        self.stats = PendingStats()

    def __len__(self) -> int:
        return self._size

    def holds(self, pid: int) -> bool:
        """Whether records of ``pid`` are parked (its next ones must queue behind them)."""
        return pid in self._parked_pids

    def park(self, missing: int, pid: int, record: bytes, ts: int) -> bool:
        """Park ``record`` (of process ``pid``) until ``missing`` is known; False when full."""
        if self._size >= self._limit:
            self.stats.overflow += 1
            return False
        self._records.setdefault(missing, deque()).append((ts + self._wait_ns, pid, record))
        self._parked_pids[pid] = self._parked_pids.get(pid, 0) + 1
        self._size += 1
        self.stats.parked += 1
        return True

    def take(self, missing: int) -> list[bytes]:
        """The records waiting for ``missing``, which is now known."""
        waiting = self._records.pop(missing, None)
        if not waiting:
            return []
        self.stats.resolved += len(waiting)
        return self._release(list(waiting))

    def due(self, now_ns: int) -> list[bytes]:
        """The records whose wait is over, oldest first."""
        out: list[tuple[int, int, bytes]] = []
        for missing in list(self._records):
            waiting = self._records[missing]
            while waiting and waiting[0][0] <= now_ns:
                out.append(waiting.popleft())
            if not waiting:
                del self._records[missing]
        self.stats.expired += len(out)
        out.sort(key=lambda parked: parked[0])
        return self._release(out)

    def _release(self, parked: list[tuple[int, int, bytes]]) -> list[bytes]:
        for _, pid, _record in parked:
            left = self._parked_pids[pid] - 1
            if left:
                self._parked_pids[pid] = left
            else:
                del self._parked_pids[pid]
        self._size -= len(parked)
        return [record for _, _, record in parked]
