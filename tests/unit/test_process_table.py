"""Process table and document builder on synthetic kernel records (pure logic)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from bpfopa.enrich import DocumentBuilder
from bpfopa.state import CgroupResolver, Clock, ProcessTable
from bpfopa.wire import (
    EXEC_BODY,
    FORK_BODY,
    HEADER,
    ITEM,
    SYSCALL_BODY,
    ExeFlags,
    ItemStatus,
    Opcode,
)

OPENAT = 257


def header(
    opcode: Opcode, pid: int, ppid: int, comm: bytes, size: int, nr: int = 0, uid: int = 1000
) -> bytes:
    return HEADER.pack(opcode, 0, size, nr, 1_000_000, 0, pid, pid, ppid, uid, uid, uid, comm)


def item(arg: int, data: bytes, status: ItemStatus = ItemStatus.OK) -> bytes:
    return ITEM.pack(arg, status, len(data)) + data


def fork(parent: int, child: int) -> bytes:
    size = HEADER.size + FORK_BODY.size
    return header(Opcode.FORK, parent, 1, b"sh", size) + FORK_BODY.pack(child, parent)


def exec_(
    pid: int,
    ppid: int,
    filename: bytes,
    argv: list[bytes],
    comm: bytes,
    truncated: bool = False,
    exe_name: bytes = b"",
    exe_flags: int = 0,
) -> bytes:
    blob = b"\0".join(argv) + b"\0"
    items = (
        item(0, filename)
        + item(1, blob, ItemStatus.TRUNCATED if truncated else ItemStatus.OK)
        + item(2, b"A=1\0")
    )
    size = HEADER.size + EXEC_BODY.size + len(items)
    body = EXEC_BODY.pack(1 << 21, 1000, 136, 3, len(blob), 4, exe_flags, exe_name)
    return header(Opcode.EXEC, pid, ppid, comm, size) + body + items


def openat(pid: int, ppid: int, comm: bytes, path: bytes, ret: int = 3) -> bytes:
    items = item(1, path)
    size = HEADER.size + SYSCALL_BODY.size + len(items)
    body = SYSCALL_BODY.pack(ret, (-100) & 0xFFFFFFFFFFFFFFFF, 0, 0o1101, 0o644, 0, 0)
    return header(Opcode.SYSCALL, pid, ppid, comm, size, OPENAT) + body + items


def exit_(pid: int) -> bytes:
    return header(Opcode.EXIT, pid, 1, b"x", HEADER.size)


def make(tmp_path: Path, **kwargs: float) -> tuple[ProcessTable, DocumentBuilder]:
    clock = Clock()
    table = ProcessTable(
        clock=clock, cgroups=CgroupResolver(None), proc_root=str(tmp_path), **kwargs
    )  # type: ignore[arg-type]
    return table, DocumentBuilder(table, clock, "x86_64")


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


def test_unknown_process_without_proc_uses_the_header(tmp_path: Path) -> None:
    table, builder = make(tmp_path)
    [doc] = builder.build([openat(555, 1, b"ghost", b"relative.txt")])
    assert doc["process"]["name"] == "ghost" and doc["process"]["exe"] is None
    assert doc["event"]["path"] is None, "no cwd known: a relative path stays unresolved"
    assert doc["event"]["params"]["filename"] == "relative.txt"
    assert table.stats.proc_misses == 1


def test_pid_reuse_replaces_the_old_process(tmp_path: Path) -> None:
    table, builder = make(tmp_path)
    builder.build(
        [
            fork(100, 200),
            exec_(200, 100, b"/bin/old", [b"old"], b"old"),
            exit_(200),
            fork(100, 200),
            exec_(200, 100, b"/bin/new", [b"new", b"x"], b"new"),
        ]
    )
    [doc] = builder.build([openat(200, 100, b"new", b"/tmp/f")])
    assert doc["process"]["exe"] == "/bin/new" and doc["process"]["args"] == ["x"]
    assert table.stats.pid_reuses == 1


def test_exited_process_is_kept_for_its_grace_period(tmp_path: Path) -> None:
    table, builder = make(tmp_path, exit_grace_s=0.0)
    builder.build([fork(100, 300), exec_(300, 100, b"/bin/a", [b"a"], b"a"), exit_(300)])
    builder.build([])  # expiry runs per batch
    assert table.get(300) is None
    table2, builder2 = make(tmp_path, exit_grace_s=60.0)
    builder2.build([fork(100, 300), exit_(300)])
    builder2.build([])
    assert table2.get(300) is not None


def test_table_is_bounded(tmp_path: Path) -> None:
    table, builder = make(tmp_path, max_processes=10)
    builder.build([fork(1, 1000 + i) for i in range(50)])
    assert len(table) == 10 and table.stats.evictions >= 40


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
    good = openat(500, 1, b"ok", b"/tmp/a")
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
