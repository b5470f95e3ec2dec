"""The fd table of a process: what each of its descriptors refers to, kept up to date from the
syscalls that create, name or duplicate them, and read from /proc for those made before."""

from __future__ import annotations

from typing import Any

from bpfopa.schema import Syscall
from bpfopa.state import FdInfo, Process, ProcessTable
from bpfopa.state._proc import fd_target
from bpfopa.state._sockets import socket_from_proc

Doc = dict[str, Any]

_SOCKET_FD_TYPES = {
    "AF_INET": "ipv4",
    "AF_INET6": "ipv6",
    "AF_UNIX": "unix",
    "AF_NETLINK": "netlink",
    "AF_PACKET": "packet",
}
# The syscalls that open a file (the builder decodes their mode only with O_CREAT).
OPENS = {"open", "openat", "openat2", "creat"}
_DUPS = {"dup", "dup2", "dup3"}
_INET = {"ipv4", "ipv6"}
_PROTOS = {"SOCK_STREAM": "tcp", "SOCK_DGRAM": "udp", "SOCK_RAW": "raw"}
# Syscalls naming the peer of an fd, and the param holding its address.
_PEER_PARAMS = {
    "connect": "uservaddr",
    "sendto": "addr",
    "sendmsg": "msg",
    "recvfrom": "addr",
    "recvmsg": "msg",
}
_ACCEPTS = {"accept", "accept4"}
# Documents whose fd is shown as the call left it: the address it bound, connected to or
# accepted from (Falco's fd.name on the exit event).
SOCKET_ENDS = {"bind", "listen", "connect", *_ACCEPTS}
_EINPROGRESS = -115  # a non-blocking connect under way: the peer is set all the same


def fd_name(proc: Process, fd: int) -> str | None:
    info = fd_info(proc, fd)
    return info.name if info is not None and info.type == "file" else None


def fd_info(proc: Process, fd: int) -> FdInfo | None:
    info = proc.fds.get(fd)
    if info is not None:
        return info
    target = fd_target(proc.pid, fd)
    if target is None:
        return None
    text = target.decode("utf-8", "replace")
    if text.startswith("socket:["):
        # Created before the capture started: ask the process's network namespace.
        found = socket_from_proc(proc.pid, int(text[8:-1]))
        if found is None:
            return FdInfo("socket")
        info = FdInfo(found[0], proto=found[1])
        info.set_endpoints(found[2], found[3])
        proc.fds[fd] = info
        return info
    if text.startswith("/memfd:"):
        return FdInfo("memfd", text)
    return FdInfo("file" if text.startswith("/") else "unknown", text)


def socket_fd(event: Doc, proc: Process) -> None:
    """The document's fd after the call: an accepted connection's own fd, and a connect's peer
    even when the call failed (the address is what the caller asked for)."""
    params = event["params"]
    name = event["name"]
    num = event["ret"] if name in _ACCEPTS and event["ret"] >= 0 else params.get("fd")
    if not isinstance(num, int):
        return
    info = proc.fds.get(num) or fd_info(proc, num) or FdInfo("socket")
    if name == "connect" and info.remote is None:
        info = FdInfo(info.type, info.name, info.proto, info.local, None)
        info.set_endpoints(remote=params.get("uservaddr"))
    event["fd"] = info.doc(num)


def update_state(table: ProcessTable, event: Doc, syscall: Syscall, proc: Process) -> None:
    ret = event["ret"]
    if ret < 0 and not (syscall.name == "connect" and ret == _EINPROGRESS):
        return
    name = syscall.name
    params = event["params"]
    if name in OPENS:
        proc.fds[ret] = FdInfo("file", event.get("path"))
    elif name == "socket":
        fd_type = _SOCKET_FD_TYPES.get(params.get("family_name") or "", "socket")
        proto = _PROTOS.get(params.get("type_name") or "") if fd_type in _INET else None
        proc.fds[ret] = FdInfo(fd_type, proto=proto)
    elif name == "bind":
        fd = proc.fds.get(params["fd"])
        if fd is not None:
            fd.set_endpoints(local=params.get("umyaddr"))
    elif name in _PEER_PARAMS:
        fd = proc.fds.get(params["fd"])
        if fd is not None:
            fd.set_endpoints(remote=params.get(_PEER_PARAMS[name]))
    elif name in _ACCEPTS:
        listening = proc.fds.get(params["fd"])
        accepted = FdInfo(
            listening.type if listening else "socket",
            proto=listening.proto if listening else None,
        )
        accepted.set_endpoints(listening.local if listening else None, params.get("upeer_sockaddr"))
        proc.fds[ret] = accepted
    elif name in _DUPS:
        old = proc.fds.get(params.get("fildes", params.get("oldfd", -1)))
        if old is not None:
            proc.fds[ret] = FdInfo(old.type, old.name, old.proto, old.local, old.remote)
    elif name == "memfd_create":
        proc.fds[ret] = FdInfo("memfd", f"memfd:{params.get('uname')}")
    elif name == "chdir":
        table.set_cwd(proc, event.get("path"))
    elif name == "fchdir":
        table.set_cwd(proc, fd_name(proc, params["fd"]))
    if len(proc.fds) > 4096:
        proc.fds.clear()
