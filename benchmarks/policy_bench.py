"""Compare the policy entrypoint's speed across policy trees, interleaved, on a noisy machine.

    python benchmarks/policy_input.py --count 1000 --out /tmp/policy_input.json
    python benchmarks/policy_bench.py --input /tmp/policy_input.json --rounds 7 \\
        --rev 4e72b28 policies

Each round runs ``opa bench --count 1`` once per tree (a directory, or ``--rev REV`` for the
``policies/`` of a git revision, exported to a temporary directory), so a burst of load from
other work hits every tree alike. Reports the median and the minimum of the per-round ns/op
(opa bench picks the iteration count itself) and the cost per event.

``--optimize 0,1`` also measures each tree built into a bundle (``opa build -O=<level> -e
bpfopa/main/alerts``), as ``opa run --server <bundle>`` would load it; level 0 is a plain
bundle, the same policies as the directory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERY = "data.bpfopa.main.alerts"
ENTRYPOINT = "bpfopa/main/alerts"


def _export_revision(rev: str, into: Path) -> Path:
    """``policies/`` as of git revision ``rev``, unpacked below ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "policies"],
        capture_output=True,
        check=True,
    ).stdout
    target = into / rev
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        # Our own repository's archive; Python 3.11.2 has no extraction filters.
        tar.extractall(target)
    return target / "policies"


def _build_bundle(opa: Path, tree: Path, level: int, into: Path) -> Path:
    """``tree`` built with ``opa build -O=<level>`` for the alerts entrypoint."""
    target = into / f"bundle-{abs(hash(str(tree)))}-O{level}.tar.gz"
    subprocess.run(
        [
            *(str(opa), "build", f"-O={level}", "-e", ENTRYPOINT),
            *("-o", str(target), str(tree)),
        ],
        check=True,
        capture_output=True,
    )
    return target


def _bench_once(opa: Path, tree: Path, input_path: Path, query: str) -> float:
    """ns per evaluation of ``query`` for one ``opa bench --count 1`` run (``tree``: a policy
    directory or a bundle built by _build_bundle)."""
    source = "--bundle" if tree.name.endswith(".tar.gz") else "--data"
    done = subprocess.run(
        [
            *(str(opa), "bench", "--count", "1", "--format", "json"),
            *(source, str(tree), "--input", str(input_path), query),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"opa bench failed for {tree}:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout)
    return float(result["T"]) / float(result["N"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, help="policy directories")
    parser.add_argument("--rev", action="append", default=[], help="git revision (repeatable)")
    parser.add_argument("--input", type=Path, required=True, help="from policy_input.py")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--query", default=QUERY)
    parser.add_argument("--opa", type=Path, default=ROOT / ".bin" / "opa")
    parser.add_argument(
        "--optimize",
        default="",
        help="comma-separated opa build -O levels: also bench each tree as such a bundle",
    )
    args = parser.parse_args()
    events = len(json.loads(args.input.read_text()).get("events", [])) or 1
    with tempfile.TemporaryDirectory() as tmp:
        labelled = [(f"rev {rev}", _export_revision(rev, Path(tmp))) for rev in args.rev]
        labelled += [(str(tree), tree) for tree in args.trees]
        levels = [int(level) for level in args.optimize.split(",") if level.strip()]
        labelled += [
            (f"{label} (bundle -O={level})", _build_bundle(args.opa, tree, level, Path(tmp)))
            for label, tree in list(labelled)
            for level in levels
        ]
        if not labelled:
            parser.error("give at least one policy directory or --rev")
        samples: dict[str, list[float]] = {label: [] for label, _ in labelled}
        for round_no in range(args.rounds):
            for label, tree in labelled:
                samples[label].append(_bench_once(args.opa, tree, args.input, args.query))
            print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
    width = max(len(label) for label in samples)
    for label, values in samples.items():
        median = statistics.median(values)
        print(
            f"{label:{width}}  median {median / 1e6:8.2f} ms"
            f"  min {min(values) / 1e6:8.2f} ms  max {max(values) / 1e6:8.2f} ms"
            f"  ({median / 1e3 / events:6.1f} µs/event, {len(values)} rounds)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
