"""Tracepoint record layouts, read from tracefs at start-up rather than assumed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bpfopa.errors import CaptureError

TRACEFS = Path("/sys/kernel/tracing")
_FIELD = re.compile(r"field:(?P<decl>[^;]+);\s*offset:(?P<offset>\d+);\s*size:(?P<size>\d+);")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    offset: int
    size: int
    data_loc: bool


def read_format(category: str, event: str, tracefs: Path = TRACEFS) -> dict[str, Field]:
    path = tracefs / "events" / category / event / "format"
    try:
        text = path.read_text()
    except OSError as exc:
        raise CaptureError(
            f"cannot read {path} ({exc.strerror}): is tracefs mounted? "
            "mount -t tracefs tracefs /sys/kernel/tracing"
        ) from exc
    fields: dict[str, Field] = {}
    for match in _FIELD.finditer(text):
        decl = match["decl"].strip()
        name = re.sub(r"\[.*\]$", "", decl.split()[-1]).lstrip("*")
        fields[name] = Field(
            name, int(match["offset"]), int(match["size"]), decl.startswith("__data_loc")
        )
    return fields


def layout_cflags(tracefs: Path = TRACEFS) -> list[str]:
    """-D flags for the fields the probes read, checked against what they assume."""
    exec_fields = read_format("sched", "sched_process_exec", tracefs)
    filename = exec_fields.get("filename")
    if filename is None or not filename.data_loc:
        raise CaptureError("sched_process_exec has no __data_loc filename field")
    enter = read_format("syscalls", "sys_enter_openat", tracefs)
    exit_ = read_format("syscalls", "sys_exit_openat", tracefs)
    # The generic handlers read the syscall tracepoints as {u64 common; s64 nr; u64 args[6]}.
    if enter["__syscall_nr"].offset != 8 or enter["dfd"].offset != 16:
        raise CaptureError("unexpected syscalls:sys_enter_* layout in this kernel")
    if exit_["ret"].offset != 16:
        raise CaptureError("unexpected syscalls:sys_exit_* layout in this kernel")
    return [f"-DEXEC_FILENAME_LOC_OFFSET={filename.offset}"]
