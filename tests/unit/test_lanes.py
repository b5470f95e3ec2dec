"""The two kernel lanes: lifecycle records merged back in kernel order, never dropped for bulk."""

from __future__ import annotations

import asyncio

from bpfopa.capture import LiveSource
from bpfopa.capture._lanes import LaneMerger, record_ts
from bpfopa.wire import HEADER, Opcode


def rec(opcode: Opcode, ts: int) -> bytes:
    return HEADER.pack(opcode, 0, HEADER.size, 0, ts, 0, 1, 1, 0, 0, 0, 0, b"x")


def timeline(batch: list[bytes]) -> list[tuple[int, int]]:
    return [(record[0], record_ts(record)) for record in batch]


def test_lifecycle_records_go_in_kernel_order() -> None:
    merger = LaneMerger()
    syscalls = [rec(Opcode.SYSCALL, ts) for ts in (10, 20, 30, 40)]
    batch, n = merger.merge(syscalls, [rec(Opcode.FORK, 15), rec(Opcode.EXEC, 35)])
    assert n == 2
    assert [ts for _, ts in timeline(batch)] == [10, 15, 20, 30, 35, 40]


def test_a_lifecycle_record_newer_than_the_syscall_drain_waits_one_poll() -> None:
    """Syscall records older than it may still be on their way: it goes with the next poll,
    placed among them."""
    merger = LaneMerger()
    batch, n = merger.merge([rec(Opcode.SYSCALL, 10)], [rec(Opcode.EXEC, 50)])
    assert (timeline(batch), n, merger.held) == ([(Opcode.SYSCALL, 10)], 0, 1)
    batch, n = merger.merge([rec(Opcode.SYSCALL, 45), rec(Opcode.SYSCALL, 60)], [])
    assert [ts for _, ts in timeline(batch)] == [45, 50, 60] and n == 1


def test_held_records_are_released_even_when_no_syscall_comes() -> None:
    merger = LaneMerger()
    assert merger.merge([], [rec(Opcode.EXIT, 5)]) == ([], 0)
    batch, n = merger.merge([], [])
    assert timeline(batch) == [(Opcode.EXIT, 5)] and n == 1
    assert merger.flush() == []


def test_unordered_lane_is_sorted_whole() -> None:
    merger = LaneMerger(ordered=False)
    syscalls = [rec(Opcode.SYSCALL, ts) for ts in (30, 10, 40)]
    batch, _ = merger.merge(syscalls, [rec(Opcode.FORK, 20)])
    assert [ts for _, ts in timeline(batch)] == [10, 20, 30, 40]


def test_full_queue_drops_syscalls_never_lifecycle_records() -> None:
    async def main() -> dict[str, int]:
        source = LiveSource(queue_batches=2, lifecycle_reserve=1)
        source._queue = asyncio.Queue()
        lifecycle = rec(Opcode.EXEC, 2)
        for _ in range(2):  # fills the syscall lane's bound
            source._hand_over([rec(Opcode.SYSCALL, 1)], 0)
        source._hand_over([rec(Opcode.SYSCALL, 1), lifecycle, rec(Opcode.SYSCALL, 3)], 1)
        source._hand_over([rec(Opcode.FORK, 4)], 1)  # past the reserve: counted, not silent
        queued = [source._queue.get_nowait() for _ in range(source._queue.qsize())]
        assert queued[-1] == [lifecycle]
        return dict(source.counters())

    counters = asyncio.run(main())
    assert counters["queue_dropped"] == 2
    assert counters["lifecycle_records"] == 2
    assert counters["lifecycle_queue_dropped"] == 1


def test_both_lanes_losses_reach_prometheus_and_the_summary() -> None:
    from prometheus_client import generate_latest

    from bpfopa.metrics import PipelineMetrics
    from bpfopa.pipeline import Pipeline, PipelineConfig
    from bpfopa.policy import OpaClient, OpaClientConfig

    source = LiveSource()
    source._counters["lifecycle_queue_dropped"] = 3
    pipeline = Pipeline(
        source, OpaClient(OpaClientConfig(url="http://127.0.0.1:9")), [], PipelineConfig()
    )
    metrics = PipelineMetrics()
    metrics.bind(pipeline)
    text = generate_latest(metrics.registry).decode()
    for counter in ("kernel_lost", "queue_dropped", "lifecycle_kernel_lost"):
        assert f'bpfopa_source_counter_total{{counter="{counter}"}} 0.0' in text
    assert 'bpfopa_source_counter_total{counter="lifecycle_queue_dropped"} 3.0' in text
    summary = pipeline.snapshot()["source"]
    assert summary["lifecycle_queue_dropped"] == 3 and summary["lifecycle_kernel_lost"] == 0
