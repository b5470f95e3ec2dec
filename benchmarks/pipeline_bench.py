"""End-to-end pipeline benchmark against a real OPA server.

    .venv/bin/python benchmarks/pipeline_bench.py            # full run (about 6 minutes)
    .venv/bin/python benchmarks/pipeline_bench.py --quick    # smoke run

Measures, with the full default policy set (policies/) and with a one-rule policy that shows
what the pipeline itself can carry (OPA then costs next to nothing):

1. events/s end to end, batched (500 per request, 4 in flight) vs one request per event (the
   seed's way, given the same 4 requests in flight), side by side;
2. latency from event creation to alert at a fixed offered rate (10k events/s by default);
3. the highest offered rate sustained with zero loss for distinct (non-deduplicable) documents:
   4 s steps of x1.5, then one bisection; nothing dropped anywhere, and the pipeline drained
   within 0.5 s of the source stopping;
4. the target rate (50k events/s) held for 30 s under the same test, since a short step can
   hide a backlog that keeps growing.

The default policies run twice, with the policy prefilter (`bpfopa run`'s default: documents no
rule can flag are judged in Python and never sent) and without it (``--prefilter``).

Documents come from benchmarks/policy_input.py (the policy engineer's realistic mix: mostly
opens, then execs and connects, 5% violating a rule), made distinct by pid. The generator runs
in the same process and event loop as the pipeline, as the live capture does. Writes
docs/perf-pipeline.json and docs/perf-pipeline.png.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from policy_input import generate

from bpfopa._paths import POLICIES_DIR, PROJECT_ROOT
from bpfopa.output import CallbackSink
from bpfopa.pipeline import Pipeline, PipelineConfig, QueuePolicy, QueueSource
from bpfopa.pipeline._gc import tune_garbage_collector
from bpfopa.policy import ManagedOpa, OpaClient, OpaClientConfig
from bpfopa.policy._projection import ProjectionPlan, derive_plan

TRIVIAL_POLICY = """package bpfopa.main

import rego.v1

syscalls contains "openat"

alerts contains alert if {
	some i, ev in input.events
	ev.event.path == "/etc/shadow"
	alert := {
		"index": i, "rule": "Read sensitive file untrusted", "id": "trivial",
		"priority": "WARNING", "output": "shadow read", "tags": [],
	}
}
"""

Doc = dict[str, Any]


class Workload:
    """Distinct documents from a pool of realistic templates; stamps creation time."""

    def __init__(self, pool_size: int = 4000) -> None:
        self.templates: list[Doc] = generate(pool_size, seed=7)["events"]
        self.seq = 0

    def make(self, count: int) -> list[Doc]:
        now = time.perf_counter()
        out = []
        templates = self.templates
        size = len(templates)
        for _ in range(count):
            seq = self.seq
            self.seq += 1
            template = templates[seq % size]
            out.append(
                {
                    "event": {**template["event"], "ts": seq},
                    "process": {**template["process"], "pid": 100_000 + seq},
                    "bench_t0": now,
                }
            )
        return out


@dataclass
class Run:
    events: int
    seconds: float
    alerts: int
    latencies: list[float] = field(default_factory=list)
    dropped: int = 0
    drain_seconds: float = 0.0
    snapshot: dict[str, Any] = field(default_factory=dict)
    python_cpu_s: float = 0.0
    opa_cpu_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def opa_cpu_seconds(opa: ManagedOpa) -> float:
    """CPU time (user + system) OPA has used: contention on a shared host does not inflate it."""
    if opa.pid is None:
        return 0.0
    fields = Path(f"/proc/{opa.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def total_dropped(snapshot: dict[str, Any]) -> int:
    dropped = sum(sum(s["dropped"].values()) for s in snapshot["stages"].values())
    return dropped + int(snapshot["source"].get("queue_dropped", 0))


async def run_pipeline(
    opa: ManagedOpa,
    config: PipelineConfig,
    feeder: Any,
    *,
    inflight: int,
    plan: ProjectionPlan | None = None,
) -> tuple[Run, float]:
    """Run one pipeline while ``feeder(source)`` offers events; returns the run and feed end."""
    source = QueueSource(max_batches=4096)
    latencies: list[float] = []
    alerts = 0

    def on_alerts(batch: Sequence[Doc]) -> None:
        nonlocal alerts
        now = time.perf_counter()
        for alert in batch:
            if alert.get("source") == "syscall":
                alerts += 1
                latencies.append(now - alert["input"]["bench_t0"])

    client = OpaClient(OpaClientConfig(url=opa.url, max_inflight=inflight, timeout_s=120))
    async with client:
        # Derived once per policy set (not inside the timed run); None: full documents.
        await client.set_projection_plan(plan)
        pipeline = Pipeline(source, client, [CallbackSink(on_alerts)], config)
        started = time.perf_counter()
        cpu_started = time.process_time()
        opa_started = opa_cpu_seconds(opa)
        task = asyncio.create_task(pipeline.run())
        events = await feeder(source)
        fed = time.perf_counter()
        await source.stop()
        snapshot = await task
        ended = time.perf_counter()
        cpu = time.process_time() - cpu_started
        opa_cpu = opa_cpu_seconds(opa) - opa_started
    run = Run(
        events=events,
        seconds=ended - started,
        alerts=alerts,
        latencies=latencies,
        dropped=total_dropped(snapshot),
        drain_seconds=ended - fed,
        snapshot=snapshot,
        python_cpu_s=cpu,
        opa_cpu_s=opa_cpu,
    )
    return run, fed


def as_fast_as_possible(workload: Workload, total: int, chunk: int = 500) -> Any:
    async def feed(source: QueueSource) -> int:
        sent = 0
        while sent < total:
            n = min(chunk, total - sent)
            await source.put(workload.make(n))
            sent += n
        return sent

    return feed


def at_rate(workload: Workload, rate: float, seconds: float, tick: float = 0.005) -> Any:
    """Offer ``rate`` events/s for ``seconds``; what the source cannot take is dropped."""

    async def feed(source: QueueSource) -> int:
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent = 0
        while (elapsed := loop.time() - start) < seconds:
            due = int(elapsed * rate) - sent
            if due > 0:
                source.offer(workload.make(due))
                sent += due
            await asyncio.sleep(tick)
        return sent

    return feed


def throughput_config(per_event: bool, inflight: int, prefilter: str) -> PipelineConfig:
    return PipelineConfig(
        alert_document="full",
        batch_size=1 if per_event else 500,
        batch_age_ms=0 if per_event else 50,
        dedup_window_ms=0,
        inflight=inflight,
        hostname="bench",
        prefilter=prefilter,
    )


def rate_config(inflight: int, prefilter: str) -> PipelineConfig:
    # The defaults of `bpfopa run` (dedup 100 ms, batch 500 / 50 ms), but full queues drop so
    # that overload shows as loss instead of unbounded waiting.
    return PipelineConfig(
        alert_document="full",
        inflight=inflight,
        queue_policy=QueuePolicy.DROP,
        outage_buffer=50_000,
        hostname="bench",
        drain_timeout_s=120,
        prefilter=prefilter,
    )


async def sustained(
    opa: ManagedOpa,
    workload: Workload,
    start_rate: float,
    step_seconds: float,
    inflight: int,
    plan: ProjectionPlan | None,
    prefilter: str,
) -> tuple[float, list[dict[str, Any]]]:
    """The highest offered rate that passes :func:`zero_loss`: x1.5 steps, then one bisection."""
    steps: list[dict[str, Any]] = []

    async def step(rate: float) -> bool:
        run, _ = await run_pipeline(
            opa,
            rate_config(inflight, prefilter),
            at_rate(workload, rate, step_seconds),
            inflight=inflight,
            plan=plan,
        )
        ok = zero_loss(run, rate, step_seconds)
        steps.append(
            {
                "offered_per_s": round(rate, 1),
                "generated": run.events,
                "dropped": run.dropped,
                "drain_s": round(run.drain_seconds, 3),
                "achieved_per_s": round(run.events / (step_seconds + run.drain_seconds), 1),
                "zero_loss": ok,
                "p99_ms": _ms(run.percentile(99)),
            }
        )
        print(f"    offered {rate:>9.0f}/s: {steps[-1]}", flush=True)
        return ok

    rate, best = start_rate, 0.0
    while await step(rate):
        best = rate
        rate *= 1.5
    if best and await step((best + rate) / 2):
        best = (best + rate) / 2
    return best, steps


async def hold(
    opa: ManagedOpa,
    workload: Workload,
    args: argparse.Namespace,
    plan: ProjectionPlan | None,
    prefilter: str,
) -> dict[str, Any]:
    """The target rate held for a long stretch: a 4 s step can hide a backlog that grows."""
    rate, seconds = args.hold_rate, args.hold_seconds
    print(f"    holding {rate:.0f}/s for {seconds:.0f} s", flush=True)
    run, _ = await run_pipeline(
        opa,
        rate_config(args.inflight, prefilter),
        at_rate(workload, rate, seconds),
        inflight=args.inflight,
        plan=plan,
    )
    held = {
        "offered_per_s": rate,
        "seconds": seconds,
        "generated": run.events,
        "dropped": run.dropped,
        "drain_s": round(run.drain_seconds, 3),
        "zero_loss": zero_loss(run, rate, seconds),
        "p50_ms": _ms(run.percentile(50)),
        "p99_ms": _ms(run.percentile(99)),
        "python_cpu_us_per_event": round(1e6 * run.python_cpu_s / max(run.events, 1), 1),
        "opa_cpu_us_per_event": round(1e6 * run.opa_cpu_s / max(run.events, 1), 1),
    }
    print(f"    held: {held}", flush=True)
    return held


def zero_loss(run: Run, offered: float, seconds: float) -> bool:
    """Nothing dropped, the source could offer (97%) the rate, and the backlog stayed small:
    everything was evaluated within 0.5 s (the p99 target) of the source stopping."""
    return run.dropped == 0 and run.events >= 0.97 * offered * seconds and run.drain_seconds <= 0.5


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


async def bench_policy_set(
    label: str,
    opa: ManagedOpa,
    args: argparse.Namespace,
    scale: float,
    plan: ProjectionPlan | None,
    prefilter: str,
) -> dict[str, Any]:
    workload = Workload()
    print(f"[{label}] throughput, batched vs per event ({args.repeat} runs each)", flush=True)
    batched_runs: list[Run] = []
    per_event_runs: list[Run] = []
    for _ in range(args.repeat):
        # Interleaved, so a slow phase of the (shared) machine hits both alike.
        run, _ = await run_pipeline(
            opa,
            throughput_config(False, args.inflight, prefilter),
            as_fast_as_possible(workload, int(args.batched_events * scale)),
            inflight=args.inflight,
            plan=plan,
        )
        batched_runs.append(run)
        run, _ = await run_pipeline(
            opa,
            throughput_config(True, args.inflight, prefilter),
            as_fast_as_possible(workload, int(args.per_event_events * scale)),
            inflight=args.inflight,
            plan=plan,
        )
        per_event_runs.append(run)
        print(f"    batched {batched_runs[-1].rate:.0f}/s, per event {run.rate:.0f}/s", flush=True)
    # The seed's way exactly: one request per event, each awaited before the next.
    sequential, _ = await run_pipeline(
        opa,
        throughput_config(True, 1, prefilter),
        as_fast_as_possible(workload, int(args.per_event_events * scale / 2)),
        inflight=1,
        plan=plan,
    )
    print(f"    per event, one at a time: {sequential.rate:.0f}/s", flush=True)
    batched = sorted(batched_runs, key=lambda r: r.rate)[len(batched_runs) // 2]
    per_event = sorted(per_event_runs, key=lambda r: r.rate)[len(per_event_runs) // 2]

    print(f"[{label}] latency at {args.rate:.0f} events/s offered", flush=True)
    fixed, _ = await run_pipeline(
        opa,
        rate_config(args.inflight, prefilter),
        at_rate(workload, args.rate, args.latency_seconds),
        inflight=args.inflight,
        plan=plan,
    )
    print(
        f"    p50 {_ms(fixed.percentile(50))} ms, p99 {_ms(fixed.percentile(99))} ms, "
        f"dropped {fixed.dropped}, drain {fixed.drain_seconds:.1f}s",
        flush=True,
    )
    print(f"[{label}] sustained zero-loss rate", flush=True)
    best, steps = await sustained(
        opa, workload, args.start_rate * scale, args.step_seconds, args.inflight, plan, prefilter
    )
    print(f"    sustained {best:.0f} events/s with zero loss", flush=True)
    low = best / 2 if best else 0
    at_half = None
    if low:
        half, _ = await run_pipeline(
            opa,
            rate_config(args.inflight, prefilter),
            at_rate(workload, low, args.latency_seconds),
            inflight=args.inflight,
            plan=plan,
        )
        at_half = {
            "offered_per_s": low,
            "p50_ms": _ms(half.percentile(50)),
            "p99_ms": _ms(half.percentile(99)),
            "dropped": half.dropped,
        }
        print(f"    at half that rate: {at_half}", flush=True)
    held = await hold(opa, workload, args, plan, prefilter)
    return {
        "prefilter": {
            "mode": prefilter,
            **batched.snapshot["prefilter"],
            "share_judged_locally": round(
                batched.snapshot["prefilter"]["prefiltered"] / batched.events, 3
            ),
        },
        "throughput": {
            "batched_per_s": round(batched.rate, 1),
            "batched_events": batched.events,
            "batched_requests": batched.snapshot["opa"]["requests"],
            "batched_runs_per_s": [round(r.rate, 1) for r in batched_runs],
            "per_event_runs_per_s": [round(r.rate, 1) for r in per_event_runs],
            "batched_python_cpu_us_per_event": round(
                1e6 * batched.python_cpu_s / batched.events, 1
            ),
            "batched_opa_cpu_us_per_event": round(1e6 * batched.opa_cpu_s / batched.events, 1),
            "per_event_opa_cpu_us_per_event": round(
                1e6 * per_event.opa_cpu_s / per_event.events, 1
            ),
            # The same comparison in CPU time spent per event (robust to a busy shared host).
            "cpu_speedup": round(
                (per_event.python_cpu_s + per_event.opa_cpu_s)
                / per_event.events
                / ((batched.python_cpu_s + batched.opa_cpu_s) / batched.events),
                1,
            ),
            # What 2 cores could carry if the pipeline and OPA had them to themselves.
            "batched_cpu_bound_capacity_per_s": round(
                (os.cpu_count() or 1) * batched.events / (batched.python_cpu_s + batched.opa_cpu_s)
            ),
            "per_event_python_cpu_us_per_event": round(
                1e6 * per_event.python_cpu_s / per_event.events, 1
            ),
            "per_event_per_s": round(per_event.rate, 1),
            "per_event_events": per_event.events,
            "speedup": round(batched.rate / per_event.rate, 1) if per_event.rate else None,
            "per_event_sequential_per_s": round(sequential.rate, 1),
            "speedup_vs_sequential": round(batched.rate / sequential.rate, 1)
            if sequential.rate
            else None,
        },
        "latency_at_rate": {
            "offered_per_s": args.rate,
            "seconds": args.latency_seconds,
            "events": fixed.events,
            "alerts": fixed.alerts,
            "p50_ms": _ms(fixed.percentile(50)),
            "p99_ms": _ms(fixed.percentile(99)),
            "max_ms": _ms(max(fixed.latencies) if fixed.latencies else None),
            "mean_ms": _ms(statistics.fmean(fixed.latencies) if fixed.latencies else None),
            "dropped": fixed.dropped,
            "drain_s": round(fixed.drain_seconds, 2),
            "latencies_ms": sorted(round(x * 1000, 2) for x in fixed.latencies),
        },
        "latency_at_half_sustained": at_half,
        "held": held,
        "sustained_zero_loss_per_s": best,
        "sustained_steps": steps,
    }


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = list(results["policy_sets"])
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    ax = axes[0]
    width = 0.27
    for i, name in enumerate(sets):
        t = results["policy_sets"][name]["throughput"]
        bars = [
            ("per_event_sequential_per_s", "lightgray", "one request per event, awaited"),
            ("per_event_per_s", "tab:gray", "one request per event, 4 in flight"),
            ("batched_per_s", "tab:blue", "batched (500/request), 4 in flight"),
        ]
        for k, (key, color, label) in enumerate(bars):
            if t.get(key):
                ax.bar(i + (k - 1) * width, t[key], width, color=color,
                       label=label if i == 0 else None)  # fmt: skip
        ax.text(i + width, t["batched_per_s"], f"{t['speedup']}x", ha="center", va="bottom")
    ax.set_xticks(range(len(sets)), sets)
    ax.set_yscale("log")
    ax.set_ylabel("events/s end to end (log)")
    ax.set_title("Throughput end to end (label: batched vs 4 in flight)")
    ax.legend()
    ax = axes[1]
    for name in sets:
        lat = results["policy_sets"][name]["latency_at_rate"]["latencies_ms"]
        if lat:
            ys = [(k + 1) / len(lat) for k in range(len(lat))]
            ax.plot(lat, ys, label=f"{name} @ {results['offered_rate']:.0f}/s")
        half = results["policy_sets"][name].get("latency_at_half_sustained")
        if half and half.get("p99_ms") is not None:
            ax.axvline(half["p99_ms"], linestyle=":", color="gray")
    ax.axvline(500, color="red", linestyle="--", label="target p99 500 ms")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("event creation -> alert (ms, log)")
    ax.set_ylabel("fraction of alerts")
    ax.set_title("Latency at a fixed offered rate")
    ax.legend(fontsize=8)
    ax = axes[2]
    for name in sets:
        steps = results["policy_sets"][name]["sustained_steps"]
        xs = [s["offered_per_s"] for s in steps]
        [line] = ax.plot(xs, [s["achieved_per_s"] for s in steps], marker="o", label=name)
        for s in steps:
            if not s["zero_loss"]:
                ax.plot(s["offered_per_s"], s["achieved_per_s"], "rx", markersize=10)
        held = results["policy_sets"][name].get("held")
        if held:
            completed = (held["generated"] - held["dropped"]) / (held["seconds"] + held["drain_s"])
            ax.plot(
                held["offered_per_s"],
                completed,
                marker="*" if held["zero_loss"] else "X",
                markersize=16,
                color=line.get_color(),
                markeredgecolor="black",
                linestyle="none",
                label=f"{name}: {held['seconds']:.0f} s held"
                + ("" if held["zero_loss"] else " (lost events)"),
            )
    ax.axhline(50_000, color="red", linestyle="--", label="target 50k/s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("offered events/s (log)")
    ax.set_ylabel("completed events/s (log)")
    ax.set_title("Sustained rate (x: 4 s step failed; star: held 30 s)")
    ax.legend(fontsize=8)
    fig.suptitle(
        f"bpfopa pipeline, {results['cpus']} CPUs, OPA {results['opa_version']} ({results['date']})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from bpfopa.policy import OPA_VERSION

    tune_garbage_collector()  # as `bpfopa run` and `bpfopa replay` do

    results: dict[str, Any] = {
        "command": " ".join(["benchmarks/pipeline_bench.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "opa_version": OPA_VERSION,
        "offered_rate": args.rate,
        "opa_projection": args.opa_projection,
        "load_average_before": os.getloadavg(),
        "policy_sets": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        trivial = Path(tmp)
        (trivial / "main.rego").write_text(TRIVIAL_POLICY)
        # (label, bundled policies, extra policy dirs, event-count scale, prefilter)
        sets = [
            ("default policies", True, [], 1.0, "auto"),
            ("default policies, prefilter off", True, [], 1.0, "off"),
            ("one-rule policy", False, [trivial], 8.0, "off"),  # has no lib/events
        ]
        for label, bundled, extra, scale, prefilter in sets:
            if args.only and args.only not in label:
                continue
            if bundled and args.prefilter not in ("both", prefilter):
                continue
            plan = None
            if args.opa_projection == "auto":
                plan = derive_plan([POLICIES_DIR, *extra] if bundled else extra)
            async with ManagedOpa(include_bundled=bundled, extra_policies=extra) as opa:
                result = await bench_policy_set(label, opa, args, scale, plan, prefilter)
            if plan is not None:
                docs = generate(1000, seed=7)["events"]
                projection = plan.projection()
                result["bytes_per_doc"] = {
                    "full": sum(len(orjson.dumps(d)) for d in docs) / len(docs),
                    "projected": sum(len(orjson.dumps(projection.apply(d))) for d in docs)
                    / len(docs),
                }
            results["policy_sets"][label] = result
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--rate", type=float, default=10_000, help="offered rate for latency")
    parser.add_argument("--inflight", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs (median kept)")
    parser.add_argument("--batched-events", type=int, default=20_000)
    parser.add_argument("--per-event-events", type=int, default=2_000)
    parser.add_argument("--latency-seconds", type=float, default=5.0)
    parser.add_argument("--step-seconds", type=float, default=4.0)
    parser.add_argument("--start-rate", type=float, default=500.0)
    parser.add_argument(
        "--hold-rate", type=float, default=50_000.0, help="rate held for --hold-seconds (50k)"
    )
    parser.add_argument("--hold-seconds", type=float, default=30.0)
    parser.add_argument("--only", help="run only the policy set whose label contains this")
    parser.add_argument(
        "--opa-projection",
        choices=["auto", "off"],
        default="auto",
        help="send OPA only the fields the policies read (auto, as `bpfopa run`) or full documents",
    )
    parser.add_argument(
        "--prefilter",
        choices=["auto", "off", "both"],
        default="both",
        help="the policy prefilter as `bpfopa run --prefilter`; both: the default policies "
        "with it on and off, side by side (default)",
    )
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "perf-pipeline.json")
    parser.add_argument("--plot", type=Path, default=PROJECT_ROOT / "docs" / "perf-pipeline.png")
    args = parser.parse_args()
    if args.quick:
        args.batched_events, args.per_event_events = 2000, 200
        args.latency_seconds, args.step_seconds, args.repeat = 1.5, 1.5, 1
        args.hold_seconds = 3.0
    try:
        import uvloop

        results = uvloop.run(main_async(args))
    except ImportError:
        results = asyncio.run(main_async(args))
    results["policies_dir"] = str(POLICIES_DIR)
    results["load_average_after"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    plot(results, args.plot)
    print(f"wrote {args.out} and {args.plot}")


if __name__ == "__main__":
    main()
