"""The process cache: every execution the documents name, keyed by exec id, not by pid.

Fed by the kernel's fork/exec/exit records and by the header of every syscall record (ppid, uid
and cgroup changes), seeded from /proc at start through the same path as a live exec, and from
/proc again on a miss. A pid names at most one live execution (``_by_pid``); an execution that
exited stays, under its exec id, for a grace period so that its last syscalls and its children's
documents read later are still enriched, and a reused pid never touches it. The whole cache is an
LRU: past ``max_processes`` the least recently used execution goes (counted).
"""

from __future__ import annotations

import heapq
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from bpfopa.decode import (
    capability_names,
    container_from_cgroups,
    decode_field,
    decode_fields,
    resolve_path,
)
from bpfopa.state._cgroups import CgroupResolver
from bpfopa.state._proc import ProcSnapshot, list_pids, read_proc
from bpfopa.state._process import Clock, Doc, ExecId, Process, UserNames

ANCESTOR_LEVELS = 8


@dataclass(slots=True)
class ExecInfo:
    """One exec, from a kernel record or from /proc (the seed feeds these through the same path).

    Bytes stay bytes until the table decodes them (they may not be UTF-8)."""

    pid: int
    ppid: int
    start_ns: int
    comm: bytes
    filename: bytes | None  # the path given to exec (None: not known, /proc does not say)
    exe_path: bytes | None  # the file that runs, from the kernel's exe_file (None: not known)
    argv: list[bytes]
    args_truncated: bool
    env: list[bytes]
    uid: int
    gid: int
    euid: int
    loginuid: int | None
    cap_effective: int
    tty: int
    exe_name: bytes = b""  # the executable's dentry name ("memfd:x")
    exe_upper_layer: bool | None = None
    cwd: bytes | None = None
    cgroup: list[str] = field(default_factory=list)
    from_proc: bool = False


@dataclass(slots=True)
class TableStats:
    proc_fallbacks: int = 0  # found in /proc, not through a lifecycle record
    proc_misses: int = 0  # gone before /proc was read: enriched from the record alone
    evictions: int = 0  # LRU bound reached
    expired: int = 0  # removed after the exit grace period
    pid_reuses: int = 0  # a new execution for a pid whose previous one was still known
    reparented: int = 0  # the header's ppid differed: the parent exited, a subreaper took over
    exe_path_fallbacks: int = 0  # the kernel's path was cut: the path given to exec is shown
    exec_records_missing: int = 0  # a successful execve without its exec record

    def counters(self) -> dict[str, int]:
        return {f"process_{key}": value for key, value in asdict(self).items()}


class ProcessTable:
    def __init__(
        self,
        *,
        clock: Clock,
        cgroups: CgroupResolver,
        max_processes: int = 65536,
        exit_grace_s: float = 5.0,
        proc_root: str = "/proc",
        now_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self._execs: OrderedDict[ExecId, Process] = OrderedDict()  # least recently used first
        self._by_pid: dict[int, Process] = {}  # the current execution of each pid
        self._exited: list[tuple[int, ExecId]] = []  # heap of (deadline ns, exec id)
        self._clock = clock
        self._cgroups = cgroups
        self._max = max_processes
        #: How long an exited execution stays (tunable while running).
        self.grace_ns = int(exit_grace_s * 1e9)
        self._proc_root = proc_root
        self._now_ns = now_ns  # the kernel's clock (bpf_ktime_get_ns is CLOCK_MONOTONIC)
        self._boot_wall_ns = time.time_ns() - time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        self._tick_ns = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
        self.users = UserNames()
        self.stats = TableStats()

    def __len__(self) -> int:
        return len(self._execs)

    # --- lookups ------------------------------------------------------------------------------

    def lookup(self, pid: int) -> Process | None:
        """The current execution of ``pid`` if the table knows it (no /proc read)."""
        return self._by_pid.get(pid)

    def current(self, pid: int) -> Process | None:
        """The current execution of ``pid``: from the table, else from /proc."""
        proc = self._by_pid.get(pid)
        if proc is not None:
            self._execs.move_to_end(proc.exec_id)
            return proc
        snapshot = read_proc(pid, self._proc_root)
        if snapshot is None:
            return None
        self.stats.proc_fallbacks += 1
        return self._adopt(snapshot)

    def header_only(self, pid: int, ppid: int, comm: bytes) -> Process:
        """A process known only from a record's header: gone before anything else was seen."""
        self.stats.proc_misses += 1
        raw: dict[str, str] = {}
        proc = Process(pid=pid, ppid=ppid, name=decode_field(comm, "name", raw), raw=raw)
        proc.incomplete = True
        parent = self.current(ppid) if ppid else None
        if parent is not None:
            _inherit(proc, parent)
            proc.parent_id = parent.exec_id
        self._put(proc)
        return proc

    def parent_of(self, proc: Process) -> Process | None:
        """The parent execution: the one linked at fork, while the cache holds it (even exited),
        else the current execution of ppid."""
        if proc.parent_id is not None:
            parent = self._execs.get(proc.parent_id)
            if parent is not None:
                return parent
        if not proc.ppid:
            return None
        parent = self.current(proc.ppid)
        if parent is not None:
            proc.parent_id = parent.exec_id
        return parent

    # --- seeding: /proc through the exec path -------------------------------------------------

    def seed(self) -> int:
        """Every process now running, from /proc."""
        before = len(self._execs)
        for pid in list_pids(self._proc_root):
            if pid not in self._by_pid:  # a child's seed may have read its parent already
                snapshot = read_proc(pid, self._proc_root)
                if snapshot is not None:
                    self._adopt(snapshot)
        return len(self._execs) - before

    def _adopt(self, snap: ProcSnapshot) -> Process:
        return self.on_exec(
            ExecInfo(
                pid=snap.pid,
                ppid=snap.ppid,
                start_ns=snap.start_ticks * self._tick_ns,
                comm=snap.comm,
                filename=None,
                exe_path=snap.exe,
                argv=snap.argv,
                args_truncated=False,
                env=snap.env,
                uid=snap.uid,
                gid=snap.gid,
                euid=snap.euid,
                loginuid=snap.loginuid,
                cap_effective=snap.cap_effective,
                tty=snap.tty,
                cwd=snap.cwd,
                cgroup=snap.cgroup,
                from_proc=True,
            )
        )

    # --- kernel lifecycle records -------------------------------------------------------------

    def on_fork(
        self, forker_pid: int, child_pid: int, child_ppid: int, child_start_ns: int
    ) -> Process:
        """A new process: a copy of the one that forked, the child of ``child_ppid`` (the same
        but for CLONE_PARENT)."""
        forker = self.current(forker_pid)
        parent = forker if child_ppid == forker_pid else self.current(child_ppid)
        child = Process(pid=child_pid, ppid=child_ppid, name=forker.name if forker else "")
        child.start_ns = child_start_ns
        child.start_time = self._start_time(child_start_ns)
        if forker is not None:
            _inherit(child, forker)
            child.exe = forker.exe
            child.exe_arg = forker.exe_arg
            child.exe_upper_layer = forker.exe_upper_layer
            child.argv = forker.argv
            child.args_truncated = forker.args_truncated
            child.env = forker.env
            child.raw = dict(forker.raw)
            child.fds = dict(forker.fds)
        child.parent_id = parent.exec_id if parent is not None else None
        self._put(child)
        return child

    def on_exec(self, info: ExecInfo) -> Process:
        proc = self._by_pid.get(info.pid)
        if proc is None or not self._same(proc, info.start_ns):
            # Its fork was not seen (before the capture, or the /proc seed).
            proc = Process(pid=info.pid, ppid=info.ppid, name="")
            proc.start_ns = info.start_ns
            proc.start_time = self._start_time(info.start_ns)
            proc.from_proc = info.from_proc
            parent = self.current(info.ppid) if info.ppid and info.ppid != info.pid else None
            if parent is not None:
                _inherit(proc, parent)
                proc.parent_id = parent.exec_id
            self._put(proc)
        raw: dict[str, str] = {k: v for k, v in proc.raw.items() if k == "cwd"}
        if info.cwd is not None:
            proc.cwd = decode_field(info.cwd, "cwd", raw)
        proc.name = decode_field(info.comm, "name", raw)
        proc.exe_arg = (
            decode_field(info.filename, "exe_arg", raw) if info.filename is not None else None
        )
        proc.exe = self._exe(info, proc, raw)
        proc.argv = decode_fields(info.argv, "argv", raw)
        proc.args_truncated = info.args_truncated
        proc.env = decode_fields(info.env, "env", raw)
        proc.uid, proc.gid, proc.euid = info.uid, info.gid, info.euid
        proc.loginuid = info.loginuid
        proc.cap_effective = capability_names(info.cap_effective)
        proc.tty = info.tty
        proc.exe_upper_layer = info.exe_upper_layer
        if info.cgroup:
            proc.cgroup = info.cgroup
            proc.container = container_from_cgroups(info.cgroup)
        proc.raw = raw
        proc.incomplete = False
        proc.exec_unreported = not info.from_proc
        proc.changed()
        return proc

    def _exe(self, info: ExecInfo, proc: Process, raw: dict[str, str]) -> str | None:
        if info.exe_name.startswith(b"memfd:"):
            # Fileless: whatever path exec was given (/proc/self/fd/N, "" with AT_EMPTY_PATH),
            # the file is a memfd; show it as the kernel does in /proc/PID/exe.
            return decode_field(b"/" + info.exe_name + b" (deleted)", "exe", raw)
        if info.exe_path is not None:
            return decode_field(info.exe_path, "exe", raw)
        if info.filename is None:
            return None
        self.stats.exe_path_fallbacks += 1
        path = decode_field(info.filename, "exe", raw)
        return resolve_path(path, proc.cwd) or path

    def exec_missed(self, proc: Process) -> None:
        """A successful execve whose exec record never came: what the process runs now is
        unknown (not its parent's binary): from /proc if it is still this execution."""
        self.stats.exec_records_missing += 1
        snapshot = read_proc(proc.pid, self._proc_root)
        if snapshot is not None and self._same(proc, snapshot.start_ticks * self._tick_ns):
            self._adopt(snapshot)
            return
        proc.exe = proc.exe_arg = None
        proc.argv = []
        proc.env = []
        proc.incomplete = True
        proc.changed()

    def on_exit(self, pid: int, start_ns: int, ts: int) -> None:
        proc = self._by_pid.get(pid)
        if proc is not None and self._same(proc, start_ns) and not proc.exited:
            self._retire(proc, ts)

    def _retire(self, proc: Process, ts: int) -> None:
        proc.exited = True
        heapq.heappush(self._exited, (ts + self.grace_ns, proc.exec_id))

    def expire(self) -> None:
        """Forget executions whose exit grace period has passed."""
        now = self._now_ns()
        while self._exited and self._exited[0][0] <= now:
            _, exec_id = heapq.heappop(self._exited)
            proc = self._execs.pop(exec_id, None)
            if proc is None:
                continue
            self.stats.expired += 1
            if self._by_pid.get(proc.pid) is proc:
                del self._by_pid[proc.pid]

    def _same(self, proc: Process, start_ns: int) -> bool:
        """Whether ``start_ns`` is ``proc``'s start: /proc knows it only to the clock tick, a
        process known from a record header alone not at all."""
        if proc.start_ns == start_ns or (proc.incomplete and not proc.start_ns):
            return True
        return proc.from_proc and start_ns // self._tick_ns == proc.start_ns // self._tick_ns

    def _put(self, proc: Process) -> None:
        old = self._by_pid.get(proc.pid)
        if old is not None and old is not proc:
            self.stats.pid_reuses += 1
            if not old.exited:  # its exit record was lost: it still gets its grace period
                self._retire(old, self._now_ns())
        proc.exec_id = (proc.pid, proc.start_ns)
        self._by_pid[proc.pid] = proc
        self._execs[proc.exec_id] = proc
        self._execs.move_to_end(proc.exec_id)
        while len(self._execs) > self._max:
            _, evicted = self._execs.popitem(last=False)
            self.stats.evictions += 1
            if self._by_pid.get(evicted.pid) is evicted:
                del self._by_pid[evicted.pid]

    def _start_time(self, start_ns: int) -> str:
        second, ns = divmod(self._boot_wall_ns + start_ns, 1_000_000_000)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)) + f".{ns:09d}Z"

    # --- per-syscall updates ------------------------------------------------------------------

    def observe(
        self, proc: Process, ppid: int, uid: int, gid: int, euid: int, cgroup_id: int
    ) -> None:
        """Apply what every record header says about its process."""
        if ppid != proc.ppid:
            # Reparented (its parent exited: the subreaper or init took it), or a /proc read
            # raced the change. The header is the kernel's word at the time of the record.
            proc.ppid = ppid
            parent = self.current(ppid) if ppid else None
            proc.parent_id = parent.exec_id if parent is not None else None
            self.stats.reparented += 1
            proc.changed()
        if proc.uid != uid or proc.gid != gid or proc.euid != euid:
            proc.uid, proc.gid, proc.euid = uid, gid, euid
            proc.changed()
        if cgroup_id != proc.cgroup_id:
            self._update_cgroup(proc, cgroup_id)

    def on_cgroup(self, cgroup_id: int, path: bytes) -> None:
        """A cgroup was made: remembered, so that processes seen in it after it is gone still
        name it."""
        self._cgroups.learn(cgroup_id, path.decode("utf-8", "surrogateescape"))

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
        parent = self.parent_of(proc)
        doc["parent"] = parent.parent_doc(self.users) if parent is not None else None
        ancestors: list[Doc] = []
        seen = {proc.exec_id}
        current = parent
        execs = self._execs
        while current is not None and len(ancestors) < ANCESTOR_LEVELS:
            seen.add(current.exec_id)
            linked = current.parent_id
            found = execs.get(linked) if linked is not None else None
            current = found if found is not None else self.parent_of(current)
            if current is None or current.exec_id in seen:
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
