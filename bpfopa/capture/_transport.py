"""Getting records out of the kernel, in batches.

Two transports behind one interface (:class:`Transport`): the BPF ring buffer, read by mapping it
into this process and walking its records on a timer (no wakeups: measured cheapest for the
traced processes), and BCC's perf buffer with wakeups batched every ``wakeup_events`` records.
Either way a drain returns every record that is complete, as one list.
"""

from __future__ import annotations

import ctypes
import mmap
import struct
from typing import Any, Protocol

_RINGBUF_BUSY = 1 << 31
_RINGBUF_DISCARD = 1 << 30
_RINGBUF_HDR = 8
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class Transport(Protocol):
    name: str

    def drain(self, timeout_ms: int) -> list[bytes]:
        """Every complete record now in the buffer (waiting up to ``timeout_ms`` if supported)."""
        ...

    def kernel_lost_by_cpu(self) -> list[int]:
        """Records the kernel could not hand over, per CPU."""
        ...

    def close(self) -> None: ...


class RingBufferReader:
    """Reads a BPF_MAP_TYPE_RINGBUF directly through mmap, as libbpf's ring_buffer does."""

    name = "ringbuf"

    def __init__(self, map_fd: int, size: int, lost_table: Any) -> None:
        page = mmap.PAGESIZE
        self._mask = size - 1
        self._consumer = mmap.mmap(
            map_fd, page, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0
        )
        # Producer page, then the data pages mapped twice in a row: a record that wraps is
        # still contiguous.
        self._producer = mmap.mmap(
            map_fd, page + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ, offset=page
        )
        self._data_start = page
        self._lost_table = lost_table

    def drain(self, timeout_ms: int = 0) -> list[bytes]:
        consumer = _U64.unpack_from(self._consumer, 0)[0]
        producer = _U64.unpack_from(self._producer, 0)[0]
        records: list[bytes] = []
        data = self._producer
        start = self._data_start
        mask = self._mask
        unpack = _U32.unpack_from
        while consumer < producer:
            at = start + (consumer & mask)
            header = unpack(data, at)[0]
            if header & _RINGBUF_BUSY:
                break
            length = header & ~(_RINGBUF_BUSY | _RINGBUF_DISCARD)
            if not header & _RINGBUF_DISCARD:
                records.append(data[at + _RINGBUF_HDR : at + _RINGBUF_HDR + length])
            consumer += (length + _RINGBUF_HDR + 7) & ~7
            if len(records) & 0xFFF == 0:
                # Hand space back during a long drain, not only at its end.
                _U64.pack_into(self._consumer, 0, consumer)
        _U64.pack_into(self._consumer, 0, consumer)
        return records

    def kernel_lost_by_cpu(self) -> list[int]:
        return [int(v) for v in self._lost_table[ctypes.c_int(0)]]

    def close(self) -> None:
        self._consumer.close()
        self._producer.close()


class PerfBufferReader:
    """BCC's per-CPU perf buffers, one callback per record collected into a list."""

    name = "perf"

    def __init__(
        self, bpf: Any, table_name: str, lost_table: Any, page_cnt: int, wakeup_events: int
    ) -> None:
        self._bpf = bpf
        self._pending: list[bytes] = []
        self._lost_cb_total = 0
        self._lost_table = lost_table

        def on_record(_cpu: int, data: int, size: int) -> None:
            self._pending.append(ctypes.string_at(data, size))

        def on_lost(count: int) -> None:
            self._lost_cb_total += count

        bpf[table_name.encode()].open_perf_buffer(
            on_record, page_cnt=page_cnt, lost_cb=on_lost, wakeup_events=wakeup_events
        )

    @property
    def lost_reported_by_perf(self) -> int:
        return self._lost_cb_total

    def drain(self, timeout_ms: int = 0) -> list[bytes]:
        self._bpf.perf_buffer_poll(timeout=timeout_ms)
        # With wakeups batched, fewer than wakeup_events records wake nobody: collect them too.
        self._bpf.perf_buffer_consume()
        records, self._pending = self._pending, []
        return records

    def kernel_lost_by_cpu(self) -> list[int]:
        return [int(v) for v in self._lost_table[ctypes.c_int(0)]]

    def close(self) -> None:
        pass
