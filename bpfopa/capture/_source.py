"""The live kernel source: probes -> poll thread -> batches -> documents.

A thread drains the kernel buffers every ``poll_interval`` and hands each drain, one list of
records, to the asyncio loop through a bounded queue (never single events: a call per event
cannot keep up). Decoding and enrichment run per batch on the loop.

Two lanes, in the kernel and here: syscall records may be dropped when the queue is full
(counted), process lifecycle records never are. A full queue keeps a batch's lifecycle records
and drops only its syscall records; lifecycle-only batches may go past the bound, up to a
reserve that only a stalled consumer can exhaust (counted apart, as ``lifecycle_queue_dropped``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import replace
from typing import Any

from bpfopa.capture._kfilter import CompiledFilter, open_pass_flags
from bpfopa.capture._lanes import LaneMerger, is_lifecycle
from bpfopa.capture._probes import (
    AttachMode,
    Pairing,
    ProbeConfig,
    Probes,
    TransportName,
    load_probes,
)
from bpfopa.enrich import DocumentBuilder
from bpfopa.errors import CaptureError
from bpfopa.schema import BY_NAME, PROCESS_STATE_SYSCALLS, with_socket_state
from bpfopa.state import CgroupResolver, Clock, ProcessTable, cgroup2_mount

log = logging.getLogger(__name__)
Doc = dict[str, Any]

_STOP = object()
_PENDING_POLL = 0.01  # seconds: how late a parked record may go out past its wait


class LiveSource:
    """Implements the pipeline's ``EventSource`` protocol on the real kernel."""

    def __init__(
        self,
        syscalls: Collection[str] | None = None,
        exclude_pids: Collection[int] = (),
        attach: AttachMode = "tracepoint",
        transport: TransportName = "ringbuf",
        pairing: Pairing = "registers",
        target_pid: int | None = None,
        queue_batches: int = 1024,
        poll_interval: float = 0.002,
        lifecycle_reserve: int = 8192,
    ) -> None:
        wanted = set(BY_NAME) if syscalls is None else set(syscalls)
        unknown = wanted - BY_NAME.keys()
        if unknown:
            raise ValueError(f"unknown syscalls: {', '.join(sorted(unknown))}")
        self._selected = with_socket_state(frozenset(wanted))
        self._config = ProbeConfig(
            syscalls=self._selected | PROCESS_STATE_SYSCALLS,
            attach=attach,
            transport=transport,
            pairing=pairing,
            target_pid=target_pid,
            exclude_pids=frozenset({os.getpid(), *exclude_pids}),
        )
        self._queue_batches = queue_batches
        # Lifecycle-only batches allowed past the bound: each is one poll's (a few records),
        # so 8192 is ~16 s of polls with the consumer stalled, far beyond any other alarm.
        self._lifecycle_reserve = lifecycle_reserve
        self._poll_interval = poll_interval
        self._probes: Probes | None = None
        # Unbounded as a queue: the bound is applied by _hand_over, per lane.
        self._queue: asyncio.Queue[list[bytes] | object] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._counters: dict[str, int] = {
            "records": 0,
            "documents": 0,
            "queue_dropped": 0,
            "queue_dropped_batches": 0,
            "decode_errors": 0,
            "kernel_lost": 0,
            "lifecycle_records": 0,
            "lifecycle_kernel_lost": 0,
            "lifecycle_queue_dropped": 0,
        }
        self._clock = Clock()
        self.table = ProcessTable(clock=self._clock, cgroups=CgroupResolver(cgroup2_mount()))
        self._builder: DocumentBuilder | None = None  # needs the probes' architecture

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._probes = await loop.run_in_executor(None, load_probes, self._config)
        self._builder = DocumentBuilder(self.table, self._clock, self._probes.arch)
        self._probes.enable(self._selected | PROCESS_STATE_SYSCALLS)
        await loop.run_in_executor(None, self.table.seed)
        self._queue = asyncio.Queue()
        self._thread = threading.Thread(
            target=self._poll, args=(loop,), name="bpfopa-poll", daemon=True
        )
        self._thread.start()

    @property
    def probes(self) -> Probes:
        if self._probes is None:
            raise RuntimeError("source not started")
        return self._probes

    async def stop(self) -> None:
        """Stop reading; what is already buffered is still delivered by :meth:`batches`."""
        self._stopping.set()
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join)

    async def aclose(self) -> None:
        await self.stop()
        if self._probes is not None:
            probes, self._probes = self._probes, None
            await asyncio.get_running_loop().run_in_executor(None, probes.close)

    # --- the poll thread ----------------------------------------------------------------------

    def _poll(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self._probes is not None
        transport = self._probes.transport
        lifecycle = self._probes.lifecycle
        merger = LaneMerger(ordered=transport.name == "ringbuf")
        try:
            while True:
                stopping = self._stopping.is_set()
                # Syscalls first, lifecycle second: see capture/_lanes.py.
                records = transport.drain(0 if stopping else 2)
                batch, n_lifecycle = merger.merge(records, lifecycle.drain(0))
                if stopping and not batch:
                    batch = merger.flush()
                    n_lifecycle = len(batch)
                if batch:
                    loop.call_soon_threadsafe(self._hand_over, batch, n_lifecycle)
                elif stopping:
                    break
                elif transport.name == "ringbuf" and not merger.held:
                    time.sleep(self._poll_interval)
        except Exception as exc:
            # Handed to batches(), which raises it: the run fails loudly (non-zero exit, the
            # reason on stderr) instead of ending the stream as if capture had finished.
            log.exception("kernel poll thread failed")
            loop.call_soon_threadsafe(
                self._hand_over, CaptureError(f"kernel poll thread crashed: {exc!r}"), 0
            )
        else:
            loop.call_soon_threadsafe(self._hand_over, _STOP, 0)

    def _hand_over(self, item: list[bytes] | object, n_lifecycle: int) -> None:
        assert self._queue is not None
        if not isinstance(item, list):  # the stop marker always gets through
            self._queue.put_nowait(item)
            return
        self._counters["lifecycle_records"] += n_lifecycle
        size = self._queue.qsize()
        if size < self._queue_batches:
            self._queue.put_nowait(item)
            return
        self._counters["queue_dropped_batches"] += 1
        self._counters["queue_dropped"] += len(item) - n_lifecycle
        if not n_lifecycle:
            return
        if size >= self._queue_batches + self._lifecycle_reserve:
            self._counters["lifecycle_queue_dropped"] += n_lifecycle
            log.error("process lifecycle records dropped: the decoder has stalled")
            return
        self._queue.put_nowait([record for record in item if is_lifecycle(record)])

    # --- the EventSource protocol -------------------------------------------------------------

    async def batches(self) -> AsyncIterator[list[Doc]]:
        assert self._queue is not None, "start() first"
        builder = self._builder
        assert builder is not None, "start() first"
        while True:
            if len(builder.pending):  # parked records must go out on time even when idle
                try:
                    item = await asyncio.wait_for(self._queue.get(), _PENDING_POLL)
                except TimeoutError:
                    item = []
            else:
                item = await self._queue.get()
            if isinstance(item, CaptureError):
                raise item
            if not isinstance(item, list):
                return
            self._counters["records"] += len(item)
            docs = builder.build(item)
            if docs:
                self._counters["documents"] += len(docs)
                yield docs

    def counters(self) -> Mapping[str, int]:
        counters = dict(self._counters)
        counters["decode_errors"] = self._builder.stats.malformed if self._builder else 0
        counters["unknown_syscalls"] = self._builder.stats.unknown_syscalls if self._builder else 0
        counters["process_table_size"] = len(self.table)
        counters.update(self.table.stats.counters())
        if self._builder is not None:
            pending = self._builder.pending.stats
            counters["pending_parked"] = pending.parked
            counters["pending_resolved"] = pending.resolved
            counters["pending_expired"] = pending.expired
            counters["pending_overflow"] = pending.overflow
        if self._probes is not None:
            counters["kernel_lost"] = sum(self._probes.transport.kernel_lost_by_cpu())
            # observed = kernel_filtered + records + kernel_lost
            filtered = self._probes.filtered_by_syscall()
            counters["kernel_filtered"] = sum(filtered.values())
            for name, count in filtered.items():
                counters[f"kernel_filtered.{name}"] = count
            counters["lifecycle_kernel_lost"] = sum(self._probes.lifecycle.kernel_lost_by_cpu())
        return counters

    @property
    def open_pass_flags(self) -> int:
        """The open flags whose records the kernel filter always keeps, on this machine."""
        return open_pass_flags(self.probes.arch)

    def set_kernel_filter(self, compiled: CompiledFilter | None) -> None:
        """Load the kernel filter's tables into the probes (None: filter nothing)."""
        self.probes.set_kernel_filter(compiled)

    def kernel_lost_by_cpu(self) -> list[int]:
        return self.probes.transport.kernel_lost_by_cpu()

    def exclude_pid(self, pid: int) -> None:
        """Stop capturing ``pid`` (before :meth:`start`, it is excluded from the first event)."""
        if self._probes is None:
            self._config = replace(self._config, exclude_pids=self._config.exclude_pids | {pid})
        else:
            self._probes.exclude_pid(pid)

    def select_syscalls(self, names: Collection[str]) -> None:
        """Capture exactly ``names`` (plus what process state needs) from now on: newly named
        syscalls are attached, the others switched off in the kernel's syscall map."""
        known = {name for name in names if name in BY_NAME}
        ignored = set(names) - known
        if ignored:
            log.warning(
                "bpfopa does not capture these syscalls (yet): %s", ", ".join(sorted(ignored))
            )
        self._selected = with_socket_state(frozenset(known))
        wanted = self._selected | PROCESS_STATE_SYSCALLS
        if self._probes is None:  # before start: attach just these
            self._config = replace(self._config, syscalls=frozenset(wanted))
            return
        self._probes.attach_syscalls(wanted)
        self._probes.enable(wanted)


def open_live_source(
    syscalls: Collection[str] | None,
    exclude_pids: Collection[int],
    attach: str = "tracepoint",
    target_pid: int | None = None,
) -> LiveSource:
    """The source ``bpfopa run`` uses. With ``syscalls`` None the policies choose: only what
    process state needs is attached at start, and :meth:`LiveSource.select_syscalls` attaches
    the policies' set, so syscalls no rule reads never pay for a probe."""
    if attach not in ("tracepoint", "raw"):
        raise ValueError(f"attach mode must be tracepoint or raw, not {attach!r}")
    mode: AttachMode = "raw" if attach == "raw" else "tracepoint"
    return LiveSource(
        syscalls=PROCESS_STATE_SYSCALLS if syscalls is None else syscalls,
        exclude_pids=exclude_pids,
        attach=mode,
        target_pid=target_pid,
    )
