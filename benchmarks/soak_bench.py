"""The soak: one real `bpfopa run` (default policies, managed OPA, kernel filter on) under a
steady paced workload for a long time, sampled every INTERVAL seconds.

    sudo .venv/bin/python benchmarks/soak_bench.py                     # 30 minutes at 20k/s
    sudo .venv/bin/python benchmarks/soak_bench.py --minutes 3         # smoke run

The workload is live_bench's `mix` (benchmarks/live_workload.c, pinned to CPU 1): open+close
of ordinary files, with 1 operation in 20 one the rules watch (sensitive reads, writes below
/etc, connects, a shell now and then), paced so that bpfopa observes about RATE events/s.

Each sample records the RSS of bpfopa and of its managed OPA, the events observed, decoded,
evaluated and lost since the start, and the event books. The verdict:
  * memory flat: the growth of each RSS over the second half of the run, as MB per hour from a
    least-squares line, and the last sample against the sample at the end of warm-up;
  * bpfopa's RSS under --rss-limit (150 MB) at every sample after warm-up;
  * no unexplained loss: no loss counter moved (kernel rings, queues, stages, dead letters, sinks)
    and the books balance at the end.
Writes docs/perf-soak.json and docs/perf-soak.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live_bench import (
    WORKLOAD_CPU,
    LiveBpfopa,
    build_workload,
    losses,
    rss_mb,
    scrape,
)

from bpfopa._paths import PROJECT_ROOT

#: Share of the workload's operations that are open+close (one observed event); the rest make
#: one or two (see live_workload.c): measured ratio of observed events to operations.
EVENTS_PER_OP = 1.03
WARMUP_S = 120.0


def counter(samples: dict[str, float], name: str) -> float:
    return sum(v for k, v in samples.items() if k.split("{", 1)[0] == name)


def slope_mb_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per hour."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / n
    mean_m = sum(m for _, m in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    cov = sum((t - mean_t) * (m - mean_m) for t, m in points)
    return cov / var * 3600


def sample(live: LiveBpfopa, start: float, first: dict[str, float]) -> dict[str, Any]:
    pid, kids = live.pids()
    now = scrape(live.port)
    return {
        "t_s": round(time.monotonic() - start, 1),
        "bpfopa_rss_mb": round(rss_mb(pid), 1),
        "opa_rss_mb": round(sum(rss_mb(k) for k in kids), 1),
        "observed": counter(now, "bpfopa_events_observed_total")
        - counter(first, "bpfopa_events_observed_total"),
        "evaluated": counter(now, "bpfopa_events_evaluated_total")
        - counter(first, "bpfopa_events_evaluated_total"),
        "pending": counter(now, "bpfopa_events_pending"),
        "process_table": counter(now, "bpfopa_process_table_size"),
        "alerts": live.clock.alerts,
        "lost": losses(first, now),
    }


def run_soak(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    binary = build_workload(workdir)
    files = workdir / "files"
    files.mkdir()
    live = LiveBpfopa(workdir, "soak", [])
    samples: list[dict[str, Any]] = []
    try:
        live.wait_ready()
        first = scrape(live.port)
        start = time.monotonic()
        seconds = args.minutes * 60
        ops_rate = round(args.rate / EVENTS_PER_OP)
        workload = subprocess.Popen(
            [
                "taskset", "-c", WORKLOAD_CPU, str(binary), "mix",
                str(ops_rate), str(seconds), str(files),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        done = threading.Event()
        threading.Thread(target=lambda: (workload.wait(), done.set()), daemon=True).start()
        while not done.wait(args.interval):
            samples.append(sample(live, start, first))
            s = samples[-1]
            print(
                f"{s['t_s']:7.0f} s  bpfopa {s['bpfopa_rss_mb']:6.1f} MB  "
                f"opa {s['opa_rss_mb']:6.1f} MB  observed {s['observed'] / s['t_s']:8,.0f}/s  "
                f"alerts {s['alerts']:6d}  lost {sum(s['lost'].values()):.0f}",
                flush=True,
            )
        result = (
            json.loads(workload.stdout.read().strip().splitlines()[-1]) if workload.stdout else {}
        )
        time.sleep(args.drain)
        end = sample(live, start, first)
        final = scrape(live.port)
    finally:
        live.stop()
    summary = _summary(live.log.name)
    return {
        "workload": result,
        "samples": samples,
        "end": end,
        "books": summary.get("books", {}),
        "alert_books": summary.get("alert_books", {}),
        "verdict": verdict(samples, end, summary, args, result),
        "final_metrics_lost": losses(first, final),
    }


def _summary(log_path: str) -> dict[str, Any]:
    """The run summary bpfopa wrote when it stopped (its last `summary` line)."""
    for line in reversed(Path(log_path).read_text().splitlines()):
        if "summary {" in line:
            summary: dict[str, Any] = json.loads(line.split("summary ", 1)[1])
            return summary
    return {}


def verdict(
    samples: list[dict[str, Any]],
    end: dict[str, Any],
    summary: dict[str, Any],
    args: argparse.Namespace,
    workload: dict[str, Any],
) -> dict[str, Any]:
    steady = [s for s in samples if s["t_s"] >= WARMUP_S]
    second_half = [s for s in samples if s["t_s"] >= samples[-1]["t_s"] / 2] if samples else []
    out: dict[str, Any] = {
        "observed_per_s": end["observed"] / end["t_s"] if end["t_s"] else 0.0,
        "workload_ops_per_s": workload.get("ops", 0) / max(workload.get("seconds", 1), 1e-9),
        "bpfopa_rss_mb_after_warmup": steady[0]["bpfopa_rss_mb"] if steady else None,
        "bpfopa_rss_mb_end": end["bpfopa_rss_mb"],
        "bpfopa_rss_mb_max": max((s["bpfopa_rss_mb"] for s in steady), default=None),
        "opa_rss_mb_after_warmup": steady[0]["opa_rss_mb"] if steady else None,
        "opa_rss_mb_end": end["opa_rss_mb"],
        "opa_rss_mb_max": max((s["opa_rss_mb"] for s in steady), default=None),
        "bpfopa_mb_per_hour_second_half": slope_mb_per_hour(
            [(s["t_s"], s["bpfopa_rss_mb"]) for s in second_half]
        ),
        "opa_mb_per_hour_second_half": slope_mb_per_hour(
            [(s["t_s"], s["opa_rss_mb"]) for s in second_half]
        ),
        "lost": end["lost"],
        "books_balanced": bool(summary.get("books", {}).get("balanced")),
        "alert_books_balanced": all(
            book.get("balanced") for book in summary.get("alert_books", {}).values()
        ),
        "process_table_max": max((s["process_table"] for s in samples), default=None),
    }
    out["bpfopa_under_limit"] = (
        out["bpfopa_rss_mb_max"] is not None and out["bpfopa_rss_mb_max"] < args.rss_limit
    )
    out["no_loss"] = not end["lost"] and out["books_balanced"] and out["alert_books_balanced"]
    return out


def plot(results: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = results["samples"]
    minutes = [s["t_s"] / 60 for s in samples]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(minutes, [s["bpfopa_rss_mb"] for s in samples], label="bpfopa RSS")
    ax.plot(minutes, [s["opa_rss_mb"] for s in samples], label="OPA RSS")
    ax.axhline(results["rss_limit_mb"], color="grey", linestyle="--", label="bpfopa limit")
    ax.set_xlabel("minutes")
    ax.set_ylabel("MB")
    ax.set_ylim(bottom=0)
    ax.set_title(f"soak: {results['verdict']['observed_per_s']:,.0f} events/s observed")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="length of the soak (30)")
    parser.add_argument("--rate", type=int, default=20_000, help="events/s observed (20000)")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds per sample (30)")
    parser.add_argument("--drain", type=float, default=5.0, help="seconds to drain at the end")
    parser.add_argument("--rss-limit", type=float, default=150.0, help="bpfopa RSS limit, MB")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "docs" / "perf-soak.json")
    parser.add_argument("--plot", type=Path, default=PROJECT_ROOT / "docs" / "perf-soak.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bpfopa-soak-") as tmp:
        results = run_soak(args, Path(tmp))
    results.update(
        when=datetime.now(UTC).isoformat(timespec="seconds"),
        host={"kernel": platform.release(), "cpus": os.cpu_count()},
        command="sudo .venv/bin/python benchmarks/soak_bench.py " + " ".join(sys.argv[1:]),
        rss_limit_mb=args.rss_limit,
        minutes=args.minutes,
        rate=args.rate,
    )
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    plot(results, args.plot)
    print(json.dumps(results["verdict"], indent=1))


if __name__ == "__main__":
    main()
