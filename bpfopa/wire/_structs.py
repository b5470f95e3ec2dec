"""Python mirrors of the records in probes/bpfopa.h (tests compare them with the C layout)."""

from __future__ import annotations

import enum
import struct


class Opcode(enum.IntEnum):
    SYSCALL = 1
    EXEC = 2
    FORK = 3
    EXIT = 4
    CGROUP = 5  # a cgroup of the unified hierarchy was made


class ExeFlags(enum.IntFlag):
    """exec_event.exe_flags: where the new executable lives."""

    LAYER_KNOWN = 1  # the probe could tell the overlayfs layer
    ON_OVERLAY = 2  # a file of an overlayfs mount (a container's root)
    UPPER_LAYER = 4  # in its upper, writable layer: written after the mount


class ExecItem(enum.IntEnum):
    """The items of an exec record (struct exec_event)."""

    FILENAME = 0  # the path given to exec
    ARGV = 1
    ENV = 2
    EXE_PATH = 3  # the executable's real path, components leaf first


class ItemStatus(enum.IntEnum):
    OK = 0
    TRUNCATED = 1
    UNREADABLE = 2


# struct event_header: opcode, flags, size, nr, ts, cgroup_id, pid, tid, ppid, uid, gid, euid, comm
HEADER = struct.Struct("<BBHIQQIIIIII16s")
# struct syscall_event after the header: ret, args[6]
SYSCALL_BODY = struct.Struct("<q6Q")
# struct exec_event after the header: cap_effective, start_ns, loginuid, tty_major, tty_minor,
# argv_size, env_size, exe_flags, exe_name
EXEC_BODY = struct.Struct("<QQIIIIII32s")
# struct fork_event after the header: child_pid, child_ppid, child_start_ns
FORK_BODY = struct.Struct("<IIQ")
# struct exit_event after the header: start_ns
EXIT_BODY = struct.Struct("<Q")
# struct cgroup_event after the header: id, path_len, padding; then the path
CGROUP_BODY = struct.Struct("<QII")
# struct item: arg, status, len
ITEM = struct.Struct("<BBH")

SYSCALL_EVENT_SIZE = HEADER.size + SYSCALL_BODY.size
EXEC_EVENT_SIZE = HEADER.size + EXEC_BODY.size
FORK_EVENT_SIZE = HEADER.size + FORK_BODY.size
EXIT_EVENT_SIZE = HEADER.size + EXIT_BODY.size

# struct syscall_spec: enabled, kinds[6], length_arg
SYSCALL_SPEC = struct.Struct("<B6BB")
