"""Tracepoint formats are parsed from tracefs, and an unexpected layout is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpfopa.capture._tracefs import layout_cflags, read_format
from bpfopa.errors import CaptureError

EXEC = """name: sched_process_exec
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
"""
ENTER = """\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:int dfd;\toffset:{dfd};\tsize:8;\tsigned:0;
\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;
"""
EXIT = """\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;
"""


def fake_tracefs(root: Path, dfd_offset: int = 16) -> Path:
    for category, event, text in (
        ("sched", "sched_process_exec", EXEC),
        ("syscalls", "sys_enter_openat", ENTER.format(dfd=dfd_offset)),
        ("syscalls", "sys_exit_openat", EXIT),
    ):
        (root / "events" / category / event).mkdir(parents=True)
        (root / "events" / category / event / "format").write_text(text)
    return root


def test_fields_are_parsed(tmp_path: Path) -> None:
    fields = read_format("sched", "sched_process_exec", fake_tracefs(tmp_path))
    assert fields["filename"].offset == 8 and fields["filename"].data_loc
    assert fields["pid"].size == 4 and not fields["pid"].data_loc


def test_layout_flags(tmp_path: Path) -> None:
    assert layout_cflags(fake_tracefs(tmp_path)) == ["-DEXEC_FILENAME_LOC_OFFSET=8"]


def test_unexpected_layout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="layout"):
        layout_cflags(fake_tracefs(tmp_path, dfd_offset=12))


def test_missing_tracefs_says_how_to_mount(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="mount -t tracefs"):
        read_format("sched", "sched_process_exec", tmp_path)
