"""Container metadata per container id: asked of the runtimes once, cached, evicted on removal.

A runtime is a Docker Engine API socket (Docker, podman, cri-dockerd nodes) or a CRI one
(containerd, CRI-O): which one a socket serves is found by asking (``runtime/_connect.py``).

:meth:`ContainerMetadata.lookup` never waits: it answers from the cache, or starts one lookup
in the background and answers None ("not yet"). The pipeline's container stage parks the
events of a container not known yet for a bounded time and lets them go "late" after that.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import Counter, OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from bpfopa.errors import RuntimeApiError
from bpfopa.runtime._connect import DEFAULT_SOCKETS, connect
from bpfopa.runtime._engine import EngineClient
from bpfopa.runtime._engine_source import EngineSource
from bpfopa.runtime._metadata import container_doc

__all__ = ["ContainerMetadata"]

log = logging.getLogger(__name__)

Doc = dict[str, Any]
if TYPE_CHECKING:  # gRPC is imported only when a CRI runtime answers (see _connect)
    from bpfopa.runtime._cri_metadata import CriSource

#: A runtime the cache asks: ``describe``, ``removals``, ``socket``, ``aclose``.
Source: TypeAlias = "EngineSource | CriSource"


class ContainerMetadata:
    """The runtime's view of each container, keyed by full container id.

    Documents handed out are shared between events of one container: callers must not change
    them. A container no engine knows (another runtime's, or gone) is retried after
    ``retry_after_s``; the cache holds at most ``max_containers`` (least recently used go
    first), and a container leaves it when its runtime reports it removed (a CRI runtime
    without an event stream: found by listing every ``reconcile_s``).
    """

    def __init__(
        self,
        sockets: Sequence[Path] = DEFAULT_SOCKETS,
        *,
        timeout_s: float = 5.0,
        retry_after_s: float = 5.0,
        max_containers: int = 4096,
        reconcile_s: float = 10.0,
        start_wait_s: float = 2.0,
    ) -> None:
        self.sockets = tuple(sockets)
        self.engines: list[str] = []
        #: Why there is no metadata beyond cgroup ids, when no engine answered.
        self.unavailable_reason: str | None = "not started"
        self.counters: Counter[str] = Counter()
        self._timeout_s = timeout_s
        self._start_wait_s = start_wait_s
        self._retry_after = retry_after_s
        self._max = max_containers
        self._reconcile_s = reconcile_s
        self._clients: list[Source] = []
        # full id -> (document, loop time after which to ask again, or None: never)
        self._known: OrderedDict[str, tuple[Doc, float | None]] = OrderedDict()
        self._lookups: dict[str, asyncio.Task[None]] = {}
        self._watchers: list[asyncio.Task[None]] = []
        self._errors_logged = 0

    async def start(self) -> None:
        """Find the runtimes that answer; says once in the log when none does."""
        tried: list[str] = []
        for path in self.sockets:
            if not path.exists():
                tried.append(f"{path}: absent")
                continue
            try:
                client, name = await connect(path, self._timeout_s, self._reconcile_s)
            except RuntimeApiError as exc:
                tried.append(str(exc))
                continue
            if isinstance(client, EngineClient):
                self._clients.append(
                    EngineSource(
                        client,
                        self.counters,
                        start_wait_s=self._start_wait_s,
                        max_entries=self._max,
                    )
                )
            else:
                from bpfopa.runtime._cri_metadata import CriSource  # lazily: see above

                self._clients.append(CriSource(client, self._max))
            self.engines.append(f"{name} at {path}")
        if not self._clients:
            self.unavailable_reason = "no container runtime answers (" + "; ".join(tried) + ")"
            log.warning(
                "%s: containers get cgroup-derived ids only (see --runtime-socket)",
                self.unavailable_reason,
            )
            return
        self.unavailable_reason = None
        self._watchers = [
            asyncio.create_task(self._watch_removals(c), name=f"runtime-events:{c.socket}")
            for c in self._clients
        ]

    async def aclose(self) -> None:
        tasks = [*self._watchers, *self._lookups.values()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for client in self._clients:
            await client.aclose()
        self._clients.clear()

    def __len__(self) -> int:
        return len(self._known)

    def lookup(self, base: Doc) -> Doc | None:
        """The container's document, or None while its lookup runs (one is started here).

        ``base`` is the cgroup-derived ``{"id", "full_id", "runtime"}``.
        """
        full_id = base["full_id"]
        entry = self._known.get(full_id)
        if entry is not None:
            doc, retry_at = entry
            if retry_at is None or retry_at > asyncio.get_running_loop().time():
                return doc
            del self._known[full_id]
        if not self._clients:
            doc = container_doc(base, "unavailable")
            self._store(full_id, doc, None)
            return doc
        if full_id not in self._lookups:
            self.counters["lookups"] += 1
            task = asyncio.create_task(self._resolve(base), name=f"runtime-lookup:{base['id']}")
            self._lookups[full_id] = task
            task.add_done_callback(functools.partial(self._lookup_done, full_id))
        return None

    def _lookup_done(self, full_id: str, _task: asyncio.Task[None]) -> None:
        self._lookups.pop(full_id, None)

    def _store(self, full_id: str, doc: Doc, retry_at: float | None) -> None:
        self._known[full_id] = (doc, retry_at)
        self._known.move_to_end(full_id)
        while len(self._known) > self._max:
            self._known.popitem(last=False)
            self.counters["evicted_lru"] += 1

    def evict(self, full_id: str) -> None:
        """The container is gone: forget it."""
        if self._known.pop(full_id, None) is not None:
            self.counters["evicted_removed"] += 1

    async def _resolve(self, base: Doc) -> None:
        """Ask each runtime in turn; one that fails does not keep the next from answering."""
        full_id = base["full_id"]
        loop = asyncio.get_running_loop()
        failed = False
        for client in self._clients:
            try:
                doc = await client.describe(base)
            except RuntimeApiError as exc:
                failed = True
                self.counters["errors"] += 1
                if self._errors_logged < 10:
                    self._errors_logged += 1
                    log.warning("container %s: no metadata: %s", base["id"], exc)
                continue
            if doc is not None:
                self._store(full_id, doc, None)
                self.counters["complete"] += 1
                return
        if not failed:
            self.counters["not_found"] += 1
        self._store(full_id, container_doc(base, "unavailable"), loop.time() + self._retry_after)

    async def _watch_removals(self, source: Source) -> None:
        """Evict removed containers; reconnect with a growing pause if the stream breaks."""
        delay = 1.0
        while True:
            try:
                async for full_id in source.removals():
                    delay = 1.0
                    self.evict(full_id)
            except RuntimeApiError as exc:
                self.counters["event_stream_errors"] += 1
                log.debug("runtime events from %s: %s", source.socket, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    def snapshot(self) -> dict[str, Any]:
        return {
            "engines": list(self.engines),
            "unavailable_reason": self.unavailable_reason,
            "cached": len(self._known),
            "lookups_running": len(self._lookups),
            **dict(self.counters),
        }
