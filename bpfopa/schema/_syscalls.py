"""The syscall table: the one source of truth for what bpfopa captures and how it is decoded.

Each entry names the syscall, its numbers (x86_64 and the generic table arm64 uses; None where
the architecture lacks it), and its parameters in the order and with the names of the kernel's
tracepoint format. The kernel side only learns each parameter's :class:`ArgKind` (through the
``syscall_specs`` map); the rest drives decoding in userspace.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

SCHEMA_VERSION = 1


class ArgKind(enum.IntEnum):
    """How the probe captures an argument. Values are shared with probes/bpfopa.h."""

    VALUE = 0  # the register value only
    PATH = 1  # NUL-terminated user string, up to the path limit
    STRING = 2  # NUL-terminated user string, up to the short-string limit
    SOCKADDR = 3  # user sockaddr whose length is the value of param `length_of`
    SOCKADDR_OUT = 4  # user sockaddr filled by the kernel; `length_of` points to its int length
    OPEN_HOW = 5  # struct open_how (openat2)
    MSGHDR = 6  # struct user_msghdr: the sockaddr its msg_name/msg_namelen point to


class Decode(enum.Enum):
    """How userspace presents a VALUE parameter."""

    UNSIGNED = "unsigned"
    SIGNED = "signed"  # pids, dirfds, uid -1 arguments
    FD = "fd"  # signed; also described through the fd table
    DIRFD = "dirfd"  # signed; AT_FDCWD = -100; the base of the next path param
    OPEN_FLAGS = "open_flags"
    MODE = "mode"
    AT_FLAGS = "at_flags"
    RENAME_FLAGS = "rename_flags"
    CLONE_FLAGS = "clone_flags"
    MEMFD_FLAGS = "memfd_flags"
    SOCK_FLAGS = "sock_flags"
    MOUNT_FLAGS = "mount_flags"
    UMOUNT_FLAGS = "umount_flags"
    SIGNAL = "signal"
    PTRACE_REQUEST = "ptrace_request"
    SOCKET_DOMAIN = "socket_domain"
    SOCKET_TYPE = "socket_type"
    IP_PROTOCOL = "ip_protocol"
    BPF_CMD = "bpf_cmd"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: ArgKind = ArgKind.VALUE
    decode: Decode = Decode.UNSIGNED
    length_of: str | None = None  # SOCKADDR*: the param holding (a pointer to) its length


@dataclass(frozen=True, slots=True)
class Syscall:
    name: str
    nr_x86_64: int | None
    nr_arm64: int | None
    params: tuple[Param, ...]
    category: str

    def nr(self, arch: str) -> int | None:
        return self.nr_x86_64 if arch == "x86_64" else self.nr_arm64


def _p(
    name: str,
    kind: ArgKind = ArgKind.VALUE,
    decode: Decode = Decode.UNSIGNED,
    length_of: str | None = None,
) -> Param:
    return Param(name, kind, decode, length_of)


_PATH = ArgKind.PATH
_D = Decode

SYSCALLS: tuple[Syscall, ...] = (
    # files
    Syscall(
        "open",
        2,
        None,
        (_p("filename", _PATH), _p("flags", decode=_D.OPEN_FLAGS), _p("mode", decode=_D.MODE)),
        "file",
    ),
    Syscall(
        "openat",
        257,
        56,
        (
            _p("dfd", decode=_D.DIRFD),
            _p("filename", _PATH),
            _p("flags", decode=_D.OPEN_FLAGS),
            _p("mode", decode=_D.MODE),
        ),
        "file",
    ),
    Syscall(
        "openat2",
        437,
        437,
        (
            _p("dfd", decode=_D.DIRFD),
            _p("filename", _PATH),
            _p("how", ArgKind.OPEN_HOW),
            _p("usize"),
        ),
        "file",
    ),
    Syscall("creat", 85, None, (_p("pathname", _PATH), _p("mode", decode=_D.MODE)), "file"),
    Syscall("unlink", 87, None, (_p("pathname", _PATH),), "file"),
    Syscall(
        "unlinkat",
        263,
        35,
        (_p("dfd", decode=_D.DIRFD), _p("pathname", _PATH), _p("flag", decode=_D.AT_FLAGS)),
        "file",
    ),
    Syscall("rename", 82, None, (_p("oldname", _PATH), _p("newname", _PATH)), "file"),
    Syscall(
        "renameat",
        264,
        38,
        (
            _p("olddfd", decode=_D.DIRFD),
            _p("oldname", _PATH),
            _p("newdfd", decode=_D.DIRFD),
            _p("newname", _PATH),
        ),
        "file",
    ),
    Syscall(
        "renameat2",
        316,
        276,
        (
            _p("olddfd", decode=_D.DIRFD),
            _p("oldname", _PATH),
            _p("newdfd", decode=_D.DIRFD),
            _p("newname", _PATH),
            _p("flags", decode=_D.RENAME_FLAGS),
        ),
        "file",
    ),
    Syscall("mkdir", 83, None, (_p("pathname", _PATH), _p("mode", decode=_D.MODE)), "file"),
    Syscall(
        "mkdirat",
        258,
        34,
        (_p("dfd", decode=_D.DIRFD), _p("pathname", _PATH), _p("mode", decode=_D.MODE)),
        "file",
    ),
    Syscall("rmdir", 84, None, (_p("pathname", _PATH),), "file"),
    Syscall("symlink", 88, None, (_p("oldname", _PATH), _p("newname", _PATH)), "file"),
    Syscall(
        "symlinkat",
        266,
        36,
        (_p("oldname", _PATH), _p("newdfd", decode=_D.DIRFD), _p("newname", _PATH)),
        "file",
    ),
    Syscall("link", 86, None, (_p("oldname", _PATH), _p("newname", _PATH)), "file"),
    Syscall(
        "linkat",
        265,
        37,
        (
            _p("olddfd", decode=_D.DIRFD),
            _p("oldname", _PATH),
            _p("newdfd", decode=_D.DIRFD),
            _p("newname", _PATH),
            _p("flags", decode=_D.AT_FLAGS),
        ),
        "file",
    ),
    Syscall("chmod", 90, None, (_p("filename", _PATH), _p("mode", decode=_D.MODE)), "file"),
    Syscall("fchmod", 91, 52, (_p("fd", decode=_D.FD), _p("mode", decode=_D.MODE)), "file"),
    Syscall(
        "fchmodat",
        268,
        53,
        (_p("dfd", decode=_D.DIRFD), _p("filename", _PATH), _p("mode", decode=_D.MODE)),
        "file",
    ),
    Syscall(
        "fchmodat2",
        452,
        452,
        (
            _p("dfd", decode=_D.DIRFD),
            _p("filename", _PATH),
            _p("mode", decode=_D.MODE),
            _p("flags", decode=_D.AT_FLAGS),
        ),
        "file",
    ),
    Syscall(
        "memfd_create",
        319,
        279,
        (_p("uname", ArgKind.STRING), _p("flags", decode=_D.MEMFD_FLAGS)),
        "file",
    ),
    Syscall("dup", 32, 23, (_p("fildes", decode=_D.FD),), "file"),
    Syscall("dup2", 33, None, (_p("oldfd", decode=_D.FD), _p("newfd", decode=_D.FD)), "file"),
    Syscall(
        "dup3",
        292,
        24,
        (_p("oldfd", decode=_D.FD), _p("newfd", decode=_D.FD), _p("flags", decode=_D.OPEN_FLAGS)),
        "file",
    ),
    # processes
    Syscall("execve", 59, 221, (_p("filename", _PATH), _p("argv"), _p("envp")), "process"),
    Syscall(
        "execveat",
        322,
        281,
        (
            _p("fd", decode=_D.DIRFD),
            _p("filename", _PATH),
            _p("argv"),
            _p("envp"),
            _p("flags", decode=_D.AT_FLAGS),
        ),
        "process",
    ),
    Syscall("chdir", 80, 49, (_p("filename", _PATH),), "process"),
    Syscall("fchdir", 81, 50, (_p("fd", decode=_D.FD),), "process"),
    Syscall("kill", 62, 129, (_p("pid", decode=_D.SIGNED), _p("sig", decode=_D.SIGNAL)), "process"),
    Syscall(
        "ptrace",
        101,
        117,
        (
            _p("request", decode=_D.PTRACE_REQUEST),
            _p("pid", decode=_D.SIGNED),
            _p("addr"),
            _p("data"),
        ),
        "process",
    ),
    Syscall("setuid", 105, 146, (_p("uid", decode=_D.SIGNED),), "privilege"),
    Syscall("setgid", 106, 144, (_p("gid", decode=_D.SIGNED),), "privilege"),
    Syscall(
        "setreuid",
        113,
        145,
        (_p("ruid", decode=_D.SIGNED), _p("euid", decode=_D.SIGNED)),
        "privilege",
    ),
    Syscall(
        "setresuid",
        117,
        147,
        (_p("ruid", decode=_D.SIGNED), _p("euid", decode=_D.SIGNED), _p("suid", decode=_D.SIGNED)),
        "privilege",
    ),
    Syscall(
        "setresgid",
        119,
        149,
        (_p("rgid", decode=_D.SIGNED), _p("egid", decode=_D.SIGNED), _p("sgid", decode=_D.SIGNED)),
        "privilege",
    ),
    Syscall(
        "setns", 308, 268, (_p("fd", decode=_D.FD), _p("flags", decode=_D.CLONE_FLAGS)), "namespace"
    ),
    Syscall("unshare", 272, 97, (_p("unshare_flags", decode=_D.CLONE_FLAGS),), "namespace"),
    Syscall(
        "mount",
        165,
        40,
        (
            _p("dev_name", ArgKind.STRING),
            _p("dir_name", _PATH),
            _p("type", ArgKind.STRING),
            _p("flags", decode=_D.MOUNT_FLAGS),
            _p("data"),
        ),
        "namespace",
    ),
    Syscall(
        "umount2", 166, 39, (_p("name", _PATH), _p("flags", decode=_D.UMOUNT_FLAGS)), "namespace"
    ),
    Syscall(
        "init_module", 175, 105, (_p("umod"), _p("len"), _p("uargs", ArgKind.STRING)), "kernel"
    ),
    Syscall(
        "finit_module",
        313,
        273,
        (_p("fd", decode=_D.FD), _p("uargs", ArgKind.STRING), _p("flags")),
        "kernel",
    ),
    Syscall("bpf", 321, 280, (_p("cmd", decode=_D.BPF_CMD), _p("uattr"), _p("size")), "kernel"),
    # O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY: flags stay a number (no rule names them).
    Syscall("userfaultfd", 323, 282, (_p("flags"),), "kernel"),
    # network
    Syscall(
        "socket",
        41,
        198,
        (
            _p("family", decode=_D.SOCKET_DOMAIN),
            _p("type", decode=_D.SOCKET_TYPE),
            _p("protocol", decode=_D.IP_PROTOCOL),
        ),
        "network",
    ),
    Syscall(
        "connect",
        42,
        203,
        (
            _p("fd", decode=_D.FD),
            _p("uservaddr", ArgKind.SOCKADDR, length_of="addrlen"),
            _p("addrlen"),
        ),
        "network",
    ),
    Syscall(
        "accept",
        43,
        202,
        (
            _p("fd", decode=_D.FD),
            _p("upeer_sockaddr", ArgKind.SOCKADDR_OUT, length_of="upeer_addrlen"),
            _p("upeer_addrlen"),
        ),
        "network",
    ),
    Syscall(
        "accept4",
        288,
        242,
        (
            _p("fd", decode=_D.FD),
            _p("upeer_sockaddr", ArgKind.SOCKADDR_OUT, length_of="upeer_addrlen"),
            _p("upeer_addrlen"),
            _p("flags", decode=_D.SOCK_FLAGS),
        ),
        "network",
    ),
    Syscall(
        "bind",
        49,
        200,
        (
            _p("fd", decode=_D.FD),
            _p("umyaddr", ArgKind.SOCKADDR, length_of="addrlen"),
            _p("addrlen"),
        ),
        "network",
    ),
    Syscall(
        "listen", 50, 201, (_p("fd", decode=_D.FD), _p("backlog", decode=_D.SIGNED)), "network"
    ),
    Syscall(
        "sendto",
        44,
        206,
        (
            _p("fd", decode=_D.FD),
            _p("buff"),
            _p("len"),
            _p("flags"),
            _p("addr", ArgKind.SOCKADDR, length_of="addr_len"),
            _p("addr_len"),
        ),
        "network",
    ),
)

_NET_EXTRA: tuple[Syscall, ...] = (
    Syscall(
        "recvfrom",
        45,
        207,
        (
            _p("fd", decode=_D.FD),
            _p("ubuf"),
            _p("size"),
            _p("flags"),
            _p("addr", ArgKind.SOCKADDR_OUT, length_of="addr_len"),
            _p("addr_len"),
        ),
        "network",
    ),
    Syscall(
        "sendmsg",
        46,
        211,
        (_p("fd", decode=_D.FD), _p("msg", ArgKind.MSGHDR), _p("flags")),
        "network",
    ),
    Syscall(
        "recvmsg",
        47,
        212,
        (_p("fd", decode=_D.FD), _p("msg", ArgKind.MSGHDR), _p("flags")),
        "network",
    ),
)
SYSCALLS = SYSCALLS + _NET_EXTRA

BY_NAME: dict[str, Syscall] = {s.name: s for s in SYSCALLS}

# What the process table needs whatever the policies select: exec for names and argv, chdir for
# the cwd that relative paths resolve against, socket/dup for the fd table.
PROCESS_STATE_SYSCALLS: frozenset[str] = frozenset({"execve", "execveat", "chdir", "fchdir"})

# The socket entries of the fd table: created by socket/accept, addressed by bind/connect. A
# network rule reads them (a listen document names the bound address, an accepted one both
# ends), so they are captured whenever any network syscall is.
SOCKET_STATE_SYSCALLS: frozenset[str] = frozenset(
    {"socket", "bind", "connect", "accept", "accept4"}
)


def with_socket_state(names: frozenset[str]) -> frozenset[str]:
    """``names`` plus the socket-state syscalls when any of them is a network syscall."""
    if any(BY_NAME[n].category == "network" for n in names if n in BY_NAME):
        return names | SOCKET_STATE_SYSCALLS
    return names


def by_number(arch: str) -> dict[int, Syscall]:
    """The table indexed by syscall number on ``arch`` ("x86_64" or "aarch64")."""
    table: dict[int, Syscall] = {}
    for syscall in SYSCALLS:
        nr = syscall.nr(arch)
        if nr is not None:
            table[nr] = syscall
    return table
