"""Capture cost, side by side in one run.

Workloads (compiled C, so the loop measures syscalls, not Python):
  openat_loop  open("/etc/hostname") + close, N times: every openat is a selected syscall
  dd_512       dd bs=512 from /dev/zero to /dev/null: read/write, never selected

Configurations: no capture (baseline); per-syscall tracepoints (the default) and raw
sys_enter/sys_exit, each with the ring buffer drained on a 2 ms timer; tracepoints with the
arguments parked by an entry program ("map pairing", the fallback for kernels before 5.15)
instead of read back from the saved registers at exit; tracepoints with the perf buffer waking
the reader every 32 records, and every record (BCC's default). Every
syscall bpfopa knows is attached and selected. Each capture drains the kernel buffer on a
thread and counts the records, so "delivered" is checked against the loop count and the
kernel's loss counter.

Timing: the workload's CPU time (user + system, which includes the BPF programs it triggers),
from getrusage: on a shared 2-CPU machine wall time mostly measures the neighbours. The reader
runs on CPU 0 and the workloads on CPU 1. A configuration's slowdown is the product of two
ratios: attached with every syscall switched off in the kernel's map ("nothing selected",
the in-kernel filter's own cost) against the baseline rounds measured just before and after
the configuration, and capturing against nothing selected, alternated run by run.

The floor: one program that returns at once, on syscalls:sys_exit_openat alone, attached and
detached run by run. Any syscall tracepoint sends every syscall of every task through the
kernel's slow syscall path (the SYSCALL_TRACEPOINT work flag), so this is the least any
per-syscall tracepoint capture can cost each workload on this kernel.

After its timed rounds, each configuration runs the loop once more with the kernel's BPF
statistics on (kernel.bpf_stats_enabled) and reports the programs' own run time per captured
openat: what the probes cost, apart from the tracepoint machinery around them.

A last stage measures how many documents per second the userspace decoder + enricher makes.

    sudo .venv/bin/python benchmarks/capture_bench.py [--iterations N] [--rounds R] \
        [--json docs/capture-bench.json] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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

CONFIGS: dict[str, ProbeConfig | None] = {
    "baseline": None,
    "tracepoint+ringbuf": ProbeConfig(syscalls=frozenset(BY_NAME)),
    "tracepoint+ringbuf, map pairing": ProbeConfig(syscalls=frozenset(BY_NAME), pairing="map"),
    "raw+ringbuf": ProbeConfig(syscalls=frozenset(BY_NAME), attach="raw"),
    "tracepoint+perf/32": ProbeConfig(syscalls=frozenset(BY_NAME), transport="perf"),
    "tracepoint+perf/1": ProbeConfig(
        syscalls=frozenset(BY_NAME), transport="perf", perf_wakeup_events=1
    ),
}


FLOOR_PROGRAM = "TRACEPOINT_PROBE(syscalls, sys_exit_openat) { return 0; }"


def build_loop(workdir: Path) -> Path:
    src = workdir / "loop.c"
    src.write_text(LOOP_C)
    binary = workdir / "openat_loop"
    subprocess.run(["cc", "-O2", "-o", str(binary), str(src)], check=True)
    return binary


def measure(cmd: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


class Drainer:
    """The capture's poll loop without decoding: drain every 2 ms, count (or keep) records."""

    def __init__(self, probes: Probes, keep: bool = False) -> None:
        self.probes = probes
        self.count = 0
        self.records: list[bytes] = []
        self._keep = keep
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _take(self, records: list[bytes]) -> None:
        self.count += len(records)
        if self._keep:
            self.records.extend(records)

    def _run(self) -> None:
        transport = self.probes.transport
        while not self._stop.is_set():
            records = transport.drain(2)
            if records:
                self._take(records)
            elif transport.name == "ringbuf":
                time.sleep(0.002)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        while records := self.probes.transport.drain(0):
            self._take(records)


def run(iterations: int, dd_count: int, rounds: int) -> dict[str, Any]:
    loop = build_loop(Path(tempfile.mkdtemp(prefix="bpfopa-bench-")))
    # The reader (this process) on CPU 0, the workloads on CPU 1: neither steals the other's
    # core, as on a host where the traced programs and the monitor run side by side.
    os.sched_setaffinity(0, {0})
    pin = ["taskset", "-c", "1"]
    workloads = {
        "openat_loop": [*pin, str(loop), str(iterations)],
        "dd_512": [*pin, "dd", "if=/dev/zero", "of=/dev/null", "bs=512", f"count={dd_count}"],
    }

    def measure_all() -> dict[str, list[float]]:
        return {w: [measure(cmd)[0] for _ in range(rounds)] for w, cmd in workloads.items()}

    results: dict[str, Any] = {
        "iterations": iterations,
        "dd_count": dd_count,
        "rounds": rounds,
        "configs": {},
    }
    results["floor"] = floor(workloads, rounds)
    captures = [(name, config) for name, config in CONFIGS.items() if config is not None]
    baselines = [measure_all()]
    for name, config in captures:
        probes = load_probes(config)
        drainer = Drainer(probes)
        # Selected and nothing-selected runs alternate, so the capture's own cost is measured
        # against the same attached probes a moment apart.
        selected: dict[str, list[float]] = {w: [] for w in workloads}
        filtered: dict[str, list[float]] = {w: [] for w in workloads}
        for _ in range(rounds):
            for workload, cmd in workloads.items():
                probes.enable(())
                filtered[workload].append(measure(cmd)[0])
                probes.enable(BY_NAME)
                selected[workload].append(measure(cmd)[0])
        program_ns = program_ns_per_event(workloads["openat_loop"], iterations)
        drainer.stop()
        lost = sum(probes.transport.kernel_lost_by_cpu())
        probes.close()
        baselines.append(measure_all())
        around = {w: baselines[-2][w] + baselines[-1][w] for w in workloads}
        entry: dict[str, Any] = {}
        for w in workloads:
            attached = statistics.median(filtered[w]) / statistics.median(around[w])
            capture = statistics.median(
                [s / f for s, f in zip(selected[w], filtered[w], strict=True)]
            )
            entry[f"{w}_slowdown"] = attached * capture
            entry[f"{w}_capture_vs_filtered"] = capture
            entry[f"{w}_filtered"] = attached
        entry.update(
            program_ns_per_openat=program_ns,
            records_delivered=drainer.count,
            kernel_lost=lost,
            openats_in_loops=iterations * (rounds + 1),  # + the statistics run
        )
        results["configs"][name] = entry
    all_loops = [t for b in baselines for t in b["openat_loop"]]
    results["baseline_cpu_us_per_openat_close"] = statistics.median(all_loops) / iterations * 1e6
    results["decode_docs_per_s"] = decode_rate(loop, min(iterations, 50_000))
    return results


def _program_stats() -> tuple[int, int]:
    """(run time ns, runs) summed over this process's BPF programs, from /proc/self/fdinfo."""
    total_ns = total_runs = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            info = Path(f"/proc/self/fdinfo/{fd}").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
        if "prog_tag" in fields and "run_time_ns" in fields:
            total_ns += int(fields["run_time_ns"])
            total_runs += int(fields["run_cnt"])
    return total_ns, total_runs


def program_ns_per_event(loop_cmd: list[str], iterations: int) -> float:
    """The probes' run time per openat of one loop run, with kernel BPF statistics on."""
    stats_switch = Path("/proc/sys/kernel/bpf_stats_enabled")
    previous = stats_switch.read_text().strip()
    stats_switch.write_text("1")
    try:
        before_ns, _ = _program_stats()
        measure(loop_cmd)
        after_ns, _ = _program_stats()
    finally:
        stats_switch.write_text(previous)
    return (after_ns - before_ns) / iterations


def floor(workloads: dict[str, list[str]], rounds: int) -> dict[str, float]:
    """Slowdown from one empty program on one syscall tracepoint, alternated with none."""
    from bcc import BPF

    bpf = BPF(text=FLOOR_PROGRAM)
    bpf.detach_tracepoint(b"syscalls:sys_exit_openat")
    ratios: dict[str, list[float]] = {w: [] for w in workloads}
    for _ in range(rounds):
        for workload, cmd in workloads.items():
            without = measure(cmd)[0]
            bpf.attach_tracepoint(
                tp=b"syscalls:sys_exit_openat", fn_name=b"tracepoint__syscalls__sys_exit_openat"
            )
            ratios[workload].append(measure(cmd)[0] / without)
            bpf.detach_tracepoint(b"syscalls:sys_exit_openat")
    bpf.cleanup()
    return {f"{w}_slowdown": statistics.median(r) for w, r in ratios.items()}


def decode_rate(loop: Path, iterations: int) -> float:
    """Userspace: records -> enriched documents per second (one core)."""
    probes = load_probes(ProbeConfig(syscalls=frozenset({"openat"})))
    drainer = Drainer(probes, keep=True)
    subprocess.run([str(loop), str(iterations)], check=True)
    time.sleep(0.1)
    drainer.stop()
    arch = probes.arch
    probes.close()
    clock = Clock()
    builder = DocumentBuilder(ProcessTable(clock=clock, cgroups=CgroupResolver(None)), clock, arch)
    records = drainer.records
    start = time.perf_counter()
    for i in range(0, len(records), 1000):
        builder.build(records[i : i + 1000])
    elapsed = time.perf_counter() - start
    return builder.stats.documents / elapsed if elapsed else 0.0


def markdown(results: dict[str, Any]) -> str:
    floor = results["floor"]
    lines = [
        f"floor (one empty program on sys_exit_openat, alternated with none): "
        f"loop {floor['openat_loop_slowdown']:.2f}x, dd {floor['dd_512_slowdown']:.2f}x",
        "",
        "| configuration | openat+close loop | dd bs=512 | loop: attached, nothing selected "
        "/ capture on top | dd: attached, nothing selected / capture on top "
        "| probe run time per openat | records delivered / openats | kernel lost |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["configs"].items():
        lines.append(
            f"| {name} | {r['openat_loop_slowdown']:.2f}x | {r['dd_512_slowdown']:.2f}x "
            f"| {r['openat_loop_filtered']:.2f}x / {r['openat_loop_capture_vs_filtered']:.2f}x "
            f"| {r['dd_512_filtered']:.2f}x / {r['dd_512_capture_vs_filtered']:.2f}x "
            f"| {r['program_ns_per_openat']:.0f} ns "
            f"| {r['records_delivered']} / {r['openats_in_loops']} | {r['kernel_lost']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200_000)
    parser.add_argument("--dd-count", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    results = run(args.iterations, args.dd_count, args.rounds)
    text = json.dumps(results, indent=2)
    print(text)
    if args.markdown:
        print(markdown(results))
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
