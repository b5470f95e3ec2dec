"""Two kernel lanes, one stream: lifecycle records put back among the syscall records.

Fork, exec and exit records travel in a ring of their own so that a syscall flood cannot crowd
them out, but the process table must apply them in kernel order: a syscall made right after an
exec belongs to the new image, one made just before it to the old. Each poll drains the syscall
lane first and the lifecycle lane second, so every lifecycle record older than the last syscall
record drained is already in hand; those are put in place by timestamp. A lifecycle record newer
than that may still have older syscall records on their way: it waits for the next poll, whose
syscall drain starts after it was written, and is placed then.
"""

from __future__ import annotations

from bisect import bisect_right

from bpfopa.wire import HEADER, Opcode

_TS_OFFSET = 8  # struct event_header.ts
_SYSCALL = int(Opcode.SYSCALL)


def record_ts(record: bytes) -> int:
    return int.from_bytes(record[_TS_OFFSET : _TS_OFFSET + 8], "little")


def is_lifecycle(record: bytes) -> bool:
    return len(record) >= HEADER.size and record[0] != _SYSCALL


class LaneMerger:
    """Merges each poll's two drains into one batch in kernel-time order.

    ``ordered`` says whether the syscall lane arrives in (nearly) timestamp order, as one ring
    buffer does; per-CPU perf buffers do not, and their batch is sorted whole.
    """

    def __init__(self, ordered: bool = True) -> None:
        self._ordered = ordered
        self._held: list[bytes] = []

    @property
    def held(self) -> int:
        """Lifecycle records waiting for the next poll."""
        return len(self._held)

    def merge(self, records: list[bytes], lifecycle: list[bytes]) -> tuple[list[bytes], int]:
        """(the batch, how many lifecycle records it holds)."""
        due, self._held = self._held, []
        if lifecycle:
            if records:
                newest = record_ts(records[-1])
                for record in lifecycle:
                    (due if record_ts(record) <= newest else self._held).append(record)
            else:
                self._held = list(lifecycle)
        if not due:
            return records, 0
        if not records:
            return due, len(due)
        if not self._ordered:
            return sorted(records + due, key=record_ts), len(due)
        due.sort(key=record_ts)
        merged: list[bytes] = []
        start = 0
        for record in due:
            at = bisect_right(records, record_ts(record), lo=start, key=record_ts)
            merged.extend(records[start:at])
            merged.append(record)
            start = at
        merged.extend(records[start:])
        return merged, len(due)

    def flush(self) -> list[bytes]:
        """What is still held (at the end of the capture)."""
        held, self._held = self._held, []
        return held
