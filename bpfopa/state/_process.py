"""One process (one execution: a pid and its start time) as the event document shows it."""

from __future__ import annotations

import pwd
import time
from dataclasses import dataclass, field
from typing import Any

from bpfopa.decode import ContainerInfo

Doc = dict[str, Any]
#: Tetragon's exec id: the tgid and the start time (ns since boot). A pid is reused; the pair
#: names one process for the life of the host.
ExecId = tuple[int, int]


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
    #: start_boottime in ns; from /proc (the seed, a miss) only to the clock tick.
    start_ns: int = 0
    from_proc: bool = False
    parent_id: ExecId | None = None
    #: (pid, start_ns), set when the table takes the process in (both fixed from then on).
    exec_id: ExecId = (0, 0)
    #: The path given to exec, as given (None: not seen, e.g. exec'd before the capture).
    exe_arg: str | None = None
    #: An exec record was applied that no successful execve document has reported yet.
    exec_unreported: bool = False
    #: Enriched from the record header alone: neither its fork/exec nor /proc was seen.
    incomplete: bool = False
    exited: bool = False
    _doc: Doc | None = None
    _parent_doc: Doc | None = None

    def changed(self) -> None:
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
                "exe_arg": self.exe_arg,
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
            if self.incomplete:
                self._doc["incomplete"] = True
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
