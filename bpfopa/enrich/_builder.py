"""Kernel records to event documents (docs/event-schema.md).

Lifecycle records (fork, exec, exit) update the process table and produce no document; every
syscall record becomes one document, its process section taken from the table. A record whose
process (or parent) neither the table nor /proc knows waits in a small pending set for the
lifecycle record that introduces it, for at most ``pending_wait_s``.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bpfopa.decode import errno_name
from bpfopa.enrich._fds import SOCKET_ENDS, socket_fd, update_state
from bpfopa.enrich._params import decode_params
from bpfopa.enrich._pending import PendingSet
from bpfopa.schema import by_number
from bpfopa.state import Clock, ExecInfo, Process, ProcessTable
from bpfopa.wire import (
    CGROUP_BODY,
    EXEC_BODY,
    EXIT_BODY,
    FORK_BODY,
    HEADER,
    ITEM,
    SYSCALL_BODY,
    ExecItem,
    ExeFlags,
    ItemStatus,
    Opcode,
)

Doc = dict[str, Any]


def _upper_layer(flags: ExeFlags) -> bool | None:
    """process.exe_upper_layer: None where the probe could not tell."""
    if ExeFlags.LAYER_KNOWN not in flags:
        return None
    return ExeFlags.UPPER_LAYER in flags


@dataclass(slots=True)
class BuilderStats:
    records: int = 0
    documents: int = 0
    lifecycle: int = 0
    malformed: int = 0
    unknown_syscalls: int = 0


_Header = tuple[int, int, int, int, int, int, int, int, int, int, int, int, bytes]


class DocumentBuilder:
    def __init__(
        self,
        table: ProcessTable,
        clock: Clock,
        arch: str,
        pending_wait_s: float = 0.05,
        pending_limit: int = 4096,
        now_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self._table = table
        self._clock = clock
        self._syscalls = by_number(arch)
        self._now_ns = now_ns
        self.pending = PendingSet(int(pending_wait_s * 1e9), pending_limit)
        self.stats = BuilderStats()

    def build(self, records: list[bytes]) -> list[Doc]:
        """Documents for the syscall records of one batch, in order (with those of parked
        records now resolved or out of time); malformed ones counted."""
        docs: list[Doc] = []
        for record in records:
            self.stats.records += 1
            self._guarded(record, docs)
        if len(self.pending):
            for record in self.pending.due(self._now_ns()):
                self._guarded(record, docs, final=True)
        self._table.expire()
        self.stats.documents += len(docs)
        return docs

    def _guarded(self, record: bytes, docs: list[Doc], final: bool = False) -> None:
        try:
            self._one(record, docs, final)
        except (IndexError, ValueError, KeyError, struct.error):
            self.stats.malformed += 1

    def _one(self, record: bytes, docs: list[Doc], final: bool) -> None:
        header: _Header = HEADER.unpack_from(record)
        opcode, pid = header[0], header[6]
        if opcode == Opcode.SYSCALL:
            doc = self._syscall(record, header, final)
            if doc is not None:
                docs.append(doc)
            return
        self.stats.lifecycle += 1
        table = self._table
        if opcode == Opcode.FORK:
            child_pid, child_ppid, child_start_ns = FORK_BODY.unpack_from(record, HEADER.size)
            table.on_fork(pid, child_pid, child_ppid, child_start_ns)
            pid = child_pid
        elif opcode == Opcode.EXEC:
            self._exec(record, header)
        elif opcode == Opcode.EXIT:
            (start_ns,) = EXIT_BODY.unpack_from(record, HEADER.size)
            table.on_exit(pid, start_ns, header[4])
        elif opcode == Opcode.CGROUP:
            cgroup_id, path_len, _pad = CGROUP_BODY.unpack_from(record, HEADER.size)
            at = HEADER.size + CGROUP_BODY.size
            table.on_cgroup(cgroup_id, record[at : at + path_len])
            return
        else:
            raise ValueError(f"unknown opcode {opcode}")
        for parked in self.pending.take(pid):
            # An exit introduces nothing: those records go out with what is known.
            self._guarded(parked, docs, final=opcode == Opcode.EXIT)

    def _exec(self, record: bytes, header: _Header) -> None:
        (_op, _flags, size, _nr, _ts, cgroup_id, pid, _tid, ppid, uid, gid, euid, comm_raw) = header
        (
            cap_effective,
            start_ns,
            loginuid,
            tty_major,
            tty_minor,
            _argv,
            _env,
            exe_flags,
            exe_name,
        ) = EXEC_BODY.unpack_from(record, HEADER.size)
        items = _items(record, HEADER.size + EXEC_BODY.size, size)
        filename = items.get(ExecItem.FILENAME, (ItemStatus.UNREADABLE, b""))[1]
        argv_status, argv_blob = items.get(ExecItem.ARGV, (ItemStatus.UNREADABLE, b""))
        env_status, env_blob = items.get(ExecItem.ENV, (ItemStatus.UNREADABLE, b""))
        argv = argv_blob.split(b"\0")
        if argv and argv[-1] == b"":
            argv.pop()
        env = env_blob.split(b"\0")
        if env and env[-1] == b"":
            env.pop()
        elif env and env_status == ItemStatus.TRUNCATED:
            env.pop()  # a half variable is worse than none
        tty = (tty_minor & 0xFF) | (tty_major << 8) | ((tty_minor & ~0xFF) << 12)
        proc = self._table.on_exec(
            ExecInfo(
                pid=pid,
                ppid=ppid,
                start_ns=start_ns,
                comm=comm_raw.split(b"\0", 1)[0],
                filename=filename,
                exe_path=_exe_path(items.get(ExecItem.EXE_PATH)),
                argv=argv,
                args_truncated=argv_status == ItemStatus.TRUNCATED,
                env=env,
                uid=uid,
                gid=gid,
                euid=euid,
                loginuid=None if loginuid == 0xFFFFFFFF else loginuid,
                cap_effective=cap_effective,
                tty=tty,
                exe_name=exe_name.split(b"\0", 1)[0],
                exe_upper_layer=_upper_layer(ExeFlags(exe_flags)),
            )
        )
        self._table.observe(proc, ppid, uid, gid, euid, cgroup_id)

    def _process(self, record: bytes, header: _Header, final: bool) -> Process | None:
        """The record's process, or None when the record was parked to wait for it."""
        ts, pid, ppid = header[4], header[6], header[8]
        table = self._table
        pending = self.pending
        if not final and pending.holds(pid) and pending.park(pid, pid, record, ts):
            return None
        proc = table.current(pid)
        if proc is None:
            if not final and pending.park(pid, pid, record, ts):
                return None
            return table.header_only(pid, ppid, header[12].split(b"\0", 1)[0])
        if ppid and table.lookup(ppid) is None and table.current(ppid) is None:
            if not final and pending.park(ppid, pid, record, ts):
                return None
            proc.incomplete = True
            proc.changed()
        return proc

    def _syscall(self, record: bytes, header: _Header, final: bool) -> Doc | None:
        (_op, _flags, size, nr, ts, cgroup_id, _pid, tid, ppid, uid, gid, euid, _comm) = header
        syscall = self._syscalls.get(nr)
        if syscall is None:
            self.stats.unknown_syscalls += 1
            return None
        table = self._table
        proc = self._process(record, header, final)
        if proc is None:
            return None
        ret, *args = SYSCALL_BODY.unpack_from(record, HEADER.size)
        items = _items(record, HEADER.size + SYSCALL_BODY.size, size)
        # Who the caller was before a set*id call changed it (Falco reads that at entry).
        before = (
            {"uid": proc.uid, "euid": proc.euid, "gid": proc.gid}
            if syscall.category == "privilege"
            else None
        )
        table.observe(proc, ppid, uid, gid, euid, cgroup_id)
        raw: dict[str, str] = {}
        event: Doc = {
            "name": syscall.name,
            "nr": nr,
            "ts": ts,
            "time": self._clock.rfc3339(ts),
            "tid": tid,
            "ret": ret,
            "error": errno_name(ret) if ret < 0 else None,
        }
        if before is not None:
            event["before"] = before
        decode_params(event, syscall, args, items, proc, raw, table)
        update_state(self._table, event, syscall, proc)
        if syscall.name in SOCKET_ENDS:
            socket_fd(event, proc)
        doc: Doc = {"event": event, "process": table.process_doc(proc, tid)}
        for key, value in proc.raw.items():
            raw[f"process.{key.replace('argv.', 'args.')}"] = value
        if raw:
            doc["raw"] = raw
        return doc


def _exe_path(item: tuple[int, bytes] | None) -> bytes | None:
    """The exec probe's path components (leaf first) as a path; None when the walk was cut."""
    if item is None or item[0] != ItemStatus.OK:
        return None
    names = item[1].split(b"\0")
    if names and names[-1] == b"":
        names.pop()
    if not names:
        return None  # no path in any mount (an internal one: memfd, pipe)
    return b"/" + b"/".join(reversed(names))


def _items(record: bytes, start: int, size: int) -> dict[int, tuple[int, bytes]]:
    """The record's captured arguments by index: (status, bytes)."""
    items: dict[int, tuple[int, bytes]] = {}
    pos = start
    end = min(size, len(record))
    while pos + ITEM.size <= end:
        arg, status, length = ITEM.unpack_from(record, pos)
        pos += ITEM.size
        if pos + length > end:
            raise ValueError("item runs past the record")
        items[arg] = (status, record[pos : pos + length])
        pos += length
    return items
