"""Container documents from one Docker Engine API runtime (Docker, podman, cri-dockerd nodes):
the Engine client's inspects made into ``process.container``, with images cached (many
containers share one). The CRI's counterpart is ``_cri_metadata.CriSource``; the cache in
``_cache`` asks either through the same ``describe``."""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bpfopa.runtime._engine import EngineClient
from bpfopa.runtime._metadata import from_inspect, remember, sandbox_id

__all__ = ["EngineSource"]

Doc = dict[str, Any]

_START_POLL_S = 0.02  # how often a container being started is asked again


def _starting(inspect: Doc) -> bool:
    """The engine is still starting the container: it has no first process yet."""
    state = inspect.get("State")
    return isinstance(state, dict) and state.get("Status") == "created" and not state.get("Pid")


class EngineSource:
    """``describe`` a container from its Engine's inspects; ``counters`` is shared with the
    cache that owns this source (start waits are counted there)."""

    def __init__(
        self,
        client: EngineClient,
        counters: Counter[str],
        *,
        start_wait_s: float = 2.0,
        max_entries: int = 4096,
    ) -> None:
        self.client = client
        self._counters = counters
        self._start_wait_s = start_wait_s
        self._max = max_entries
        self._images: OrderedDict[str, Doc | None] = OrderedDict()

    @property
    def socket(self) -> Path:
        return self.client.socket

    async def aclose(self) -> None:
        await self.client.aclose()

    def removals(self) -> AsyncIterator[str]:
        return self.client.removals()

    async def describe(self, base: Doc) -> Doc | None:
        """The document, or None when this engine knows no such container."""
        full_id = base["full_id"]
        inspect = await self.client.inspect_container(full_id)
        # The container's own first processes run while its engine is still starting it, and
        # the engine's inspect shows it "created", without its first process's pid, until the
        # start is done. Cached then, that document would stay without init_pid for good, and
        # the container-start rules read it: ask again shortly, events stay parked meanwhile
        # (the container stage bounds how long).
        deadline = asyncio.get_running_loop().time() + self._start_wait_s
        while inspect is not None and _starting(inspect):
            if asyncio.get_running_loop().time() >= deadline:
                self._counters["start_wait_expired"] += 1
                break
            self._counters["start_waits"] += 1
            await asyncio.sleep(_START_POLL_S)
            inspect = await self.client.inspect_container(full_id)
        if inspect is None:
            return None
        image = await self._image(inspect.get("Image"))
        sandbox = None
        sid = sandbox_id(inspect)
        if sid == full_id:
            sandbox = inspect
        elif sid:
            sandbox = await self.client.inspect_container(sid)
        return from_inspect(base, inspect, image, sandbox)

    async def _image(self, image_id: Any) -> Doc | None:
        if not isinstance(image_id, str) or not image_id:
            return None
        if image_id not in self._images:
            remember(self._images, image_id, await self.client.inspect_image(image_id), self._max)
        return self._images[image_id]
