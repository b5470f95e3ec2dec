"""Overload: a flat-out generator overruns a deliberately small buffer; every record the kernel
could not hand over is counted, and delivered + lost adds up to what the generator did."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

from bpfopa.capture import LiveSource
from bpfopa.capture._probes import ProbeConfig, Probes, load_probes

GENERATOR = textwrap.dedent(
    """
    import os, sys
    sys.stdout.write("ready\\n"); sys.stdout.flush()
    sys.stdin.readline()                      # wait until the capture is attached
    for _ in range(int(sys.argv[1])):
        os.close(os.open("/etc/hostname", os.O_RDONLY))  # the marker: /etc/hostname
    sys.stdout.write("done\\n"); sys.stdout.flush()
    sys.stdin.readline()
    # perf reports its losses in a record written before the next sample: make one.
    os.close(os.open("/etc/hostname", os.O_RDONLY))  # the marker: /etc/hostname
    sys.stdout.write("done\\n"); sys.stdout.flush()
    sys.stdin.readline()                      # stay alive (no exit record) until drained
    """
)


def _drain(probes: Probes) -> int:
    delivered = 0
    while records := probes.transport.drain(10):
        # Only the generator's loop: its start-up opens may race with the attach.
        delivered += sum(1 for record in records if b"/etc/hostname" in record)
    return delivered


@pytest.mark.parametrize("transport", ["ringbuf", "perf"])
def test_kernel_drops_are_counted_exactly(transport: str) -> None:
    count = 20000
    gen = subprocess.Popen(
        [sys.executable, "-c", GENERATOR, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert gen.stdin is not None and gen.stdout is not None
    assert gen.stdout.readline() == "ready\n"  # start-up opens done before the attach
    probes = load_probes(
        ProbeConfig(
            syscalls=frozenset({"openat"}),
            transport=transport,  # type: ignore[arg-type]
            ringbuf_pages=1,
            perf_pages=1,
            target_pid=gen.pid,
        )
    )
    try:
        gen.stdin.write("go\n")
        gen.stdin.flush()
        assert gen.stdout.readline() == "done\n"
        delivered = _drain(probes)
        gen.stdin.write("again\n")
        gen.stdin.flush()
        assert gen.stdout.readline() == "done\n"
        delivered += _drain(probes)
        lost_by_cpu = probes.transport.kernel_lost_by_cpu()
        lost = sum(lost_by_cpu)
        assert lost > 0, "the small buffer should have overflowed"
        assert delivered + lost == count + 1, (delivered, lost_by_cpu)
        if transport == "perf":
            assert probes.transport.lost_reported_by_perf == lost  # type: ignore[attr-defined]
    finally:
        gen.stdin.write("\n")
        gen.stdin.close()
        gen.wait(10)
        probes.close()


def test_capture_summary_reports_kernel_losses() -> None:
    """The source's counters carry the kernel's count (capture prints them on exit)."""

    async def main() -> dict[str, int]:
        source = LiveSource(syscalls={"openat"})
        source._config = ProbeConfig(  # a tiny buffer and a slow poll to force drops
            syscalls=source._config.syscalls,
            ringbuf_pages=1,
            exclude_pids=source._config.exclude_pids,
        )
        source._poll_interval = 0.2
        await source.start()
        gen = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import os\nfor _ in range(20000): os.close(os.open('/etc/hostname', 0))",
        )
        await gen.wait()
        await asyncio.sleep(0.3)
        counters = dict(source.counters())
        await source.aclose()
        return counters

    counters = asyncio.run(main())
    assert counters["kernel_lost"] > 0
