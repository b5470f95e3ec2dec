"""Reading one process from /proc: the seed at start-up and the fallback when an event names a
process the table has not seen."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

_PROC = "/proc"


@dataclass(slots=True)
class ProcSnapshot:
    """What /proc told about one process; bytes are kept as bytes (they may not be UTF-8)."""

    pid: int
    ppid: int
    comm: bytes
    exe: bytes | None
    argv: list[bytes]
    env: list[bytes]
    cwd: bytes | None
    uid: int
    gid: int
    euid: int
    loginuid: int | None
    tty: int
    start_ticks: int
    cap_effective: int  # the mask
    cgroup: list[str] = field(default_factory=list)


def _read(path: str, limit: int = 1 << 20) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return None


def _readlink(path: str) -> bytes | None:
    try:
        return os.readlink(path.encode())
    except OSError:
        return None


def read_proc(pid: int, proc: str = _PROC) -> ProcSnapshot | None:
    """A snapshot of ``pid``, or None when it is gone (or never was)."""
    base = f"{proc}/{pid}"
    stat = _read(f"{base}/stat")
    status = _read(f"{base}/status")
    if stat is None or status is None:
        return None
    # comm sits in parentheses and may itself contain ") ": split at the last one.
    close = stat.rfind(b")")
    comm = stat[stat.find(b"(") + 1 : close]
    fields = stat[close + 2 :].split()
    try:
        ppid = int(fields[1])
        tty = int(fields[4])
        start_ticks = int(fields[19])
    except (IndexError, ValueError):
        return None
    uid = gid = euid = 0
    cap_eff = 0
    for line in status.splitlines():
        if line.startswith(b"Uid:"):
            parts = line.split()
            uid, euid = int(parts[1]), int(parts[2])
        elif line.startswith(b"Gid:"):
            gid = int(line.split()[1])
        elif line.startswith(b"CapEff:"):
            cap_eff = int(line.split()[1], 16)
    cmdline = _read(f"{base}/cmdline") or b""
    environ = _read(f"{base}/environ") or b""
    loginuid_raw = _read(f"{base}/loginuid")
    cgroup_raw = _read(f"{base}/cgroup") or b""
    return ProcSnapshot(
        pid=pid,
        ppid=ppid,
        comm=comm,
        exe=_readlink(f"{base}/exe"),
        argv=cmdline.split(b"\0")[:-1] if cmdline else [],
        env=environ.split(b"\0")[:-1] if environ else [],
        cwd=_readlink(f"{base}/cwd"),
        uid=uid,
        gid=gid,
        euid=euid,
        loginuid=int(loginuid_raw) if loginuid_raw and loginuid_raw.strip().isdigit() else None,
        tty=tty,
        start_ticks=start_ticks,
        cap_effective=cap_eff,
        cgroup=cgroup_raw.decode("utf-8", "replace").splitlines(),
    )


def list_pids(proc: str = _PROC) -> list[int]:
    return [int(name) for name in os.listdir(proc) if name.isdigit()]


def fd_target(pid: int, fd: int, proc: str = _PROC) -> bytes | None:
    return _readlink(f"{proc}/{pid}/fd/{fd}")
