"""Process table and document builder on synthetic kernel records (pure logic)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from bpfopa.enrich import DocumentBuilder
from bpfopa.state import CgroupResolver, Clock, ProcessTable
from bpfopa.wire import (
    EXEC_BODY,
    EXIT_BODY,
    FORK_BODY,
    HEADER,
    ITEM,
    SYSCALL_BODY,
    ExeFlags,
    ItemStatus,
    Opcode,
)

OPENAT = 257
EXECVE = 59
MS = 1_000_000


def header(
    opcode: Opcode,
    pid: int,
    ppid: int,
    comm: bytes,
    size: int,
    nr: int = 0,
    uid: int = 1000,
    ts: int = MS,
) -> bytes:
    return HEADER.pack(opcode, 0, size, nr, ts, 0, pid, pid, ppid, uid, uid, uid, comm)


def item(arg: int, data: bytes, status: ItemStatus = ItemStatus.OK) -> bytes:
    return ITEM.pack(arg, status, len(data)) + data


def start_of(pid: int) -> int:
    """The start time the helpers give a pid's first execution (ns since boot)."""
    return pid * 1000


def fork(parent: int, child: int, start: int | None = None, ppid: int | None = None) -> bytes:
    size = HEADER.size + FORK_BODY.size
    body = FORK_BODY.pack(child, parent if ppid is None else ppid, start or start_of(child))
    return header(Opcode.FORK, parent, 1, b"sh", size) + body


def exec_(
    pid: int,
    ppid: int,
    filename: bytes,
    argv: list[bytes],
    comm: bytes,
    truncated: bool = False,
    exe_name: bytes = b"",
    exe_flags: int = 0,
    start: int | None = None,
    exe_path: bytes | None = None,
    exe_status: ItemStatus = ItemStatus.OK,
) -> bytes:
    """An exec record; ``exe_path`` is what the probe's dentry walk found (default: the
    filename, when absolute)."""
    blob = b"\0".join(argv) + b"\0"
    if exe_path is None and filename.startswith(b"/"):
        exe_path = filename
    walk = (
        b"".join(name + b"\0" for name in reversed(exe_path.split(b"/")[1:])) if exe_path else b""
    )
    items = (
        item(0, filename)
        + item(3, walk, exe_status)
        + item(1, blob, ItemStatus.TRUNCATED if truncated else ItemStatus.OK)
        + item(2, b"A=1\0")
    )
    size = HEADER.size + EXEC_BODY.size + len(items)
    body = EXEC_BODY.pack(
        1 << 21, start or start_of(pid), 1000, 136, 3, len(blob), 4, exe_flags, exe_name
    )
    return header(Opcode.EXEC, pid, ppid, comm, size) + body + items


def openat(pid: int, ppid: int, comm: bytes, path: bytes, ret: int = 3, ts: int = MS) -> bytes:
    items = item(1, path)
    size = HEADER.size + SYSCALL_BODY.size + len(items)
    body = SYSCALL_BODY.pack(ret, (-100) & 0xFFFFFFFFFFFFFFFF, 0, 0o1101, 0o644, 0, 0)
    return header(Opcode.SYSCALL, pid, ppid, comm, size, OPENAT, ts=ts) + body + items


def execve(pid: int, ppid: int, comm: bytes, ret: int = 0) -> bytes:
    """A successful execve's syscall record: no items (the caller's memory is gone)."""
    size = HEADER.size + SYSCALL_BODY.size
    body = SYSCALL_BODY.pack(ret, 0x1000, 0x2000, 0x3000, 0, 0, 0)
    return header(Opcode.SYSCALL, pid, ppid, comm, size, EXECVE) + body


def exit_(pid: int, start: int | None = None, ts: int = MS) -> bytes:
    size = HEADER.size + EXIT_BODY.size
    return header(Opcode.EXIT, pid, 1, b"x", size, ts=ts) + EXIT_BODY.pack(start or start_of(pid))


def fake_proc(root: Path, pid: int, ppid: int, comm: str, exe: str = "/sbin/init") -> None:
    """A /proc/PID entry with what read_proc needs."""
    base = root / str(pid)
    base.mkdir()
    fields = ["S", str(ppid), *["0"] * 17, str(pid), *["0"] * 20]  # starttime: pid ticks
    (base / "stat").write_text(f"{pid} ({comm}) {' '.join(fields)}\n")
    (base / "status").write_text("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\t0\n")
    (base / "cmdline").write_bytes(comm.encode() + b"\0")
    (base / "exe").symlink_to(exe)


class FakeClock:
    def __init__(self) -> None:
        self.ns = MS

    def __call__(self) -> int:
        return self.ns


def make(
    tmp_path: Path, clock: FakeClock | None = None, **kwargs: float
) -> tuple[ProcessTable, DocumentBuilder]:
    """A table over a fake /proc holding init (1) and a shell (100), the parents the tests'
    records name."""
    now = clock or FakeClock()
    if not (tmp_path / "1").exists():
        fake_proc(tmp_path, 1, 0, "init")
        fake_proc(tmp_path, 100, 1, "sh", "/usr/bin/dash")
    wall = Clock()
    table = ProcessTable(
        clock=wall, cgroups=CgroupResolver(None), proc_root=str(tmp_path), now_ns=now, **kwargs
    )  # type: ignore[arg-type]
    return table, DocumentBuilder(table, wall, "x86_64", now_ns=now)


def test_process_gone_before_proc_read_is_built_from_records(tmp_path: Path) -> None:
    """An empty /proc: every process is known only from the kernel's records."""
    _table, builder = make(tmp_path)
    docs = builder.build(
        [
            fork(100, 101),
            exec_(101, 100, b"/usr/bin/cat", [b"cat", b"/etc/hostname"], b"cat"),
            openat(101, 100, b"cat", b"/etc/hostname"),
            exit_(101),
        ]
    )
    [doc] = docs
    proc = doc["process"]
    assert (proc["name"], proc["exe"], proc["args"], proc["ppid"]) == (
        "cat",
        "/usr/bin/cat",
        ["/etc/hostname"],
        100,
    )
    assert proc["tty"] == (136 << 8) | 3
    assert proc["cap_effective"] == ["CAP_SYS_ADMIN"]
    assert doc["event"]["flags"] == ["O_WRONLY", "O_CREAT", "O_TRUNC"]
    assert doc["event"]["path"] == "/etc/hostname"


def test_unknown_process_waits_then_goes_out_from_the_header(tmp_path: Path) -> None:
    """Neither the table nor /proc knows it: parked for the wait, then emitted flagged."""
    clock = FakeClock()
    table, builder = make(tmp_path, clock)
    assert builder.build([openat(555, 1, b"ghost", b"relative.txt")]) == []
    assert len(builder.pending) == 1
    clock.ns += 60 * MS  # past the 50 ms wait
    [doc] = builder.build([])
    assert doc["process"]["name"] == "ghost" and doc["process"]["exe"] is None
    assert doc["process"]["incomplete"] is True
    assert doc["process"]["parent"]["name"] == "init"
    assert doc["event"]["path"] is None, "no cwd known: a relative path stays unresolved"
    assert doc["event"]["params"]["filename"] == "relative.txt"
    assert table.stats.proc_misses == 1
    assert builder.pending.stats.expired == 1 and len(builder.pending) == 0


def test_exec_completes_a_process_known_from_its_header(tmp_path: Path) -> None:
    clock = FakeClock()
    table, builder = make(tmp_path, clock)
    builder.build([openat(556, 1, b"ghost", b"/a")])
    clock.ns += 60 * MS
    [partial] = builder.build([])
    assert partial["process"]["incomplete"] is True
    [doc] = builder.build(
        [exec_(556, 1, b"/bin/real", [b"real"], b"real"), openat(556, 1, b"real", b"/b")]
    )
    assert doc["process"]["exe"] == "/bin/real" and "incomplete" not in doc["process"]
    assert table.stats.pid_reuses == 0 and len(table) == 2  # init and this one


def test_parked_record_is_resolved_by_the_lifecycle_record(tmp_path: Path) -> None:
    """A record ahead of the fork that introduces its process waits for it, and later records
    of that process queue behind it, in order."""
    _table, builder = make(tmp_path)
    assert builder.build([openat(600, 100, b"sh", b"/a"), openat(600, 100, b"sh", b"/b")]) == []
    docs = builder.build([fork(100, 600)])
    assert [d["event"]["path"] for d in docs] == ["/a", "/b"]
    assert docs[0]["process"]["exe"] == "/usr/bin/dash", "the forker's image"
    assert "incomplete" not in docs[0]["process"]
    assert builder.pending.stats.resolved == 2


def test_pending_set_is_bounded(tmp_path: Path) -> None:
    clock = FakeClock()
    _table, builder = make(tmp_path, clock)
    builder.pending = type(builder.pending)(wait_ns=50 * MS, limit=2)
    docs = builder.build([openat(610 + i, 1, b"g", b"/x") for i in range(3)])
    assert len(docs) == 1 and docs[0]["process"]["incomplete"] is True
    assert builder.pending.stats.overflow == 1


def test_pid_reuse_replaces_the_old_process(tmp_path: Path) -> None:
    table, builder = make(tmp_path)
    builder.build(
        [
            fork(100, 200),
            exec_(200, 100, b"/bin/old", [b"old"], b"old"),
            exit_(200),
            fork(100, 200, start=2),
            exec_(200, 100, b"/bin/new", [b"new", b"x"], b"new", start=2),
        ]
    )
    [doc] = builder.build([openat(200, 100, b"new", b"/tmp/f")])
    assert doc["process"]["exe"] == "/bin/new" and doc["process"]["args"] == ["x"]
    assert table.stats.pid_reuses == 1


def test_expiry_of_a_reused_pid_keeps_the_new_process(tmp_path: Path) -> None:
    """The old table compared version numbers: the old process's expiry deleted the new one
    once both had seen fork+exec."""
    clock = FakeClock()
    table, builder = make(tmp_path, clock, exit_grace_s=1.0)
    builder.build(
        [
            fork(100, 200),
            exec_(200, 100, b"/bin/old", [b"old"], b"old"),
            exit_(200, ts=MS),
            fork(100, 200, start=2),
            exec_(200, 100, b"/bin/new", [b"new"], b"new", start=2),
        ]
    )
    clock.ns += 2_000 * MS
    builder.build([])
    assert table.stats.expired == 1
    proc = table.lookup(200)
    assert proc is not None and proc.exe == "/bin/new"


def test_child_keeps_its_exited_parent_during_the_grace_period(tmp_path: Path) -> None:
    """Parents are linked by exec id: the pid reused by another process does not become the
    child's parent, and the exited parent still enriches its child's late records."""
    _table, builder = make(tmp_path)
    builder.build(
        [
            fork(100, 300),
            exec_(300, 100, b"/bin/parent", [b"parent"], b"parent"),
            fork(300, 301),
            exec_(301, 300, b"/bin/child", [b"child"], b"child"),
            exit_(300),
            fork(100, 300, start=7),  # pid 300 reused
            exec_(300, 100, b"/bin/impostor", [b"impostor"], b"impostor", start=7),
        ]
    )
    [doc] = builder.build([openat(301, 300, b"child", b"/x")])
    assert doc["process"]["parent"]["exe"] == "/bin/parent"
    assert doc["process"]["ancestors"][0]["exe"] == "/usr/bin/dash"


def test_header_ppid_follows_reparenting(tmp_path: Path) -> None:
    table, builder = make(tmp_path)
    builder.build(
        [
            fork(100, 310),
            exec_(310, 100, b"/bin/mid", [b"mid"], b"mid"),
            fork(310, 311),
            exit_(310),
        ]
    )
    # The kernel gave the orphan to init (or a subreaper): the header says so.
    [doc] = builder.build([openat(311, 1, b"mid", b"/x")])
    assert doc["process"]["ppid"] == 1 and doc["process"]["parent"]["name"] == "init"
    assert table.stats.reparented == 1


def test_exited_process_is_kept_for_its_grace_period(tmp_path: Path) -> None:
    clock = FakeClock()
    table, builder = make(tmp_path, clock, exit_grace_s=1.0)
    builder.build([fork(100, 300), exec_(300, 100, b"/bin/a", [b"a"], b"a"), exit_(300)])
    clock.ns += 500 * MS
    builder.build([])
    assert table.lookup(300) is not None, "within the grace period"
    [doc] = builder.build([openat(300, 100, b"a", b"/late")])
    assert doc["process"]["exe"] == "/bin/a", "a late record is still enriched"
    clock.ns += 600 * MS
    builder.build([])  # expiry runs per batch
    assert table.lookup(300) is None


def test_table_is_a_bounded_lru(tmp_path: Path) -> None:
    table, builder = make(tmp_path, max_processes=10)
    builder.build([fork(1, 1000 + i) for i in range(50)])
    assert len(table) == 10 and table.stats.evictions >= 40
    builder.build([openat(1041, 1, b"sh", b"/x")])  # recently used: survives what comes next
    builder.build([fork(1, 2000 + i) for i in range(8)])
    assert table.lookup(1041) is not None and table.lookup(1042) is None


def test_execve_document_reports_the_exec_record(tmp_path: Path) -> None:
    """event.path is the file that runs; params.filename the argument as given."""
    _table, builder = make(tmp_path)
    [doc] = builder.build(
        [
            fork(100, 320),
            exec_(320, 100, b"../bin/sh", [b"sh"], b"sh", exe_path=b"/usr/bin/dash"),
            execve(320, 100, b"sh"),
        ]
    )
    assert doc["event"]["params"]["filename"] == "../bin/sh"
    assert doc["event"]["path"] == "/usr/bin/dash"
    assert (doc["process"]["exe"], doc["process"]["exe_arg"]) == ("/usr/bin/dash", "../bin/sh")


def test_execve_without_its_exec_record_does_not_show_the_parent(tmp_path: Path) -> None:
    """The exec record was lost: the parent's binary (inherited at fork) must not be reported
    as what the child ran."""
    table, builder = make(tmp_path)
    [doc] = builder.build([fork(100, 330), execve(330, 100, b"cat")])
    assert doc["process"]["exe"] != "/usr/bin/dash"
    assert doc["event"]["params"]["filename"] is None
    assert doc["process"]["incomplete"] is True
    assert table.stats.exec_records_missing == 1


def test_cut_exe_path_falls_back_to_the_argument(tmp_path: Path) -> None:
    table, builder = make(tmp_path)
    [doc] = builder.build(
        [
            fork(100, 340),
            exec_(340, 100, b"/deep/x", [b"x"], b"x", exe_status=ItemStatus.TRUNCATED),
            openat(340, 100, b"x", b"/y"),
        ]
    )
    assert doc["process"]["exe"] == "/deep/x"
    assert table.stats.exe_path_fallbacks == 1


def test_seed_goes_through_the_exec_path(tmp_path: Path) -> None:
    table, _builder = make(tmp_path)
    fake_proc(tmp_path, 150, 100, "daemon", "/usr/sbin/daemon")
    assert table.seed() == 3
    proc = table.lookup(150)
    assert proc is not None and (proc.exe, proc.name, proc.exe_arg) == (
        "/usr/sbin/daemon",
        "daemon",
        None,
    )
    parent = table.parent_of(proc)
    assert parent is not None and parent.exe == "/usr/bin/dash"
    # /proc knows the start to the tick: the kernel's exit record still matches it.
    table.on_exit(150, 150 * (1_000_000_000 // os.sysconf("SC_CLK_TCK")) + 123, MS)
    assert proc.exited


def test_non_utf8_argv_and_truncation_are_reported(tmp_path: Path) -> None:
    _, builder = make(tmp_path)
    [doc] = builder.build(
        [
            exec_(400, 1, b"/bin/x\xff", [b"x", b"bad\xfe"], b"x", truncated=True),
            openat(400, 1, b"x", b"/tmp/\xff"),
        ]
    )
    assert doc["process"]["args"] == ["bad\ufffd"] and doc["process"]["args_truncated"]
    assert doc["process"]["exe"] == "/bin/x\ufffd"
    assert doc["raw"]["process.args.1"] and doc["raw"]["process.exe"]
    assert doc["raw"]["event.path"] == doc["raw"]["event.params.filename"]


def test_malformed_records_are_counted_not_fatal(tmp_path: Path) -> None:
    _, builder = make(tmp_path)
    good = openat(100, 1, b"ok", b"/tmp/a")
    at = HEADER.size + SYSCALL_BODY.size
    bad_item = good[:at] + struct.pack("<BBH", 1, 0, 999) + good[at + 4 :]  # runs past the end
    docs = builder.build([b"\x01\x02", bad_item, bytes([9]) + good[1:], good])
    assert len(docs) == 1
    assert builder.stats.malformed == 3


def test_ancestor_cycle_terminates(tmp_path: Path) -> None:
    _table, builder = make(tmp_path)
    builder.build([fork(700, 701), fork(701, 700)])  # a corrupt pair naming each other
    [doc] = builder.build([openat(701, 700, b"a", b"/x")])
    assert len(doc["process"]["ancestors"]) <= 8


def test_memfd_execution_is_named_as_the_kernel_does(tmp_path: Path) -> None:
    _, builder = make(tmp_path)
    [doc] = builder.build(
        [
            exec_(800, 1, b"/proc/self/fd/3", [b"payload"], b"3", exe_name=b"memfd:payload"),
            openat(800, 1, b"3", b"/tmp/x"),
        ]
    )
    assert doc["process"]["exe"] == "/memfd:payload (deleted)"
    assert doc["process"]["exe_from_memfd"] is True


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (ExeFlags(0), None),  # the probe could not tell (no overlayfs in the kernel's BTF)
        (ExeFlags.LAYER_KNOWN, False),  # not on an overlayfs
        (ExeFlags.LAYER_KNOWN | ExeFlags.ON_OVERLAY, False),  # in the image (lower layer)
        (ExeFlags.LAYER_KNOWN | ExeFlags.ON_OVERLAY | ExeFlags.UPPER_LAYER, True),
    ],
)
def test_exe_upper_layer_from_the_exec_record(
    tmp_path: Path, flags: ExeFlags, expected: bool | None
) -> None:
    _, builder = make(tmp_path)
    [doc, child_doc] = builder.build(
        [
            exec_(900, 1, b"/payload", [b"payload"], b"payload", exe_flags=flags),
            openat(900, 1, b"payload", b"/tmp/x"),
            fork(900, 901),
            openat(901, 900, b"payload", b"/tmp/y"),
        ]
    )
    assert doc["process"]["exe_upper_layer"] is expected
    assert child_doc["process"]["exe_upper_layer"] is expected, "a fork runs the same file"
