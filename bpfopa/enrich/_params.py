"""A syscall record's arguments as the document's ``event`` fields (docs/event-schema.md):
numbers sign- or width-corrected, flags and constants named, paths resolved, the fd described.

Apart from the builder, which reads records and keeps the process table in step: this is the
per-argument decoding driven by the schema table (bpfopa.schema).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bpfopa.decode import (
    at_flag_names,
    ip_protocol_name,
    memfd_flag_names,
    mode_names,
    mount_flag_names,
    namespace_flag_names,
    open_flag_names,
    parse_sockaddr,
    ptrace_request_name,
    rename_flag_names,
    resolve_path,
    signal_name,
    socket_domain_name,
    socket_type_flag_names,
    socket_type_name,
    umount_flag_names,
)
from bpfopa.decode import decode_field as _decode_field
from bpfopa.enrich._fds import OPENS, fd_info, fd_name
from bpfopa.schema import ArgKind, Decode, Syscall
from bpfopa.state import FdInfo, Process, ProcessTable
from bpfopa.wire import ItemStatus

__all__ = ["decode_params"]

Doc = dict[str, Any]

_FLAG_NAMES: dict[Decode, Callable[[int], list[str]]] = {
    Decode.OPEN_FLAGS: open_flag_names,
    Decode.AT_FLAGS: at_flag_names,
    Decode.RENAME_FLAGS: rename_flag_names,
    Decode.CLONE_FLAGS: namespace_flag_names,
    Decode.MEMFD_FLAGS: memfd_flag_names,
    Decode.SOCK_FLAGS: socket_type_flag_names,
    Decode.MOUNT_FLAGS: mount_flag_names,
    Decode.UMOUNT_FLAGS: umount_flag_names,
}
_CONSTANT_NAMES: dict[Decode, Callable[[int], str | None]] = {
    Decode.SIGNAL: signal_name,
    Decode.PTRACE_REQUEST: ptrace_request_name,
    Decode.SOCKET_DOMAIN: socket_domain_name,
    Decode.SOCKET_TYPE: socket_type_name,
    Decode.IP_PROTOCOL: ip_protocol_name,
}
_SIGNED32 = {Decode.SIGNED, Decode.FD, Decode.DIRFD}
_FLAGS32 = {
    Decode.OPEN_FLAGS,
    Decode.AT_FLAGS,
    Decode.MODE,
    Decode.SIGNAL,
    Decode.MEMFD_FLAGS,
    Decode.SOCK_FLAGS,
    Decode.SOCKET_DOMAIN,
    Decode.SOCKET_TYPE,
    Decode.IP_PROTOCOL,
    Decode.RENAME_FLAGS,
    Decode.UMOUNT_FLAGS,
}
_O_CREAT = 0o100
_O_TMPFILE = 0o20000000
# Paths that name something other than a file relative to cwd (the target a symlink holds).
_LINK_TARGETS = {("symlink", "oldname"), ("symlinkat", "oldname")}
_UNKNOWN_FD = FdInfo("unknown")


def _s32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def decode_params(
    event: Doc,
    syscall: Syscall,
    args: list[int],
    items: dict[int, tuple[int, bytes]],
    proc: Process,
    raw: dict[str, str],
    table: ProcessTable,
) -> None:
    """Fill ``event`` with the syscall's decoded arguments: ``params``, ``flags``,
    ``mode_names``, ``path``/``paths`` (resolved against the process' cwd or dirfd), ``fd`` and
    ``truncated``; undecodable text is kept in ``raw``."""
    params: Doc = {}
    truncated: list[str] = []
    paths: dict[str, str | None] = {}
    flags: list[str] | None = None
    mode: int | None = None
    base_dir: str | None = proc.cwd
    fd_num: int | None = None
    for index, param in enumerate(syscall.params):
        value = args[index]
        kind = param.kind
        name = param.name
        if kind == ArgKind.VALUE:
            dec = param.decode
            if dec in _SIGNED32:
                value = _s32(value)
            elif dec in _FLAGS32:
                value &= 0xFFFFFFFF
            params[name] = value
            if dec == Decode.DIRFD:
                base_dir = proc.cwd if value == -100 else fd_name(proc, value)
            elif dec == Decode.FD and fd_num is None:
                fd_num = value
            elif dec == Decode.MODE:
                mode = value
            elif dec in _FLAG_NAMES and flags is None:
                flags = _FLAG_NAMES[dec](value)
            elif dec in _CONSTANT_NAMES:
                params[f"{name}_name"] = _CONSTANT_NAMES[dec](value)
            continue
        status, data = items.get(index, (ItemStatus.UNREADABLE, b""))
        if status == ItemStatus.TRUNCATED:
            truncated.append(name)
        if kind in (ArgKind.PATH, ArgKind.STRING):
            if index not in items:
                params[name] = None
                continue
            text = _decode_field(data, f"event.params.{name}", raw)
            params[name] = text
            if kind == ArgKind.PATH:
                if (syscall.name, name) in _LINK_TARGETS:
                    continue
                paths[name] = resolve_path(text, base_dir)
                base_dir = proc.cwd
        elif kind in (ArgKind.SOCKADDR, ArgKind.SOCKADDR_OUT, ArgKind.MSGHDR):
            params[name] = parse_sockaddr(data, raw=raw, field=f"event.params.{name}")
        elif kind == ArgKind.OPEN_HOW:
            if len(data) >= 24:
                how_flags = int.from_bytes(data[0:8], "little")
                how_mode = int.from_bytes(data[8:16], "little")
                params[name] = {
                    "flags": how_flags,
                    "mode": how_mode,
                    "resolve": int.from_bytes(data[16:24], "little"),
                }
                flags = open_flag_names(how_flags)
                mode = how_mode
            else:
                params[name] = None
    # The target a symlink holds is relative to the link's directory, not the cwd.
    for sc_name, target_param in _LINK_TARGETS:
        if sc_name == syscall.name and params.get(target_param) is not None:
            link = paths.get("newname")
            link_dir = link.rsplit("/", 1)[0] or "/" if link else None
            paths[target_param] = resolve_path(params[target_param], link_dir)
    if syscall.name == "execve" or syscall.name == "execveat":
        _exec_params(event, params, paths, proc, table)
    event["params"] = params
    if flags is not None:
        event["flags"] = flags
    if mode is not None and (
        syscall.name not in OPENS
        or syscall.name == "creat"
        or (params.get("flags", 0) & (_O_CREAT | _O_TMPFILE))
        or syscall.name == "openat2"
    ):
        event["mode_names"] = mode_names(mode)
    if paths:
        primary = paths.get("newname") if syscall.name in ("symlink", "symlinkat") else None
        event["path"] = primary or next(iter(paths.values()))
        event["paths"] = paths
    if fd_num is not None:
        fd = fd_info(proc, fd_num)
        event["fd"] = (fd or _UNKNOWN_FD).doc(fd_num)
    event["truncated"] = truncated
    for key in [k for k in raw if k.startswith("event.params.")]:
        path_key = key.removeprefix("event.params.")
        if path_key in paths and event.get("path") == paths[path_key]:
            raw["event.path"] = raw[key]


def _exec_params(
    event: Doc, params: Doc, paths: dict[str, str | None], proc: Process, table: ProcessTable
) -> None:
    params.pop("envp", None)
    if event["ret"] == 0:
        # The caller's memory is gone: the exec record told the table what ran. Without
        # it the process would still show its parent's binary: say it is not known.
        if proc.exec_unreported:
            proc.exec_unreported = False
        else:
            table.exec_missed(proc)
        params["filename"] = proc.exe_arg
        params["argv"] = proc.argv
        paths["filename"] = proc.exe
    else:
        params.pop("argv", None)
