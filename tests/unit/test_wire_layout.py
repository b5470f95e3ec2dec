"""The Python mirrors in bpfopa.wire match probes/bpfopa.h as a C compiler lays it out."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bpfopa._paths import PROBES_DIR
from bpfopa.schema import ArgKind
from bpfopa.wire import (
    CGROUP_BODY,
    EXEC_EVENT_SIZE,
    EXIT_EVENT_SIZE,
    FORK_EVENT_SIZE,
    HEADER,
    ITEM,
    SYSCALL_EVENT_SIZE,
    SYSCALL_SPEC,
    ExeFlags,
    ItemStatus,
    Opcode,
)
from tests.conftest import require

PROGRAM = r"""
#include <stdio.h>
#include <stddef.h>
#include <stdbool.h>
typedef unsigned char u8; typedef unsigned short u16; typedef unsigned int u32;
typedef unsigned long long u64; typedef long long s64; typedef int s32;
#include "bpfopa.h"
#define P(name, value) printf("%s %ld\n", name, (long)(value))
int main(void) {
    P("header", sizeof(struct event_header));
    P("header.ts", offsetof(struct event_header, ts));
    P("header.cgroup_id", offsetof(struct event_header, cgroup_id));
    P("header.euid", offsetof(struct event_header, euid));
    P("header.comm", offsetof(struct event_header, comm));
    P("syscall_event", sizeof(struct syscall_event));
    P("syscall_event.args", offsetof(struct syscall_event, args));
    P("exec_event", sizeof(struct exec_event));
    P("exec_event.argv_size", offsetof(struct exec_event, argv_size));
    P("exec_event.exe_name", offsetof(struct exec_event, exe_name));
    P("exec_event.start_ns", offsetof(struct exec_event, start_ns));
    P("fork_event", sizeof(struct fork_event));
    P("fork_event.child_start_ns", offsetof(struct fork_event, child_start_ns));
    P("exit_event", sizeof(struct exit_event));
    P("cgroup_event.path", offsetof(struct cgroup_event, path));
    P("CGROUP_PATH_LIMIT", CGROUP_PATH_LIMIT);
    P("item", sizeof(struct item));
    P("syscall_spec", sizeof(struct syscall_spec));
    P("OP_SYSCALL", OP_SYSCALL); P("OP_EXEC", OP_EXEC); P("OP_FORK", OP_FORK);
    P("OP_EXIT", OP_EXIT); P("OP_CGROUP", OP_CGROUP);
    P("ITEM_TRUNCATED", ITEM_TRUNCATED); P("ITEM_UNREADABLE", ITEM_UNREADABLE);
    P("ARG_PATH", ARG_PATH); P("ARG_STRING", ARG_STRING); P("ARG_SOCKADDR", ARG_SOCKADDR);
    P("ARG_SOCKADDR_OUT", ARG_SOCKADDR_OUT); P("ARG_OPEN_HOW", ARG_OPEN_HOW);
    P("ARG_MSGHDR", ARG_MSGHDR);
    P("EXE_LAYER_KNOWN", EXE_LAYER_KNOWN); P("EXE_ON_OVERLAY", EXE_ON_OVERLAY);
    P("EXE_UPPER_LAYER", EXE_UPPER_LAYER);
    return 0;
}
"""


@pytest.fixture(scope="module")
def c_layout(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    compiler = shutil.which("cc") or shutil.which("gcc")
    require(compiler is not None, "a C compiler is needed to check the wire layout")
    assert compiler is not None
    work = tmp_path_factory.mktemp("layout")
    (work / "layout.c").write_text(PROGRAM)
    subprocess.run(
        [compiler, "-I", str(PROBES_DIR), "-o", str(work / "layout"), str(work / "layout.c")],
        check=True,
    )
    out = subprocess.run(
        [str(Path(work / "layout"))], capture_output=True, text=True, check=True
    ).stdout
    return {name: int(value) for name, value in (line.split() for line in out.splitlines())}


def test_sizes_match(c_layout: dict[str, int]) -> None:
    assert HEADER.size == c_layout["header"]
    assert c_layout["syscall_event"] == SYSCALL_EVENT_SIZE
    assert c_layout["exec_event"] == EXEC_EVENT_SIZE
    assert c_layout["fork_event"] == FORK_EVENT_SIZE
    assert c_layout["exit_event"] == EXIT_EVENT_SIZE
    assert ITEM.size == c_layout["item"]
    assert SYSCALL_SPEC.size == c_layout["syscall_spec"]


def test_offsets_match(c_layout: dict[str, int]) -> None:
    # "<BBHIQQIIIIII16s": byte offsets of ts, cgroup_id, euid and comm
    assert (
        c_layout["header.ts"],
        c_layout["header.cgroup_id"],
        c_layout["header.euid"],
        c_layout["header.comm"],
    ) == (8, 16, 44, 48)
    assert c_layout["syscall_event.args"] == HEADER.size + 8
    assert c_layout["exec_event.start_ns"] == HEADER.size + 8
    assert c_layout["exec_event.argv_size"] == HEADER.size + 16 + 4 * 3
    assert c_layout["exec_event.exe_name"] == HEADER.size + 16 + 4 * 6
    assert c_layout["fork_event.child_start_ns"] == HEADER.size + 8
    assert c_layout["cgroup_event.path"] == HEADER.size + CGROUP_BODY.size


def test_constants_match(c_layout: dict[str, int]) -> None:
    assert [c_layout[f"OP_{op.name}"] for op in Opcode] == [op.value for op in Opcode]
    assert c_layout["ITEM_TRUNCATED"] == ItemStatus.TRUNCATED
    assert c_layout["ITEM_UNREADABLE"] == ItemStatus.UNREADABLE
    assert [c_layout[f"EXE_{flag.name}"] for flag in ExeFlags] == [flag.value for flag in ExeFlags]
    for kind in ArgKind:
        if kind != ArgKind.VALUE:
            assert c_layout[f"ARG_{kind.name}"] == kind.value
