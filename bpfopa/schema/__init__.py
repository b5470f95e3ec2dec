"""The event schema: which syscalls bpfopa knows and how each parameter is captured."""

from bpfopa.schema._syscalls import (
    BY_NAME,
    PROCESS_STATE_SYSCALLS,
    SCHEMA_VERSION,
    SOCKET_STATE_SYSCALLS,
    SYSCALLS,
    ArgKind,
    Decode,
    Param,
    Syscall,
    by_number,
    with_socket_state,
)

__all__ = [
    "BY_NAME",
    "PROCESS_STATE_SYSCALLS",
    "SCHEMA_VERSION",
    "SOCKET_STATE_SYSCALLS",
    "SYSCALLS",
    "ArgKind",
    "Decode",
    "Param",
    "Syscall",
    "by_number",
    "with_socket_state",
]
