"""Bounded channels between stages: weight bound, block-with-deadline, drop, close, fail."""

from __future__ import annotations

import asyncio

import pytest

from bpfopa.errors import BackpressureTimeout
from bpfopa.pipeline import Channel, QueuePolicy, StageFailedError


async def test_weight_bound_and_drop_policy() -> None:
    channel: Channel[list[int]] = Channel("c", capacity=5, policy=QueuePolicy.DROP)
    assert await channel.put([1, 2, 3])
    assert not await channel.put([4, 5, 6])  # 6 > 5: dropped at once
    assert await channel.put([4, 5])
    assert channel.weight == 5
    assert await channel.get() == [1, 2, 3]
    assert channel.weight == 2


async def test_oversized_item_passes_an_empty_channel() -> None:
    channel: Channel[list[int]] = Channel("c", capacity=2, policy=QueuePolicy.DROP)
    assert await channel.put(list(range(10)))


async def test_block_waits_then_times_out() -> None:
    channel: Channel[list[int]] = Channel("c", capacity=1, block_timeout_s=0.05)
    await channel.put([1])
    with pytest.raises(BackpressureTimeout, match="stayed full"):
        await channel.put([2])
    # A consumer making room in time lets the producer through.
    waiting = asyncio.create_task(channel.put([3]))
    await asyncio.sleep(0.01)
    assert await channel.get() == [1]
    assert await waiting
    assert await channel.get() == [3]


async def test_close_ends_stream_after_remaining_items() -> None:
    channel: Channel[list[int]] = Channel("c", capacity=10)
    await channel.put([1])
    getter = asyncio.create_task(channel.get())
    assert await getter == [1]
    getter = asyncio.create_task(channel.get())
    await asyncio.sleep(0)
    channel.close()
    assert await getter is None


async def test_get_deadline() -> None:
    channel: Channel[list[int]] = Channel("c", capacity=10)
    loop = asyncio.get_running_loop()
    with pytest.raises(TimeoutError):
        await channel.get(until=loop.time() + 0.01)


async def test_fail_wakes_waiters() -> None:
    channel: Channel[list[int]] = Channel("c", capacity=1, block_timeout_s=30)
    getter = asyncio.create_task(channel.get())
    await asyncio.sleep(0)
    channel.fail(RuntimeError("boom"))
    with pytest.raises(StageFailedError, match="boom"):
        await getter
    other: Channel[list[int]] = Channel("d", capacity=1, block_timeout_s=30)
    await other.put([1])
    putter = asyncio.create_task(other.put([2]))
    await asyncio.sleep(0)
    other.fail(RuntimeError("down"))
    with pytest.raises(StageFailedError):
        await putter
