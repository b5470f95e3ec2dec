"""Capture cost, side by side in one run.

Workloads (compiled C, so the loop measures syscalls, not Python):
  openat_loop  open("/etc/hostname") + close, N times: every openat is a selected syscall
  dd_512       dd bs=512 from /dev/zero to /dev/null: read/write, never selected

Configurations: no capture (baseline); per-syscall tracepoints (default) and raw
sys_enter/sys_exit, each with the ring buffer; tracepoints with the perf buffer. Each capture
drains the kernel buffer on its poll thread and counts every openat record, so "delivered"
is checked against the loop count and the kernel's loss counter. A last stage measures how
many documents per second the userspace decoder + enricher turns records into.

    sudo .venv/bin/python benchmarks/capture_bench.py [--iterations N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bpfopa.capture._probes import ProbeConfig, Probes, load_probes
from bpfopa.enrich import DocumentBuilder
from bpfopa.schema import BY_NAME
from bpfopa.state import CgroupResolver, Clock, ProcessTable

LOOP_C = r"""
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    long n = atol(argv[1]);
    for (long i = 0; i < n; i++) close(open("/etc/hostname", O_RDONLY));
    return 0;
}
"""


def build_loop(workdir: Path) -> Path:
    src = workdir / "loop.c"
    src.write_text(LOOP_C)
    binary = workdir / "openat_loop"
    subprocess.run(["cc", "-O2", "-o", str(binary), str(src)], check=True)
    return binary


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


class Drainer:
    """The capture's poll loop without decoding: drain every 2 ms, count records."""

    def __init__(self, probes: Probes) -> None:
        self.probes = probes
        self.records: list[bytes] = []
        self.keep = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        transport = self.probes.transport
        while not self._stop.is_set():
            got = transport.drain(2)
            if got:
                if self.keep:
                    self.records.extend(got)
                self.count += len(got)
            elif transport.name == "ringbuf":
                time.sleep(0.002)

    count = 0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        while got := self.probes.transport.drain(0):
            self.count += len(got)


def run(iterations: int, dd_count: int, repeats: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bpfopa-bench-"))
    loop = build_loop(workdir)
    loop_cmd = [str(loop), str(iterations)]
    dd_cmd = ["dd", "if=/dev/zero", "of=/dev/null", "bs=512", f"count={dd_count}"]
    configs: list[tuple[str, ProbeConfig | None]] = [
        ("baseline", None),
        ("tracepoint+ringbuf", ProbeConfig(syscalls=frozenset(BY_NAME))),
        ("raw+ringbuf", ProbeConfig(syscalls=frozenset(BY_NAME), attach="raw")),
        ("tracepoint+perf", ProbeConfig(syscalls=frozenset(BY_NAME), transport="perf")),
    ]
    results: dict[str, Any] = {"iterations": iterations, "dd_count": dd_count, "configs": {}}
    for name, config in configs:
        probes = load_probes(config) if config else None
        drainer = Drainer(probes) if probes else None
        loop_times, dd_times = [], []
        for _ in range(repeats):
            loop_times.append(timed(loop_cmd))
            dd_times.append(timed(dd_cmd))
        delivered = lost = 0
        if drainer and probes:
            drainer.stop()
            delivered = drainer.count
            lost = sum(probes.transport.kernel_lost_by_cpu())
            probes.close()
        results["configs"][name] = {
            "openat_loop_s": statistics.median(loop_times),
            "dd_512_s": statistics.median(dd_times),
            "records_delivered": delivered,
            "kernel_lost": lost,
            "openats_expected": iterations * repeats,
        }
    base = results["configs"]["baseline"]
    for entry in results["configs"].values():
        entry["openat_loop_slowdown"] = entry["openat_loop_s"] / base["openat_loop_s"]
        entry["dd_512_slowdown"] = entry["dd_512_s"] / base["dd_512_s"]
    results["decode_docs_per_s"] = decode_rate(loop, min(iterations, 50000))
    return results


def decode_rate(loop: Path, iterations: int) -> float:
    """Userspace: records -> enriched documents per second (one core)."""
    probes = load_probes(ProbeConfig(syscalls=frozenset({"openat"})))
    drainer = Drainer(probes)
    drainer.keep = True
    subprocess.run([str(loop), str(iterations)], check=True)
    time.sleep(0.1)
    drainer.stop()
    records = drainer.records
    probes.close()
    clock = Clock()
    builder = DocumentBuilder(
        ProcessTable(clock=clock, cgroups=CgroupResolver(None)), clock, probes.arch
    )
    start = time.perf_counter()
    for i in range(0, len(records), 1000):
        builder.build(records[i : i + 1000])
    elapsed = time.perf_counter() - start
    return builder.stats.documents / elapsed if elapsed else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=300_000)
    parser.add_argument("--dd-count", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = run(args.iterations, args.dd_count, args.repeats)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    os.sync()


if __name__ == "__main__":
    main()
