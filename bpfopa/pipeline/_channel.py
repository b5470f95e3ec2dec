"""Bounded channels between stages, per-stage counters and the lifecycle every stage shares."""

from __future__ import annotations

import asyncio
import enum
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bpfopa.errors import BackpressureTimeout, StageFailedError

__all__ = [
    "Channel",
    "Lifecycle",
    "QueuePolicy",
    "StageFailedError",
    "StageStats",
]

T = TypeVar("T")


class Lifecycle(enum.Enum):
    NEW = "new"
    RUNNING = "running"
    DRAINING = "draining"
    STOPPED = "stopped"
    FAILED = "failed"


class QueuePolicy(enum.Enum):
    """What a producer does when the next stage's channel is full."""

    BLOCK = "block"  # wait up to the deadline, then BackpressureTimeout (counted)
    DROP = "drop"  # drop at once (counted)


@dataclass(slots=True)
class StageStats:
    """Events a stage received, emitted and dropped (by reason).

    ``prefiltered``: events the policy prefilter judged locally (no rule can flag them). They
    were evaluated, not lost: received = emitted + prefiltered + merged + dropped (+ held).
    """

    name: str
    received: int = 0
    emitted: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    backpressure_timeouts: int = 0
    prefiltered: int = 0

    def drop(self, reason: str, count: int = 1) -> None:
        if count > 0:
            self.dropped[reason] += count

    def snapshot(self) -> dict[str, object]:
        return {
            "received": self.received,
            "emitted": self.emitted,
            "dropped": dict(self.dropped),
            "backpressure_timeouts": self.backpressure_timeouts,
            "prefiltered": self.prefiltered,
        }


class Channel(Generic[T]):
    """A FIFO bounded by total weight (events, not items), closable, and failable.

    ``get`` returns None once the channel is closed and empty. ``fail`` wakes every waiter with
    :class:`StageFailedError` so no stage hangs on a crashed neighbour.
    """

    def __init__(
        self,
        name: str,
        capacity: int,
        policy: QueuePolicy = QueuePolicy.BLOCK,
        block_timeout_s: float = 5.0,
        weight: Callable[[T], int] = len,  # type: ignore[assignment]
    ) -> None:
        if capacity < 1:
            raise ValueError(f"channel {name}: capacity must be >= 1")
        self.name = name
        self.capacity = capacity
        self.policy = policy
        self.block_timeout_s = block_timeout_s
        self._weight_of = weight
        self._items: deque[tuple[T, int]] = deque()
        self._weight = 0
        self._closed = False
        self._error: BaseException | None = None
        self._getters: deque[asyncio.Future[None]] = deque()
        self._putters: deque[asyncio.Future[None]] = deque()

    @property
    def weight(self) -> int:
        return self._weight

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._items)

    def _fits(self, weight: int) -> bool:
        # An item heavier than the whole capacity still passes through an empty channel.
        return self._weight + weight <= self.capacity or not self._items

    @staticmethod
    def _wake(waiters: deque[asyncio.Future[None]]) -> None:
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _check(self) -> None:
        if self._error is not None:
            raise StageFailedError(f"channel {self.name}: {self._error}") from self._error

    async def put(self, item: T) -> bool:
        """Enqueue; False when dropped (policy DROP), BackpressureTimeout past the deadline."""
        self._check()
        if self._closed:
            raise RuntimeError(f"put() on closed channel {self.name}")
        weight = self._weight_of(item)
        if not self._fits(weight):
            if self.policy is QueuePolicy.DROP:
                return False
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.block_timeout_s
            while not self._fits(weight):
                self._check()
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise BackpressureTimeout(
                        f"channel {self.name} stayed full for {self.block_timeout_s}s"
                    )
                waiter = loop.create_future()
                self._putters.append(waiter)
                try:
                    await asyncio.wait_for(waiter, remaining)
                except TimeoutError:
                    raise BackpressureTimeout(
                        f"channel {self.name} stayed full for {self.block_timeout_s}s"
                    ) from None
            self._check()
        self._items.append((item, weight))
        self._weight += weight
        self._wake(self._getters)
        return True

    def offer(self, item: T) -> bool:
        """Enqueue without waiting (used while draining on cancellation); False when full."""
        weight = self._weight_of(item)
        if self._closed or self._error is not None or not self._fits(weight):
            return False
        self._items.append((item, weight))
        self._weight += weight
        self._wake(self._getters)
        return True

    async def get(self, until: float | None = None) -> T | None:
        """The next item; None at end of stream; TimeoutError at loop time ``until``."""
        loop = asyncio.get_running_loop()
        deadline = until
        while not self._items:
            self._check()
            if self._closed:
                return None
            waiter = loop.create_future()
            self._getters.append(waiter)
            if deadline is None:
                await waiter
            else:
                await asyncio.wait_for(waiter, max(0.0, deadline - loop.time()))
        item, weight = self._items.popleft()
        self._weight -= weight
        self._wake(self._putters)
        return item

    def clear(self) -> None:
        """Forget the queued items (an aborted run counts them first)."""
        self._items.clear()
        self._weight = 0
        self._wake(self._putters)

    def close(self) -> None:
        """No more items will come; consumers get None after the remaining ones."""
        self._closed = True
        self._wake(self._getters)
        self._wake(self._putters)

    def fail(self, error: BaseException) -> None:
        """Wake every waiter with :class:`StageFailedError`."""
        if self._error is None:
            self._error = error
        self._wake(self._getters)
        self._wake(self._putters)
