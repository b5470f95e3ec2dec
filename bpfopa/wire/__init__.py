"""The kernel records' wire layout: opcodes and struct mirrors of probes/bpfopa.h."""

from bpfopa.wire._structs import (
    CGROUP_BODY,
    EXEC_BODY,
    EXEC_EVENT_SIZE,
    EXIT_BODY,
    EXIT_EVENT_SIZE,
    FORK_BODY,
    FORK_EVENT_SIZE,
    HEADER,
    ITEM,
    SYSCALL_BODY,
    SYSCALL_EVENT_SIZE,
    SYSCALL_SPEC,
    ExecItem,
    ExeFlags,
    ItemStatus,
    Opcode,
)

__all__ = [
    "CGROUP_BODY",
    "EXEC_BODY",
    "EXEC_EVENT_SIZE",
    "EXIT_BODY",
    "EXIT_EVENT_SIZE",
    "FORK_BODY",
    "FORK_EVENT_SIZE",
    "HEADER",
    "ITEM",
    "SYSCALL_BODY",
    "SYSCALL_EVENT_SIZE",
    "SYSCALL_SPEC",
    "ExeFlags",
    "ExecItem",
    "ItemStatus",
    "Opcode",
]
