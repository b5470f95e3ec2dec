"""The container stage: process.container from the runtime, between the source and the prefilter.

An event of a container whose metadata is not known yet is parked (the lookup runs in the
background) until the metadata arrives or ``wait_s`` passes; then it goes on with what is
known and ``metadata: "late"`` (counted). Events of one container keep their order; events of
other containers and of the host pass while some are parked.

An exec may wait longer (``exec_wait_s``): a container's first exec happens while its engine is
still starting it, and engines answer inspect only once the start is done; the rules about
containers starting (Falco's container_started) read exactly that exec's metadata.
"""

from __future__ import annotations

import asyncio
from typing import Any

from bpfopa.pipeline._channel import Channel
from bpfopa.pipeline._stages import Stage
from bpfopa.runtime import ContainerMetadata, container_doc

__all__ = ["ContainerStage"]

Document = dict[str, Any]

_EXECS = frozenset({"execve", "execveat"})


def _apply(doc: Document, container: Document) -> None:
    process = doc["process"]
    process["container"] = container
    # The container's first process is pid 1 in its pid namespace (Falco's proc.vpid = 1, what
    # the container-start rules look for); other processes' vpid is left to the capture.
    init_pid = container["init_pid"]
    if init_pid is not None and init_pid == process.get("pid") and process.get("vpid") is None:
        process["vpid"] = 1
    parent = process.get("parent")
    # The parent section is shared by every event of the parent: copy before changing it.
    if isinstance(parent, dict):
        theirs = parent.get("container")
        if isinstance(theirs, dict) and theirs.get("full_id") == container["full_id"]:
            process["parent"] = {**parent, "container": container}


class ContainerStage(Stage):
    def __init__(
        self,
        metadata: ContainerMetadata,
        inbox: Channel[list[Document]],
        outbox: Channel[list[Document]],
        *,
        wait_s: float = 0.05,
        exec_wait_s: float = 0.5,
        max_parked: int = 10_000,
        poll_s: float = 0.005,
    ) -> None:
        super().__init__("containers", inbox, outbox)
        self.metadata = metadata
        self.wait_s = wait_s
        self.exec_wait_s = max(exec_wait_s, wait_s)
        self.max_parked = max_parked
        self.poll_s = poll_s
        #: Events that went on with ``metadata: "late"``.
        self.late = 0
        # full id -> [(deadline, document)], oldest first
        self._parked: dict[str, list[tuple[float, Document]]] = {}
        self._parked_count = 0

    @property
    def parked(self) -> int:
        return self._parked_count

    def _next_deadline(self, now: float) -> float | None:
        if not self._parked:
            return None
        first = min(docs[0][0] for docs in self._parked.values())
        # Poll while events are parked: a lookup that completes releases them early.
        return min(first, now + self.poll_s)

    def _fill(self, batch: list[Document], now: float, out: list[Document]) -> None:
        lookup = self.metadata.lookup
        parked = self._parked
        for doc in batch:
            base = doc["process"].get("container")
            if not isinstance(base, dict):
                out.append(doc)
                continue
            full_id = base["full_id"]
            waiting = parked.get(full_id)
            found = lookup(base) if waiting is None else None
            if found is not None:
                _apply(doc, found)
                out.append(doc)
                continue
            if waiting is None:
                waiting = parked[full_id] = []
            wait = self.exec_wait_s if doc["event"].get("name") in _EXECS else self.wait_s
            waiting.append((now + wait, doc))
            self._parked_count += 1
        if self._parked_count > self.max_parked:
            self._release(float("inf"), out)

    def _release(self, now: float, out: list[Document]) -> None:
        """Parked events whose container is now known, and those past their deadline."""
        for full_id in list(self._parked):
            waiting = self._parked[full_id]
            base = waiting[0][1]["process"]["container"]
            found = self.metadata.lookup(base)
            if found is None:
                due = 0
                while due < len(waiting) and waiting[due][0] <= now:
                    due += 1
                if not due:
                    continue
                found = container_doc(base, "late")
                self.late += due
                released, self._parked[full_id] = waiting[:due], waiting[due:]
                if not self._parked[full_id]:
                    del self._parked[full_id]
            else:
                released = waiting
                del self._parked[full_id]
            self._parked_count -= len(released)
            for _, doc in released:
                _apply(doc, found)
                out.append(doc)

    async def run(self) -> None:
        assert self.inbox is not None
        loop = asyncio.get_running_loop()
        try:
            while True:
                try:
                    batch = await self.inbox.get(until=self._next_deadline(loop.time()))
                except TimeoutError:
                    batch = []
                if batch is None:
                    break
                self.stats.received += len(batch)
                out: list[Document] = []
                now = loop.time()
                if self._parked:
                    self._release(now, out)
                self._fill(batch, now, out)
                if out:
                    await self.emit(out, len(out))
            # End of stream: what is parked waits out its deadline at most, then goes.
            while self._parked:
                out = []
                self._release(loop.time(), out)
                if out:
                    await self.emit(out, len(out))
                if self._parked:
                    await asyncio.sleep(self.poll_s)
        except asyncio.CancelledError:
            out = []
            self._release(float("inf"), out)
            if out:
                self.offer(out, len(out))
            raise

    def snapshot(self) -> dict[str, Any]:
        return {**self.metadata.snapshot(), "late": self.late, "parked": self._parked_count}
