"""Do the userspace filters still pay for themselves once the kernel filters opens?

Runs the real ``bpfopa run`` (managed OPA, bundled policies) against a paced C workload of
opens, pinned to CPU 1, in several configurations, alternated round by round:

  all       kernel filter on, Python prefilter auto, field projection auto (the defaults)
  no-pre    kernel filter on, --prefilter off
  no-proj   kernel filter on, --opa-projection off
  none      kernel filter on, neither
  kernel-off  kernel filter off, both userspace filters on (the state before the filter)

The workload's mix, per 100 opens: 90 of an ordinary absolute path (the kernel filter drops
them), 4 relative and 4 O_DIRECTORY opens of ordinary paths (the kernel keeps what it cannot
judge; the Python prefilter drops them) and 2 reads of a dot file (they reach OPA).

Reported per configuration, median over rounds: the CPU time (user + system) of bpfopa and of
its OPA from the workload's start until bpfopa has handled what it queued, per second of
workload; records decoded, filtered in the kernel,
judged by the Python prefilter and sent to OPA; and every loss counter (all must be 0).

    sudo .venv/bin/python benchmarks/filters_bench.py [--rate 20000] [--seconds 10] \
        [--rounds 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import orjson

from bpfopa._paths import PROJECT_ROOT

BPFOPA = PROJECT_ROOT / ".venv" / "bin" / "bpfopa"

WORKLOAD_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* argv: opens per second, seconds, dot file to read */
int main(int argc, char **argv)
{
	long rate = atol(argv[1]), seconds = atol(argv[2]);
	const char *dotfile = argv[3];
	long per_ms = rate / 1000, done = 0, total = rate * seconds;
	struct timespec start, now;

	if (chdir("/etc") != 0 || getchar() == EOF) /* starts when told, once its pid is watched */
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (done < total) {
		long due, ms;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		due = (ms + 1) * per_ms;
		if (done >= due) {
			usleep(200);
			continue;
		}
		for (; done < due && done < total; done++) {
			int i = done % 100, fd;
			if (i < 90)
				fd = open("/etc/hostname", O_RDONLY);
			else if (i < 94)
				fd = open("hostname", O_RDONLY);
			else if (i < 98)
				fd = open("/usr/lib", O_RDONLY | O_DIRECTORY);
			else
				fd = open(dotfile, O_RDONLY);
			if (fd >= 0)
				close(fd);
		}
	}
	return 0;
}
"""

CONFIGS: dict[str, list[str]] = {
    "all": [],
    "no-pre": ["--prefilter", "off"],
    "no-proj": ["--opa-projection", "off"],
    "none": ["--prefilter", "off", "--opa-projection", "off"],
    "kernel-off": ["--kernel-filter", "off"],
}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("bpfopa run exited before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("bpfopa run not ready")


def _handled(port: int) -> float:
    """Events the stages have received (records of other processes, such as the lifecycle
    tracepoints', do not count: they keep changing on a shared machine)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("bpfopa_stage_events_received_total"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def _wait_drained(port: int, quiet_s: float = 1.5, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    last, since = -1.0, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        try:
            now = _handled(port)
        except OSError:  # too busy to answer within the timeout: not drained
            since = time.monotonic()
            continue
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return


def run_once(
    config: str, workload: Path, rate: int, seconds: int, dotfile: Path, port: int
) -> dict[str, Any]:
    # The workload waits on stdin; bpfopa captures its pid alone, so the shared machine's
    # other processes stay out of the figures.
    load = subprocess.Popen(
        ["taskset", "-c", "1", str(workload), str(rate), str(seconds), str(dotfile)],
        stdin=subprocess.PIPE,
    )
    proc = subprocess.Popen(
        [
            str(BPFOPA),
            "run",
            "--quiet",
            "--metrics-addr",
            f"127.0.0.1:{port}",
            "--pid",
            str(load.pid),
            *CONFIGS[config],
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_ready(port, proc)
        print(f"  {config}: ready", file=sys.stderr, flush=True)
        time.sleep(2)  # the /proc seed and the first policy refresh settle
        pids = [proc.pid, *_children(proc.pid)]
        before = {pid: _cpu_seconds(pid) for pid in pids}
        assert load.stdin is not None
        load.stdin.write(b"go\n")
        load.stdin.close()
        if load.wait() != 0:
            raise RuntimeError("the workload failed")
        print(f"  {config}: workload done", file=sys.stderr, flush=True)
        _wait_drained(port)  # the window ends when what the workload queued is handled
        cpu = {pid: _cpu_seconds(pid) - before[pid] for pid in pids}
        elapsed = float(seconds)
    finally:
        load.kill()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    summary: dict[str, Any] = {}
    for line in stderr.decode(errors="replace").splitlines():
        if ": summary " in line:
            summary = orjson.loads(line.split(": summary ", 1)[1])
    source = summary.get("source", {})
    stages = summary.get("stages", {})
    losses = source.get("kernel_lost", 0) + source.get("queue_dropped", 0)
    losses += sum(sum(s.get("dropped", {}).values()) for s in stages.values())
    return {
        "bpfopa_cpu_per_s": cpu[proc.pid] / elapsed,
        "opa_cpu_per_s": sum(v for pid, v in cpu.items() if pid != proc.pid) / elapsed,
        "records": source.get("records", 0),
        "kernel_filtered": source.get("kernel_filtered", 0),
        "prefiltered": summary.get("prefilter", {}).get("prefiltered", 0),
        "sent_to_opa": stages.get("policy", {}).get("emitted", 0),
        "losses": losses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=20_000, help="opens per second")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--port", type=int, default=19464)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    configs = args.configs.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "w.c").write_text(WORKLOAD_C)
        workload = workdir / "w"
        subprocess.run(["cc", "-O2", "-o", str(workload), str(workdir / "w.c")], check=True)
        dotfile = workdir / ".bench-dotfile"
        dotfile.write_text("x")
        results: dict[str, list[dict[str, Any]]] = {c: [] for c in configs}
        for round_ in range(args.rounds):
            # Alternate the order so that drifts of the shared machine hit every config.
            for config in configs if round_ % 2 == 0 else reversed(configs):
                result = run_once(config, workload, args.rate, args.seconds, dotfile, args.port)
                results[config].append(result)
                print(config, round_, json.dumps(result), flush=True)
    medians = {
        config: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for config, runs in results.items()
    }
    print(f"\nmedians over {args.rounds} rounds, {args.rate} opens/s for {args.seconds} s:")
    print(f"{'config':<11} {'bpfopa cpu/s':>12} {'opa cpu/s':>10} {'records':>9} "
          f"{'k-filtered':>11} {'prefiltered':>11} {'to OPA':>8} {'losses':>6}")  # fmt: skip
    for config, m in medians.items():
        print(f"{config:<11} {m['bpfopa_cpu_per_s']:>12.3f} {m['opa_cpu_per_s']:>10.3f} "
              f"{m['records']:>9.0f} {m['kernel_filtered']:>11.0f} {m['prefiltered']:>11.0f} "
              f"{m['sent_to_opa']:>8.0f} {m['losses']:>6.0f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"runs": results, "medians": medians}, indent=2) + "\n")


if __name__ == "__main__":
    main()
