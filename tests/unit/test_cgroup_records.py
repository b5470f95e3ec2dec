"""A short-lived container: its process runs and exits, and its cgroup is removed, before the
exec record is read. The cgroup's mkdir record, read first from the same lane, names it
(pure logic: synthetic records, an empty /proc and an empty cgroup mount)."""

from __future__ import annotations

from pathlib import Path

from bpfopa.enrich import DocumentBuilder
from bpfopa.state import CgroupResolver, Clock, ProcessTable
from bpfopa.wire import (
    CGROUP_BODY,
    EXEC_BODY,
    FORK_BODY,
    HEADER,
    ITEM,
    SYSCALL_BODY,
    Opcode,
)

HOST_CGROUP = 1
CONTAINER_CGROUP = 4242
CONTAINER = "3f" * 32
EXECVE = 59


def header(opcode: Opcode, pid: int, ppid: int, size: int, cgroup_id: int, nr: int = 0) -> bytes:
    return HEADER.pack(opcode, 0, size, nr, 1_000_000, cgroup_id, pid, pid, ppid, 0, 0, 0, b"x")


def cgroup_made(cgroup_id: int, path: bytes) -> bytes:
    """As probes/cgroup.bpf.c sends it: the whole fixed-size path area, path_len of it used."""
    body = CGROUP_BODY.pack(cgroup_id, len(path), 0) + path.ljust(512, b"\0")
    return header(Opcode.CGROUP, 7, 1, HEADER.size + len(body), HOST_CGROUP) + body


def fork(parent: int, child: int) -> bytes:
    body = FORK_BODY.pack(child, parent, child * 1000)
    return header(Opcode.FORK, parent, 1, HEADER.size + len(body), HOST_CGROUP) + body


def exec_in(pid: int, ppid: int, cgroup_id: int, exe: bytes) -> bytes:
    items = ITEM.pack(0, 0, len(exe)) + exe
    body = EXEC_BODY.pack(0, pid * 1000, 0xFFFFFFFF, 0, 0, 0, 0, 0, b"")
    return header(Opcode.EXEC, pid, ppid, HEADER.size + len(body) + len(items), cgroup_id) + (
        body + items
    )


def execve_in(pid: int, ppid: int, cgroup_id: int) -> bytes:
    body = SYSCALL_BODY.pack(0, 0, 0, 0, 0, 0, 0)
    return header(Opcode.SYSCALL, pid, ppid, HEADER.size + len(body), cgroup_id, EXECVE) + body


def build(tmp_path: Path, records: list[bytes]) -> dict[str, object]:
    (tmp_path / "proc").mkdir()
    (tmp_path / "cgroup").mkdir()  # the container's cgroup is already gone
    clock = Clock()
    table = ProcessTable(
        clock=clock,
        cgroups=CgroupResolver(str(tmp_path / "cgroup")),
        proc_root=str(tmp_path / "proc"),
    )
    [doc] = DocumentBuilder(table, clock, "x86_64").build(records)
    process = doc["process"]
    assert isinstance(process, dict)
    return process


def test_a_gone_container_is_named_from_its_cgroup_record(tmp_path: Path) -> None:
    process = build(
        tmp_path,
        [
            fork(100, 101),  # the runtime's child, still in the host's cgroup
            cgroup_made(CONTAINER_CGROUP, b"/docker/" + CONTAINER.encode()),
            exec_in(101, 100, CONTAINER_CGROUP, b"/usr/bin/nmap"),
            execve_in(101, 100, CONTAINER_CGROUP),
        ],
    )
    container = process["container"]
    assert isinstance(container, dict)
    assert container["full_id"] == CONTAINER
    assert any(line.endswith(f"/docker/{CONTAINER}") for line in process["cgroup"])  # type: ignore[attr-defined]


def test_without_the_record_the_process_keeps_its_parents_cgroup(tmp_path: Path) -> None:
    # What happened before the probe existed: nothing names the cgroup any more, so the
    # process is not moved to an unknown one either.
    process = build(
        tmp_path,
        [
            fork(100, 101),
            exec_in(101, 100, CONTAINER_CGROUP, b"/usr/bin/nmap"),
            execve_in(101, 100, CONTAINER_CGROUP),
        ],
    )
    assert process["container"] is None
