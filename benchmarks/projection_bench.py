"""OPA cost of full vs projected event documents (the field projection), side by side.

    sudo .venv/bin/bpfopa capture --duration 5 > /tmp/real.jsonl   # while the host works
    .venv/bin/python benchmarks/projection_bench.py --input /tmp/real.jsonl

Takes ``--count`` (1000) documents spread over the recording, starts the managed OPA with the
default policies (as ``bpfopa run`` does: GOGC=400), derives the projection from
policies/ and, for ``--runs`` rounds alternating which mode goes first, measures for full and
projected documents:

* bytes per document, and the Python CPU time per document of projecting + JSON-encoding;
* one request after the other (``--batch`` 500 per request, 3 passes), per 1,000 documents:
  wall ms, OPA's own ``timer_rego_input_parse_ns`` and ``timer_server_handler_ns``
  (``?metrics=true``) and OPA's CPU time from /proc;
* throughput through ``OpaClient`` (projection in the client path), ``--inflight`` (4)
  requests in flight, ``--rounds`` (8) passes over the documents: events/s and OPA CPU µs/event.

Medians over the runs are printed and written to docs/perf-projection.json. Without
``--input`` the generator's small documents (benchmarks/policy_input.py) are used.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from policy_input import generate

from bpfopa._paths import POLICIES_DIR, PROJECT_ROOT
from bpfopa.policy import ManagedOpa, OpaClient, OpaClientConfig
from bpfopa.policy._projection import Projection, derive_plan

Doc = dict[str, Any]
MODES = ("full", "projected")
#: The sequential figures are averaged over this many passes over the documents.
SEQUENTIAL_PASSES = 3


def load_documents(path: Path | None, count: int) -> list[Doc]:
    if path is None:
        return list(generate(count, seed=11)["events"])
    docs = []
    with path.open("rb") as f:
        for line in f:
            try:
                doc = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(doc, dict):
                docs.append(doc)
    if len(docs) < count:
        raise SystemExit(f"{path}: {len(docs)} documents, need {count}")
    return random.Random(1).sample(docs, count)  # spread over the recording


def opa_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def python_cost_us(docs: list[Doc], projection: Projection | None, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        events = docs if projection is None else [projection.apply(d) for d in docs]
        orjson.dumps({"input": {"events": events}})
        best = min(best, time.process_time() - started)
    return best / len(docs) * 1e6


async def sequential(
    session: aiohttp.ClientSession, url: str, pid: int, events: list[Doc], batch: int
) -> dict[str, float]:
    """Requests one after the other; OPA's own timers summed over them."""
    parse_ns = handler_ns = 0
    cpu = opa_cpu_seconds(pid)
    started = time.perf_counter()
    for start in range(0, len(events) * SEQUENTIAL_PASSES, batch):
        start %= len(events)
        payload = orjson.dumps({"input": {"events": events[start : start + batch]}})
        async with session.post(
            f"{url}/v1/data/bpfopa/main/alerts?metrics=true", data=payload
        ) as resp:
            body = orjson.loads(await resp.read())
        if resp.status != 200 or "result" not in body:
            raise SystemExit(f"OPA answered {resp.status}: {str(body)[:300]}")
        metrics = body.get("metrics", {})
        parse_ns += metrics.get("timer_rego_input_parse_ns", 0)
        handler_ns += metrics.get("timer_server_handler_ns", 0)
    wall = time.perf_counter() - started
    per = len(events) * SEQUENTIAL_PASSES / 1000  # figures per 1,000 documents
    return {
        "wall_ms": wall * 1e3 / per,
        "opa_input_parse_ms": parse_ns / 1e6 / per,
        "opa_handler_ms": handler_ns / 1e6 / per,
        "opa_cpu_ms": (opa_cpu_seconds(pid) - cpu) * 1e3 / per,
    }


async def throughput(
    url: str,
    pid: int,
    docs: list[Doc],
    projection: Projection | None,
    *,
    batch: int,
    inflight: int,
    rounds: int,
) -> dict[str, float]:
    """Events/s through OpaClient (which projects) with ``inflight`` requests in flight."""
    batches = [docs[i : i + batch] for i in range(0, len(docs), batch)] * rounds
    async with OpaClient(OpaClientConfig(url=url, max_inflight=inflight)) as client:
        client.projection = projection
        slots = asyncio.Semaphore(inflight)

        async def one(chunk: list[Doc]) -> None:
            async with slots:
                await client.evaluate(chunk)

        cpu = opa_cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(one(chunk) for chunk in batches))
        wall = time.perf_counter() - started
        used = opa_cpu_seconds(pid) - cpu
    events = sum(len(b) for b in batches)
    return {"events_per_s": events / wall, "opa_cpu_us_per_event": used / events * 1e6}


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    docs = load_documents(args.input, args.count)
    started = time.perf_counter()
    plan = derive_plan([POLICIES_DIR])
    derive_s = time.perf_counter() - started
    projection = plan.projection()  # the bundled exception data is empty
    projected = [projection.apply(d) for d in docs]
    names = Counter(str(d.get("event", {}).get("name")) for d in docs)
    sizes = {
        "full": statistics.mean(len(orjson.dumps(d)) for d in docs),
        "projected": statistics.mean(len(orjson.dumps(d)) for d in projected),
    }
    # CPU time (not wall): robust to other processes on a shared host.
    apply_us = min(
        _timed(lambda: [projection.apply(d) for d in docs]) / len(docs) * 1e6 for _ in range(7)
    )
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    async with ManagedOpa() as opa, aiohttp.ClientSession() as session:
        assert opa.pid is not None
        await sequential(session, opa.url, opa.pid, docs, args.batch)  # warm up
        for run in range(args.runs):
            order = MODES if run % 2 == 0 else MODES[::-1]
            for mode in order:
                events = docs if mode == "full" else projected
                proj = None if mode == "full" else projection
                result = await sequential(session, opa.url, opa.pid, events, args.batch)
                result |= await throughput(
                    opa.url,
                    opa.pid,
                    docs,
                    proj,
                    batch=args.batch,
                    inflight=args.inflight,
                    rounds=args.rounds,
                )
                result["python_us_per_doc"] = python_cost_us(docs, proj)
                runs[mode].append(result)
                print(f"run {run + 1} {mode:9s} " + _fmt(result), file=sys.stderr)
    medians = {mode: median_of(runs[mode]) for mode in MODES}
    return {
        "command": " ".join(["benchmarks/projection_bench.py", *sys.argv[1:]]),
        "host": {
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "python": platform.python_version(),
        },
        "input": str(args.input) if args.input else "benchmarks/policy_input.py generate()",
        "documents": len(docs),
        "batch": args.batch,
        "inflight": args.inflight,
        "runs": args.runs,
        "derive_s": derive_s,
        "syscalls": dict(names.most_common()),
        "projection_paths": {
            "<every document>": projection.paths(),
            **{name: projection.paths(name) for name, _ in names.most_common(4)},
        },
        "keep_sites": [
            f"{s.file}:{s.row} {s.path or '<document>'} ({s.reason})" for s in plan.keep_sites
        ],
        "bytes_per_doc": sizes,
        "apply_us_per_doc": apply_us,
        "median": medians,
        "speedup": {
            key: (
                medians["projected"][key] / medians["full"][key]
                if key == "events_per_s"
                else medians["full"][key] / max(medians["projected"][key], 1e-9)
            )
            for key in medians["full"]
        },
        "all_runs": runs,
    }


def _timed(fn: Any) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def _fmt(result: dict[str, float]) -> str:
    return " ".join(f"{k}={v:.1f}" for k, v in result.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, help="JSONL documents from `bpfopa capture`")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--inflight", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "perf-projection.json")
    args = parser.parse_args()
    results = asyncio.run(main_async(args))
    args.out.write_text(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode() + "\n")
    full, proj = results["median"]["full"], results["median"]["projected"]
    sizes = results["bytes_per_doc"]
    print(f"documents: {results['documents']} from {results['input']}")
    print(f"bytes/doc: full {sizes['full']:.0f}  projected {sizes['projected']:.0f}")
    print(f"projection: {results['apply_us_per_doc']:.2f} µs/doc; derived in "
          f"{results['derive_s']:.1f} s")  # fmt: skip
    print(f"{'median of ' + str(args.runs) + ' runs':32s} {'full':>10s} {'projected':>10s}")
    for key in full:
        print(f"{key:32s} {full[key]:10.1f} {proj[key]:10.1f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
