"""Memory settings for a process that turns every event into short-lived dicts: the garbage
collector's thresholds, and handing freed heap back to the kernel after a burst."""

from __future__ import annotations

import asyncio
import gc

from bpfopa._libc import trim_heap

__all__ = ["release_freed_heap_periodically", "tune_garbage_collector"]

# Each event becomes a tree of dicts and lists (a document, its projection, its JSON) that
# reference counting frees as soon as the batch is answered, without cycles. With CPython's
# default threshold (700 net container allocations) the collector ran hundreds of young and
# several full collections per second of full load, each walking every live object (process
# table, queued batches): a measurable share of the pipeline's own CPU (docs/performance.md).
# Cycles still get collected, just less often.
YOUNG_THRESHOLD = 50_000
OLDER_THRESHOLDS = (20, 20)


def tune_garbage_collector() -> None:
    """Freeze what start-up built (modules, clients, tables) out of every later collection
    and raise the collection thresholds. Process-wide: called by the CLI, not the library."""
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)


async def release_freed_heap_periodically(interval_s: float = 30.0) -> None:
    """Every ``interval_s``, hand the heap malloc keeps free back to the kernel.

    A burst (a backlog while OPA is slow, a storm of execs) grows the heap with documents that
    are freed once it drains; malloc keeps those pages for reuse, so without this the RSS an
    operator sees stays at the burst's high-water mark. ``malloc_trim`` gives back whole free
    pages only (they are zero-filled again on reuse) and takes a moment of one core. Process-
    wide: started by the CLI, not the library.
    """
    while True:
        await asyncio.sleep(interval_s)
        trim_heap()
