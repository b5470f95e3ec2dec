"""Getting records out of the kernel, in batches.

Two transports behind one interface (:class:`Transport`): the BPF ring buffer, read by mapping it
into this process and walking its records on a timer (no wakeups: measured cheapest for the
traced processes), and BCC's perf buffer with wakeups batched every ``wakeup_events`` records.
Either way a drain returns every record that is complete, as one list.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import struct
from typing import Any, Protocol

from bpfopa._libc import LIBC

_RINGBUF_BUSY = 1 << 31
_RINGBUF_DISCARD = 1 << 30
_RINGBUF_HDR = 8
_U32 = struct.Struct("<I")


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
    """Reads a BPF_MAP_TYPE_RINGBUF directly through mmap, as libbpf's ring_buffer does.

    The consumer and producer positions are shared with the kernel, which reads and writes
    them concurrently: they are accessed as whole aligned 8-byte words through ctypes.
    (``struct.pack_into`` copies byte by byte; the kernel then read torn consumer positions,
    saw the ring as full and dropped about 5 records in 100,000 that fitted easily.)
    """

    name = "ringbuf"

    def __init__(self, map_fd: int, size: int, lost_table: Any) -> None:
        page = mmap.PAGESIZE
        self._mask = size - 1
        self._page = page
        self._size = size
        # Consumer page (ours to write), then the producer page and the data pages. The kernel
        # offers the data pages twice in a row so that zero-copy readers see a wrapped record
        # contiguous; every record is copied out here anyway, so they are mapped once and a
        # wrapped record is joined from its two pieces. Mapped pages count in the RSS operators
        # size the service by, and the second copy would count the whole ring twice.
        self._consumer_addr = _map(map_fd, page, mmap.PROT_READ | mmap.PROT_WRITE, 0)
        self._producer_addr = _map(map_fd, page + size, mmap.PROT_READ, page)
        self._consumer_pos = ctypes.c_uint64.from_address(self._consumer_addr)
        self._producer_pos = ctypes.c_uint64.from_address(self._producer_addr)
        self._data = memoryview(
            (ctypes.c_char * (page + size)).from_address(self._producer_addr)
        ).cast("B")
        self._lost_table = lost_table

    def drain(self, timeout_ms: int = 0) -> list[bytes]:
        consumer = self._consumer_pos.value
        producer = self._producer_pos.value
        records: list[bytes] = []
        data = self._data
        start = self._page
        limit = start + self._size
        mask = self._mask
        unpack = _U32.unpack_from
        while consumer < producer:
            at = start + (consumer & mask)
            header = unpack(data, at)[0]
            if header & _RINGBUF_BUSY:
                break
            length = header & ~(_RINGBUF_BUSY | _RINGBUF_DISCARD)
            if not header & _RINGBUF_DISCARD:
                begin = at + _RINGBUF_HDR  # headers are 8-aligned: never split by the wrap
                end = begin + length
                if end <= limit:
                    records.append(bytes(data[begin:end]))
                elif begin >= limit:
                    records.append(bytes(data[begin - self._size : end - self._size]))
                else:
                    records.append(bytes(data[begin:limit]) + bytes(data[start : end - self._size]))
            consumer += (length + _RINGBUF_HDR + 7) & ~7
            if len(records) & 0xFFF == 0:
                # Hand space back during a long drain, not only at its end.
                self._consumer_pos.value = consumer
        self._consumer_pos.value = consumer
        return records

    def kernel_lost_by_cpu(self) -> list[int]:
        return [int(v) for v in self._lost_table[ctypes.c_int(0)]]

    def close(self) -> None:
        self._data.release()
        _unmap(self._consumer_addr, self._page)
        _unmap(self._producer_addr, self._page + self._size)


_libc = LIBC
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_MAP_FAILED = ctypes.c_void_p(-1).value


def _map(fd: int, length: int, prot: int, offset: int) -> int:
    addr = _libc.mmap(None, length, prot, mmap.MAP_SHARED, fd, offset)
    if addr is None or addr == _MAP_FAILED:
        err = ctypes.get_errno()
        raise OSError(err, f"mmap of the ring buffer failed: {os.strerror(err)}")
    return int(addr)


def _unmap(addr: int, length: int) -> None:
    _libc.munmap(addr, length)


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
