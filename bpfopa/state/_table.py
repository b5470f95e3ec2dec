"""The process table: every live process with what the event document says about it.

Fed by the kernel's fork/exec/exit records and by the header of every syscall record (uid, comm
and cgroup changes), seeded from /proc at start and from /proc again on a miss. Exited processes
stay for a grace period so that their last syscalls, read later, are still enriched.
"""

from __future__ import annotations

import os
import pwd
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from bpfopa.decode import (
    ContainerInfo,
    capability_names,
    container_from_cgroups,
    decode_field,
    decode_fields,
    resolve_path,
)
from bpfopa.state._cgroups import CgroupResolver
from bpfopa.state._proc import ProcSnapshot, list_pids, read_proc

ANCESTOR_LEVELS = 8
Doc = dict[str, Any]


@dataclass(slots=True)
class FdInfo:
    type: str  # file, ipv4, ipv6, unix, netlink, packet, memfd, socket, unknown
    name: str | None = None
    proto: str | None = None  # tcp, udp, raw (inet sockets)
    local: dict[str, Any] | None = None  # sockaddr, as in event.params
    remote: dict[str, Any] | None = None

    def doc(self, num: int) -> dict[str, Any]:
        return {
            "num": num,
            "type": self.type,
            "proto": self.proto,
            "name": self.name,
            "local": self.local,
            "remote": self.remote,
        }

    def set_endpoints(self, local: Any = None, remote: Any = None) -> None:
        if isinstance(local, dict) and local.get("address") is not None:
            self.local = local
        if isinstance(remote, dict) and remote.get("address") is not None:
            self.remote = remote
        ends = [_endpoint(self.local), _endpoint(self.remote)]
        self.name = f"{ends[0] or ''}->{ends[1]}" if ends[1] else ends[0]


def _endpoint(addr: dict[str, Any] | None) -> str | None:
    if addr is None:
        return None
    host, port = addr.get("address"), addr.get("port")
    if port is None:
        return str(host)
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


@dataclass(slots=True)
class Process:
    pid: int
    ppid: int
    name: str
    exe: str | None = None
    argv: list[str] = field(default_factory=list)
    args_truncated: bool = False
    env: list[str] = field(default_factory=list)
    cwd: str | None = None
    uid: int | None = None
    gid: int | None = None
    euid: int | None = None
    loginuid: int | None = None
    tty: int = 0
    start_time: str | None = None
    cap_effective: list[str] = field(default_factory=list)
    #: The executable is in an overlayfs upper layer (None: not known, e.g. exec'd before the
    #: capture started or a kernel whose BTF lacks overlayfs).
    exe_upper_layer: bool | None = None
    cgroup_id: int = 0
    cgroup: list[str] = field(default_factory=list)
    container: ContainerInfo | None = None
    raw: dict[str, str] = field(default_factory=dict)  # non-UTF-8 fields, keys like "args.2"
    fds: dict[int, FdInfo] = field(default_factory=dict)
    version: int = 0
    _doc: Doc | None = None
    _parent_doc: Doc | None = None

    def changed(self) -> None:
        self.version += 1
        self._doc = None
        self._parent_doc = None

    def parent_doc(self, users: UserNames) -> Doc:
        """The fields as a parent: without the environment, which only the process's own
        rules read and which would double most documents' size."""
        if self._parent_doc is None:
            self._parent_doc = {k: v for k, v in self.doc(users).items() if k != "env"}
        return self._parent_doc

    def doc(self, users: UserNames) -> Doc:
        """The process fields of the document, without parent and ancestors (cached)."""
        if self._doc is None:
            self._doc = {
                "pid": self.pid,
                "ppid": self.ppid,
                "name": self.name,
                "exe": self.exe,
                "exe_from_memfd": self.exe is not None and self.exe.startswith("/memfd:"),
                "exe_upper_layer": self.exe_upper_layer,
                "args": self.argv[1:],
                "argv0": self.argv[0] if self.argv else None,
                "cmdline": " ".join([self.name, *self.argv[1:]]) if self.argv else self.name,
                "args_truncated": self.args_truncated,
                "env": self.env,
                "cwd": self.cwd,
                "uid": self.uid,
                "gid": self.gid,
                "euid": self.euid,
                "loginuid": self.loginuid,
                "user": users.name(self.uid),
                "tty": self.tty,
                "start_time": self.start_time,
                "cap_effective": self.cap_effective,
                "cgroup": self.cgroup,
                "container": self.container,
            }
        return self._doc


class UserNames:
    """uid -> login name from the host's passwd, cached (including misses)."""

    def __init__(self) -> None:
        self._names: dict[int, str | None] = {}

    def name(self, uid: int | None) -> str | None:
        if uid is None:
            return None
        if uid not in self._names:
            try:
                self._names[uid] = pwd.getpwuid(uid).pw_name
            except KeyError:
                self._names[uid] = None
        return self._names[uid]


class Clock:
    """Kernel monotonic ns (bpf_ktime_get_ns) to wall-clock RFC 3339 strings."""

    def __init__(self) -> None:
        self._offset = time.time_ns() - time.monotonic_ns()
        self._second = -1
        self._prefix = ""

    def wall_ns(self, ktime_ns: int) -> int:
        return ktime_ns + self._offset

    def rfc3339(self, ktime_ns: int) -> str:
        wall = ktime_ns + self._offset
        second, ns = divmod(wall, 1_000_000_000)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{ns:09d}Z"


@dataclass(slots=True)
class TableStats:
    proc_fallbacks: int = 0
    proc_misses: int = 0  # gone before /proc was read: enriched from the record alone
    evictions: int = 0
    pid_reuses: int = 0


class ProcessTable:
    def __init__(
        self,
        *,
        clock: Clock,
        cgroups: CgroupResolver,
        max_processes: int = 65536,
        exit_grace_s: float = 5.0,
        proc_root: str = "/proc",
    ) -> None:
        self._procs: OrderedDict[int, Process] = OrderedDict()
        self._exited: deque[tuple[float, int, int]] = deque()  # (deadline, pid, version)
        self._clock = clock
        self._cgroups = cgroups
        self._max = max_processes
        self._grace = exit_grace_s
        self._proc_root = proc_root
        self._boot_wall_ns = time.time_ns() - time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        self._ticks = os.sysconf("SC_CLK_TCK")
        self.users = UserNames()
        self.stats = TableStats()

    def __len__(self) -> int:
        return len(self._procs)

    # --- seeding and misses -------------------------------------------------------------------

    def seed(self) -> int:
        """Every process now running, from /proc."""
        count = 0
        for pid in list_pids(self._proc_root):
            snapshot = read_proc(pid, self._proc_root)
            if snapshot is not None:
                self._put(self._from_snapshot(snapshot))
                count += 1
        return count

    def _from_snapshot(self, snap: ProcSnapshot) -> Process:
        raw: dict[str, str] = {}
        start_ns = self._boot_wall_ns + snap.start_ticks * 1_000_000_000 // self._ticks
        second, ns = divmod(start_ns, 1_000_000_000)
        proc = Process(
            pid=snap.pid,
            ppid=snap.ppid,
            name=decode_field(snap.comm, "name", raw),
            exe=decode_field(snap.exe, "exe", raw) if snap.exe is not None else None,
            argv=decode_fields(snap.argv, "argv", raw),
            env=decode_fields(snap.env, "env", raw),
            cwd=decode_field(snap.cwd, "cwd", raw) if snap.cwd is not None else None,
            uid=snap.uid,
            gid=snap.gid,
            euid=snap.euid,
            loginuid=snap.loginuid,
            tty=snap.tty,
            start_time=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)) + f".{ns:09d}Z",
            cap_effective=snap.cap_effective,
            cgroup=snap.cgroup,
            container=container_from_cgroups(snap.cgroup),
            raw=raw,
        )
        return proc

    def _put(self, proc: Process) -> None:
        self._procs[proc.pid] = proc
        self._procs.move_to_end(proc.pid)
        while len(self._procs) > self._max:
            self._procs.popitem(last=False)
            self.stats.evictions += 1

    def get(self, pid: int) -> Process | None:
        proc = self._procs.get(pid)
        if proc is None:
            snapshot = read_proc(pid, self._proc_root)
            if snapshot is None:
                return None
            self.stats.proc_fallbacks += 1
            proc = self._from_snapshot(snapshot)
            self._put(proc)
        return proc

    def get_or_make(self, pid: int, ppid: int, comm: bytes) -> Process:
        """The process, from the table, /proc, or — gone already — the record's header."""
        proc = self.get(pid)
        if proc is None:
            self.stats.proc_misses += 1
            raw: dict[str, str] = {}
            proc = Process(pid=pid, ppid=ppid, name=decode_field(comm, "name", raw), raw=raw)
            parent = self._procs.get(ppid)
            if parent is not None:
                _inherit(proc, parent)
            self._put(proc)
        return proc

    # --- kernel lifecycle records -------------------------------------------------------------

    def on_fork(self, parent_pid: int, child_pid: int, child_ppid: int, ts: int) -> None:
        parent = self.get(parent_pid)
        if child_pid in self._procs:
            self.stats.pid_reuses += 1
        child = Process(pid=child_pid, ppid=child_ppid, name=parent.name if parent else "")
        if parent is not None:
            _inherit(child, parent)
            child.exe = parent.exe
            child.exe_upper_layer = parent.exe_upper_layer
            child.argv = parent.argv
            child.args_truncated = parent.args_truncated
            child.env = parent.env
            child.raw = dict(parent.raw)
            child.fds = dict(parent.fds)
        child.start_time = self._clock.rfc3339(ts)
        self._put(child)

    def on_exec(
        self,
        pid: int,
        ppid: int,
        comm: bytes,
        filename: bytes,
        argv: list[bytes],
        args_truncated: bool,
        env: list[bytes],
        identity: tuple[int, int, int, int | None],
        cap_effective: int,
        tty: int,
        exe_dentry: bytes = b"",
        exe_upper_layer: bool | None = None,
    ) -> Process:
        proc = self.get_or_make(pid, ppid, comm)
        raw: dict[str, str] = {k: v for k, v in proc.raw.items() if k == "cwd"}
        proc.name = decode_field(comm, "name", raw)
        if exe_dentry.startswith(b"memfd:"):
            # Fileless: whatever path exec was given (/proc/self/fd/N, "" with AT_EMPTY_PATH),
            # the file is a memfd; show it as the kernel does in /proc/PID/exe.
            proc.exe = decode_field(b"/" + exe_dentry + b" (deleted)", "exe", raw)
        else:
            path = decode_field(filename, "exe", raw)
            proc.exe = resolve_path(path, proc.cwd) or path
        proc.argv = decode_fields(argv, "argv", raw)
        proc.args_truncated = args_truncated
        proc.env = decode_fields(env, "env", raw)
        proc.uid, proc.gid, proc.euid, proc.loginuid = identity
        proc.cap_effective = capability_names(cap_effective)
        proc.tty = tty
        proc.exe_upper_layer = exe_upper_layer
        proc.raw = raw
        proc.changed()
        return proc

    def on_exit(self, pid: int) -> None:
        proc = self._procs.get(pid)
        if proc is not None:
            self._exited.append((time.monotonic() + self._grace, pid, proc.version))

    def expire(self) -> None:
        """Forget processes whose exit grace period has passed."""
        now = time.monotonic()
        while self._exited and self._exited[0][0] <= now:
            _, pid, version = self._exited.popleft()
            proc = self._procs.get(pid)
            if proc is not None and proc.version == version:
                del self._procs[pid]

    # --- per-syscall updates ------------------------------------------------------------------

    def observe(
        self, proc: Process, uid: int, gid: int, euid: int, comm: bytes, cgroup_id: int
    ) -> None:
        """Apply what every record header says about its process."""
        if proc.uid != uid or proc.gid != gid or proc.euid != euid:
            proc.uid, proc.gid, proc.euid = uid, gid, euid
            proc.changed()
        if cgroup_id != proc.cgroup_id:
            self._update_cgroup(proc, cgroup_id)

    def _update_cgroup(self, proc: Process, cgroup_id: int) -> None:
        """The process moved to another cgroup. Settled only once its path is known, so the
        next record retries (a cgroup created a moment ago may not be found yet)."""
        path = self._cgroups.path(cgroup_id)
        snapshot = read_proc(proc.pid, self._proc_root)
        if snapshot is not None:  # v1 hierarchies too, while the process lives
            lines = snapshot.cgroup
        elif path is not None:
            lines = [f"0::{path}"]
        else:
            return
        proc.cgroup_id = cgroup_id
        proc.cgroup = lines
        proc.container = container_from_cgroups(lines)
        proc.changed()

    def set_cwd(self, proc: Process, cwd: str | None) -> None:
        if cwd is not None and cwd != proc.cwd:
            proc.cwd = cwd
            proc.raw.pop("cwd", None)
            proc.changed()

    # --- the document's process section -------------------------------------------------------

    def process_doc(self, proc: Process, tid: int) -> Doc:
        doc = dict(proc.doc(self.users))
        doc["tid"] = tid
        parent = self.get(proc.ppid) if proc.ppid else None
        doc["parent"] = parent.parent_doc(self.users) if parent is not None else None
        ancestors: list[Doc] = []
        seen = {proc.pid}
        current = parent
        while current is not None and len(ancestors) < ANCESTOR_LEVELS:
            seen.add(current.pid)
            if not current.ppid or current.ppid in seen:
                break
            current = self.get(current.ppid)
            if current is None:
                break
            d = current.doc(self.users)
            ancestors.append(
                {"pid": d["pid"], "name": d["name"], "exe": d["exe"], "cmdline": d["cmdline"]}
            )
        doc["ancestors"] = ancestors
        return doc


def _inherit(child: Process, parent: Process) -> None:
    child.cwd = parent.cwd
    child.uid, child.gid, child.euid = parent.uid, parent.gid, parent.euid
    child.loginuid = parent.loginuid
    child.tty = parent.tty
    child.cap_effective = parent.cap_effective
    child.cgroup_id = parent.cgroup_id
    child.cgroup = parent.cgroup
    child.container = parent.container
