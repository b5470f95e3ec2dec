"""The live path, measured: the real `bpfopa run` (default policies, managed OPA) under paced
compiled workloads, with the kernel filter on and off side by side in one run.

    sudo .venv/bin/python benchmarks/live_bench.py                 # about 15 minutes
    sudo .venv/bin/python benchmarks/live_bench.py --quick         # smoke run, about 3 minutes

Workloads (benchmarks/live_workload.c, pinned to CPU 1; bpfopa and OPA share the machine):
  opens  open+close of ordinary files (64 distinct paths in a temp dir)
  mix    the same with 1 event in 20 one the rules watch: sensitive reads, writes below /etc,
         connects, a shell now and then
  storm  fork + exec of /bin/true

For each workload and configuration, rate steps of STEP seconds go up until one is not held; a
step is held when the workload reached 97% of its rate and nothing was lost anywhere: no kernel
loss on either ring, no event dropped by any stage, no batch dead-lettered, and the pipeline
drained within DRAIN seconds after the workload stopped. The highest held step is then held again
for HOLD seconds (30 s by default): that is the figure reported. Each step also reports the
workload's syscalls/s, the events bpfopa observed per second (kernel-filtered + decoded), the CPU
of bpfopa and of OPA per observed event (utime + stime from /proc), the probes' own run time per
event (kernel BPF statistics), RSS of both, and the latency from the event's kernel timestamp to
the alert line written by the file sink (p50/p99, alerts timed as they appear in the file).

Each workload's own unmonitored maximum (rate 0, no bpfopa running) is measured first: the
target for `opens` and `storm` is that rate. Writes docs/perf-live.json and docs/perf-live.png.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bpfopa._paths import PROJECT_ROOT

BPFOPA = PROJECT_ROOT / ".venv" / "bin" / "bpfopa"
WORKLOAD_C = Path(__file__).resolve().parent / "live_workload.c"
WORKLOAD_CPU = "1"
HELD_FRACTION = 0.97
#: Counter names (Prometheus) whose increase is a loss. Each is a count of events or records.
LOSS_SUBSTRINGS = ("lost", "dropped", "rejected", "dead_letter")
#: Workload -> rate steps (operations/s); 0 means "as fast as it can".
STEPS = {
    "opens": [25_000, 50_000, 100_000, 150_000, 200_000, 0],
    "mix": [25_000, 50_000, 100_000, 150_000, 200_000],
    "storm": [250, 500, 1_000, 2_000, 0],
}
QUICK_STEPS = {"opens": [25_000, 100_000], "mix": [25_000, 100_000], "storm": [250, 1_000]}


def build_workload(workdir: Path) -> Path:
    binary = workdir / "live_workload"
    subprocess.run(["cc", "-O2", "-o", str(binary), str(WORKLOAD_C)], check=True)
    return binary


def scrape(port: int, patience: float = 180.0) -> dict[str, float]:
    """Every sample of /metrics, keyed ``name{label=value,...}``. An overloaded run answers
    late (its event loop works through a backlog first): wait for it rather than fail."""
    deadline = time.monotonic() + patience
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as resp:
                text = resp.read().decode()
            break
        except (TimeoutError, OSError):
            if time.monotonic() > deadline:
                raise
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def losses(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    out = {}
    for key, value in after.items():
        name = key.split("{", 1)[0]
        if not name.endswith("_total") and not name.endswith("_samples"):
            continue
        if any(s in key for s in LOSS_SUBSTRINGS):
            delta = value - before.get(key, 0.0)
            if delta > 0:
                out[key] = delta
    return out


def observed(before: dict[str, float], after: dict[str, float]) -> float:
    """Events bpfopa observed: the event books' left-hand side (kernel-filtered + decoded +
    lost before decoding)."""
    key = "bpfopa_events_observed_total{}"
    return after.get(key, 0.0) - before.get(key, 0.0)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its reaped children (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def bpf_run_ns(pid: int) -> int:
    """Run time of the BPF programs a process holds (kernel.bpf_stats_enabled must be 1)."""
    total = 0
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                info = Path(f"/proc/{pid}/fdinfo/{fd}").read_text()
            except OSError:
                continue
            for line in info.splitlines():
                if line.startswith("run_time_ns:"):
                    total += int(line.split(":", 1)[1])
    return total


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class AlertClock(threading.Thread):
    """Tails the alert file and records when each line appeared (the sink's write time)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self._path = path
        self._stop = threading.Event()
        self.latencies: list[float] = []
        self.alerts = 0

    def run(self) -> None:
        while not self._path.exists() and not self._stop.is_set():
            time.sleep(0.01)
        with self._path.open("rb") as f:
            buffered = b""
            while not self._stop.is_set():
                chunk = f.read()
                if not chunk:
                    time.sleep(0.002)
                    continue
                seen = time.time()
                buffered += chunk
                *lines, buffered = buffered.split(b"\n")
                for line in lines:
                    self._take(line, seen)

    def _take(self, line: bytes, seen: float) -> None:
        try:
            alert = json.loads(line)
        except ValueError:
            return
        self.alerts += 1
        stamp = (alert.get("output_fields") or {}).get("evt.time") or alert.get("time")
        if not isinstance(stamp, str):
            return
        with contextlib.suppress(ValueError):
            event = datetime.fromisoformat(stamp.replace("Z", "+00:00")[:26] + "+00:00")
            self.latencies.append(seen - event.timestamp())

    def take_window(self) -> list[float]:
        window, self.latencies = self.latencies, []
        return window

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Step:
    workload: str
    config: str
    rate: int
    seconds: float
    ops: int
    ops_per_s: float
    syscalls_per_s: float
    events_per_s: float
    held: bool
    lost: dict[str, float]
    drained_s: float
    bpfopa_cpu_us_per_event: float
    opa_cpu_us_per_event: float
    bpf_ns_per_event: float
    bpfopa_rss_mb: float
    opa_rss_mb: float
    alerts: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    notes: list[str] = field(default_factory=list)


class LiveBpfopa:
    """One `bpfopa run` for a configuration, with its metrics endpoint and alert file."""

    def __init__(self, workdir: Path, config: str, extra_args: list[str]) -> None:
        self.port = _free_port()
        self.alerts_file = workdir / f"alerts-{config}.jsonl"
        self.log = (workdir / f"bpfopa-{config}.log").open("wb")
        self.proc = subprocess.Popen(
            [
                str(BPFOPA),
                "run",
                "--quiet",
                "--output-file",
                str(self.alerts_file),
                "--metrics-addr",
                f"127.0.0.1:{self.port}",
                *extra_args,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.clock = AlertClock(self.alerts_file)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bpfopa run exited: {Path(self.log.name).read_text()[-3000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as resp,
            ):
                if resp.status == 200:
                    self.clock.start()
                    return
            time.sleep(0.2)
        raise RuntimeError("bpfopa run not ready in time")

    def pids(self) -> tuple[int, list[int]]:
        return self.proc.pid, children(self.proc.pid)

    def stop(self) -> None:
        self.clock.stop()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_workload(
    binary: Path, workload: str, rate: int, seconds: float, arg: Path
) -> dict[str, Any]:
    out = subprocess.run(
        ["taskset", "-c", WORKLOAD_CPU, str(binary), workload, str(rate), str(seconds), str(arg)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


#: Events the pipeline may hold on an idle host (dedup windows, an open batch): below this the
#: backlog of a step counts as drained.
IDLE_PENDING = 1000


def settle(port: int, drain_s: float) -> tuple[dict[str, float], float]:
    """Metrics once the step's backlog is gone (the event books' pending count is back to an
    idle host's), or after ``drain_s``; and how long that took (inf: not drained)."""
    start = time.monotonic()
    while True:
        now = scrape(port)
        if now.get("bpfopa_events_pending{}", 0.0) < IDLE_PENDING:
            return now, time.monotonic() - start
        if time.monotonic() - start > drain_s:
            return now, float("inf")
        time.sleep(0.1)


def step(
    live: LiveBpfopa,
    binary: Path,
    workload: str,
    config: str,
    rate: int,
    seconds: float,
    arg: Path,
    drain_s: float,
) -> Step:
    pid, kids = live.pids()
    before = scrape(live.port)
    cpu0 = cpu_seconds(pid), sum(cpu_seconds(k) for k in kids), bpf_run_ns(pid)
    live.clock.take_window()
    result = run_workload(binary, workload, rate, seconds, arg)
    after, drained = settle(live.port, drain_s)
    cpu1 = cpu_seconds(pid), sum(cpu_seconds(k) for k in kids), bpf_run_ns(pid)
    lat = sorted(live.clock.take_window())
    lost = losses(before, after)
    events = observed(before, after)
    ops_per_s = result["ops"] / result["seconds"]
    target_met = rate == 0 or ops_per_s >= HELD_FRACTION * rate
    per_event = max(events, 1.0)
    return Step(
        workload=workload,
        config=config,
        rate=rate,
        seconds=result["seconds"],
        ops=result["ops"],
        ops_per_s=ops_per_s,
        syscalls_per_s=result["syscalls"] / result["seconds"],
        events_per_s=events / result["seconds"],
        held=target_met and not lost and drained != float("inf"),
        lost=lost,
        drained_s=drained,
        bpfopa_cpu_us_per_event=(cpu1[0] - cpu0[0]) / per_event * 1e6,
        opa_cpu_us_per_event=(cpu1[1] - cpu0[1]) / per_event * 1e6,
        bpf_ns_per_event=(cpu1[2] - cpu0[2]) / per_event,
        bpfopa_rss_mb=rss_mb(pid),
        opa_rss_mb=sum(rss_mb(k) for k in kids),
        alerts=len(lat),
        latency_p50_ms=lat[len(lat) // 2] * 1e3 if lat else None,
        latency_p99_ms=lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3 if lat else None,
    )


@contextlib.contextmanager
def bpf_stats() -> Iterator[None]:
    switch = Path("/proc/sys/kernel/bpf_stats_enabled")
    previous = switch.read_text().strip()
    switch.write_text("1")
    try:
        yield
    finally:
        switch.write_text(previous)


def unmonitored_max(binary: Path, workdir: Path, seconds: float) -> dict[str, float]:
    out = {}
    for workload in STEPS:
        arg = workdir / ("storm.log" if workload == "storm" else "files")
        arg.parent.mkdir(exist_ok=True)
        if workload != "storm":
            arg.mkdir(exist_ok=True)
        result = run_workload(binary, workload, 0, seconds, arg)
        out[workload] = result["ops"] / result["seconds"]
        print(f"unmonitored max {workload}: {out[workload]:,.0f} ops/s", flush=True)
    return out


def search(
    live: LiveBpfopa,
    binary: Path,
    workdir: Path,
    workload: str,
    config: str,
    steps: list[int],
    step_s: float,
    hold_s: float,
    drain_s: float,
) -> dict[str, Any]:
    arg = workdir / ("storm.log" if workload == "storm" else "files")
    tried: list[Step] = []
    best: Step | None = None
    for rate in steps:
        result = step(live, binary, workload, config, rate, step_s, arg, drain_s)
        tried.append(result)
        print(_line(result), flush=True)
        if not result.held:
            break
        best = result
    hold: Step | None = None
    if best is not None and hold_s > 0:
        hold = step(live, binary, workload, config, best.rate, hold_s, arg, drain_s)
        print("hold " + _line(hold), flush=True)
    return {
        "steps": [asdict(s) for s in tried],
        "hold": asdict(hold) if hold else None,
    }


def _line(s: Step) -> str:
    lat = f"p50 {s.latency_p50_ms:.0f} ms p99 {s.latency_p99_ms:.0f} ms" if s.alerts else "-"
    return (
        f"{s.config:>14} {s.workload:>5} rate {s.rate or 'max':>7} -> {s.ops_per_s:>9,.0f} ops/s "
        f"{s.events_per_s:>9,.0f} ev/s held={s.held} lost={s.lost or 0} "
        f"cpu {s.bpfopa_cpu_us_per_event:.1f}+{s.opa_cpu_us_per_event:.1f} us/ev "
        f"bpf {s.bpf_ns_per_event:.0f} ns/ev rss {s.bpfopa_rss_mb:.0f}+{s.opa_rss_mb:.0f} MB "
        f"alerts {s.alerts} {lat}"
    )


def plot(results: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    configs = list(results["configs"])
    workloads = list(STEPS)
    fig, axes = plt.subplots(1, len(workloads), figsize=(13, 4))
    for ax, workload in zip(axes, workloads, strict=True):
        for config in configs:
            steps = results["configs"][config][workload]["steps"]
            xs = [s["ops_per_s"] for s in steps]
            ys = [s["bpfopa_cpu_us_per_event"] for s in steps]
            marks = ["o" if s["held"] else "x" for s in steps]
            ax.plot(xs, ys, "-", label=config)
            for x, y, m in zip(xs, ys, marks, strict=True):
                ax.plot(x, y, m, color=ax.lines[-1].get_color())
        unmonitored = results["unmonitored_max"].get(workload)
        if unmonitored:
            ax.axvline(unmonitored, linestyle=":", color="grey", label="unmonitored max")
        ax.set_title(f"{workload}: bpfopa CPU per event (x: not held)")
        ax.set_xlabel("workload ops/s")
        ax.set_ylabel("µs per observed event")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def markdown(results: dict[str, Any]) -> str:
    """The table docs/performance.md shows: per workload and configuration, the held rate."""
    rows = [
        "| workload | configuration | highest rate held 30 s, zero loss | syscalls/s | events/s "
        "observed | bpfopa CPU / event | OPA CPU / event | probes / event | RSS bpfopa + OPA "
        "| alert latency p50 / p99 | first rate not held (why) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for config, per_workload in results["configs"].items():
        for workload, found in per_workload.items():
            hold = found["hold"]
            failed = next((s for s in found["steps"] if not s["held"]), None)
            why = "-"
            if failed is not None:
                reasons = []
                if failed["rate"] and failed["ops_per_s"] < HELD_FRACTION * failed["rate"]:
                    reasons.append(f"workload reached {failed['ops_per_s']:,.0f}/s")
                reasons += [f"{k.split('{')[0]} {v:,.0f}" for k, v in failed["lost"].items()]
                if failed["drained_s"] == float("inf"):
                    reasons.append("not drained")
                why = f"{failed['rate'] or 'max'}: {', '.join(reasons) or '?'}"
            if hold is None:
                rows.append(f"| {workload} | {config} | none | | | | | | | | {why} |")
                continue
            lat = (
                f"{hold['latency_p50_ms']:.0f} / {hold['latency_p99_ms']:.0f} ms"
                if hold["alerts"]
                else "-"
            )
            rows.append(
                f"| {workload} | {config} | {hold['ops_per_s']:,.0f} ops/s"
                f"{'' if hold['held'] else ' (NOT held on the 30 s run)'} "
                f"| {hold['syscalls_per_s']:,.0f} | {hold['events_per_s']:,.0f} "
                f"| {hold['bpfopa_cpu_us_per_event']:.1f} µs "
                f"| {hold['opa_cpu_us_per_event']:.1f} µs "
                f"| {hold['bpf_ns_per_event']:.0f} ns | {hold['bpfopa_rss_mb']:.0f} + "
                f"{hold['opa_rss_mb']:.0f} MB | {lat} | {why} |"
            )
    unmonitored = ", ".join(f"{k} {v:,.0f}/s" for k, v in results["unmonitored_max"].items())
    return "\n".join([*rows, "", f"Unmonitored maximum of each workload: {unmonitored}."])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two steps per workload, no hold")
    parser.add_argument("--step", type=float, default=10.0, help="seconds per rate step (10)")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds of the final hold (30)")
    parser.add_argument("--drain", type=float, default=5.0, help="seconds allowed to drain (5)")
    parser.add_argument("--workloads", default=",".join(STEPS), help="opens,mix,storm")
    parser.add_argument(
        "--configs",
        default="kernel-filter on,kernel-filter off",
        help="comma-separated; each is 'kernel-filter on|off', or 'default'",
    )
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "docs" / "perf-live.json")
    parser.add_argument("--plot", type=Path, default=PROJECT_ROOT / "docs" / "perf-live.png")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("live_bench: needs root (bpfopa run loads BPF programs)")
    if shutil.which("taskset") is None:
        sys.exit("live_bench: taskset (util-linux) is needed to pin the workload")
    steps = QUICK_STEPS if args.quick else STEPS
    hold = 0.0 if args.quick else args.hold
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    results: dict[str, Any] = {
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": {"cpus": os.cpu_count(), "kernel": platform.release()},
        "command": " ".join(["benchmarks/live_bench.py", *sys.argv[1:]]),
        "configs": {},
    }
    with tempfile.TemporaryDirectory(prefix="bpfopa-live-") as tmp:
        workdir = Path(tmp)
        binary = build_workload(workdir)
        results["unmonitored_max"] = unmonitored_max(binary, workdir, 5.0)
        with bpf_stats():
            for config in configs:
                extra = ["--kernel-filter", config.split()[-1]] if "kernel-filter" in config else []
                live = LiveBpfopa(workdir, config.replace(" ", "-"), extra)
                try:
                    live.wait_ready()
                    per_workload = {}
                    for workload in workloads:
                        per_workload[workload] = search(
                            live,
                            binary,
                            workdir,
                            workload,
                            config,
                            steps[workload],
                            args.step,
                            hold,
                            args.drain,
                        )
                    results["configs"][config] = per_workload
                finally:
                    live.stop()
    args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    plot(results, args.plot)
    print(markdown(results))
    print(f"wrote {args.json} and {args.plot}")


if __name__ == "__main__":
    main()
