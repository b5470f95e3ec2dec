"""Names of the bits of flag and mode arguments, Linux values.

Every function returns a new ``list[str]``: the names in bit order (lowest bit first, except
:func:`mode_names`, which follows ``ls -l`` order as the event document shows), then any bits
without a name as one ``"0x…"`` string, so nothing is silently dropped.

Values are the kernel's UAPI ones (``include/uapi/asm-generic/fcntl.h``,
``include/uapi/linux/sched.h``, ``include/uapi/linux/mount.h`` …), which is what the syscall
tracepoints see. Only the open flags differ between the architectures bpfopa supports.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from bpfopa.decode._arch import DEFAULT_ARCH, Arch, normalize_arch
from bpfopa.decode._bits import U64_MASK, BitNames
from bpfopa.decode._constants import signal_name

__all__ = [
    "at_flag_names",
    "clone3_flag_names",
    "clone_flag_names",
    "dup3_flag_names",
    "memfd_flag_names",
    "mode_names",
    "mount_flag_names",
    "namespace_flag_names",
    "open_flag_names",
    "rename_flag_names",
    "socket_type_flag_names",
    "umount_flag_names",
]

# --- open(2), openat(2), openat2(2) `struct open_how.flags` --------------------------------------

_O_ACCMODE: Final = 0o3
_ACCESS_MODES: Final = ("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")
_O_DSYNC: Final = 0o10000
_O__SYNC: Final = 0o4000000
_O__TMPFILE: Final = 0o20000000

# Bits that are the same on x86_64 and arm64 (asm-generic/fcntl.h).
_OPEN_COMMON: Final = {
    0o100: "O_CREAT",
    0o200: "O_EXCL",
    0o400: "O_NOCTTY",
    0o1000: "O_TRUNC",
    0o2000: "O_APPEND",
    0o4000: "O_NONBLOCK",
    _O_DSYNC: "O_DSYNC",
    0o20000: "FASYNC",
    0o1000000: "O_NOATIME",
    0o2000000: "O_CLOEXEC",
    _O__SYNC: "__O_SYNC",
    0o10000000: "O_PATH",
    _O__TMPFILE: "__O_TMPFILE",
}
# arch/arm64/include/uapi/asm/fcntl.h moves these four; x86_64 uses the generic values.
_OPEN_X86_64: Final = {
    0o40000: "O_DIRECT",
    0o100000: "O_LARGEFILE",
    0o200000: "O_DIRECTORY",
    0o400000: "O_NOFOLLOW",
}
_OPEN_ARM64: Final = {
    0o40000: "O_DIRECTORY",
    0o100000: "O_NOFOLLOW",
    0o200000: "O_DIRECT",
    0o400000: "O_LARGEFILE",
}


def _open_table(arch_bits: dict[int, str]) -> BitNames:
    o_directory = next(bit for bit, name in arch_bits.items() if name == "O_DIRECTORY")
    return BitNames(
        bits={**_OPEN_COMMON, **arch_bits},
        composites={
            # O_SYNC is __O_SYNC|O_DSYNC and O_TMPFILE is __O_TMPFILE|O_DIRECTORY: userspace
            # never sets the __ bit alone, so the pair is reported under the user-visible name.
            _O__SYNC: (_O__SYNC | _O_DSYNC, "O_SYNC"),
            _O__TMPFILE: (_O__TMPFILE | o_directory, "O_TMPFILE"),
        },
    )


# Keyed by canonical Arch; other spellings go through normalize_arch() first.
_OPEN_TABLES: Final[Mapping[str, BitNames]] = MappingProxyType(
    {"x86_64": _open_table(_OPEN_X86_64), "arm64": _open_table(_OPEN_ARM64)}
)


def open_flag_names(flags: int, arch: Arch | str = DEFAULT_ARCH) -> list[str]:
    """Names of open/openat/openat2 flags: the access mode first, then the other bits.

    The access mode is the low two bits: ``O_RDONLY`` (0, always reported), ``O_WRONLY``,
    ``O_RDWR`` or ``O_ACCMODE`` (3, Linux's "check read and write permission, allow ioctl only").
    ``O_SYNC`` and ``O_TMPFILE`` are reported instead of their component bits when complete.
    ``arch`` matters: ``O_DIRECT``, ``O_LARGEFILE``, ``O_DIRECTORY`` and ``O_NOFOLLOW`` differ
    between x86_64 and arm64.
    """
    table = _OPEN_TABLES.get(arch)
    if table is None:
        table = _OPEN_TABLES[normalize_arch(arch)]
    out = [_ACCESS_MODES[flags & _O_ACCMODE]]
    unknown = table.decode(flags & ~_O_ACCMODE, out)
    if unknown:
        out.append(hex(unknown))
    return out


# --- file mode: chmod, open, mkdir, mknod --------------------------------------------------------

_S_IFMT: Final = 0o170000
_FILE_TYPES: Final = MappingProxyType(
    {
        0o140000: "S_IFSOCK",
        0o120000: "S_IFLNK",
        0o100000: "S_IFREG",
        0o060000: "S_IFBLK",
        0o040000: "S_IFDIR",
        0o020000: "S_IFCHR",
        0o010000: "S_IFIFO",
    }
)
# Highest bit first, as `ls -l` reads and as the event document's example shows.
_PERMISSION_BITS: Final = (
    (0o4000, "S_ISUID"),
    (0o2000, "S_ISGID"),
    (0o1000, "S_ISVTX"),
    (0o400, "S_IRUSR"),
    (0o200, "S_IWUSR"),
    (0o100, "S_IXUSR"),
    (0o40, "S_IRGRP"),
    (0o20, "S_IWGRP"),
    (0o10, "S_IXGRP"),
    (0o4, "S_IROTH"),
    (0o2, "S_IWOTH"),
    (0o1, "S_IXOTH"),
)
_MODE_KNOWN: Final = 0o177777


def mode_names(mode: int) -> list[str]:
    """Names of a file mode: the file type if any (``S_IFREG`` …), then the permission bits from
    ``S_ISUID`` down to ``S_IXOTH``; an unknown file type or bits above ``0o177777`` come last as
    one hex string."""
    mode &= U64_MASK
    out: list[str] = []
    unknown = mode & ~_MODE_KNOWN
    file_type = mode & _S_IFMT
    if file_type:
        name = _FILE_TYPES.get(file_type)
        if name is None:
            unknown |= file_type
        else:
            out.append(name)
    for bit, bit_name in _PERMISSION_BITS:
        if mode & bit:
            out.append(bit_name)
    if unknown:
        out.append(hex(unknown))
    return out


# --- clone(2), clone3(2), unshare(2), setns(2) ---------------------------------------------------

_CSIGNAL: Final = 0xFF
_CLONE_NEWTIME: Final = 0x80
_CLONE_BITS: Final = {
    0x100: "CLONE_VM",
    0x200: "CLONE_FS",
    0x400: "CLONE_FILES",
    0x800: "CLONE_SIGHAND",
    0x1000: "CLONE_PIDFD",
    0x2000: "CLONE_PTRACE",
    0x4000: "CLONE_VFORK",
    0x8000: "CLONE_PARENT",
    0x10000: "CLONE_THREAD",
    0x20000: "CLONE_NEWNS",
    0x40000: "CLONE_SYSVSEM",
    0x80000: "CLONE_SETTLS",
    0x100000: "CLONE_PARENT_SETTID",
    0x200000: "CLONE_CHILD_CLEARTID",
    0x400000: "CLONE_DETACHED",
    0x800000: "CLONE_UNTRACED",
    0x1000000: "CLONE_CHILD_SETTID",
    0x2000000: "CLONE_NEWCGROUP",
    0x4000000: "CLONE_NEWUTS",
    0x8000000: "CLONE_NEWIPC",
    0x10000000: "CLONE_NEWUSER",
    0x20000000: "CLONE_NEWPID",
    0x40000000: "CLONE_NEWNET",
    0x80000000: "CLONE_IO",
    # clone3 only (its flags are 64-bit).
    0x100000000: "CLONE_CLEAR_SIGHAND",
    0x200000000: "CLONE_INTO_CGROUP",
}
_CLONE: Final = BitNames(_CLONE_BITS)
# clone3/unshare/setns have no exit signal in the low byte, so CLONE_NEWTIME can live there.
_CLONE3: Final = BitNames({_CLONE_NEWTIME: "CLONE_NEWTIME", **_CLONE_BITS})


def clone_flag_names(flags: int) -> list[str]:
    """Names of clone(2) flags. The low byte is the child's exit signal (CSIGNAL), reported first
    by its name like strace does (``SIGCHLD`` for fork-like clones) or, if it is no signal, in the
    trailing hex string together with the unknown bits."""
    out: list[str] = []
    unknown = 0
    exit_signal = flags & _CSIGNAL
    if exit_signal:
        name = signal_name(exit_signal)
        if name is None:
            unknown = exit_signal
        else:
            out.append(name)
    unknown |= _CLONE.decode(flags & ~_CSIGNAL, out)
    if unknown:
        out.append(hex(unknown))
    return out


def clone3_flag_names(flags: int) -> list[str]:
    """Names of ``struct clone_args.flags`` (clone3): 64-bit, no exit signal in the low byte."""
    return _CLONE3.names(flags)


def namespace_flag_names(flags: int) -> list[str]:
    """Names of unshare(2) flags and setns(2) ``nstype`` (``CLONE_NEWNS``, ``CLONE_NEWUSER``,
    ``CLONE_NEWTIME``, ``CLONE_FILES``, ``CLONE_FS``, ``CLONE_SYSVSEM`` …). ``nstype`` 0 ("any
    namespace type") gives ``[]``."""
    return _CLONE3.names(flags)


# --- *at(2) flags --------------------------------------------------------------------------------

_AT_SHARED_0X200: Final = 0x200
_AT_BITS: Final = {
    0x100: "AT_SYMLINK_NOFOLLOW",
    _AT_SHARED_0X200: "AT_REMOVEDIR",
    0x400: "AT_SYMLINK_FOLLOW",
    0x800: "AT_NO_AUTOMOUNT",
    0x1000: "AT_EMPTY_PATH",
    0x2000: "AT_STATX_FORCE_SYNC",
    0x4000: "AT_STATX_DONT_SYNC",
    0x8000: "AT_RECURSIVE",
}
_AT_DEFAULT: Final = BitNames(_AT_BITS)
# 0x200 means AT_REMOVEDIR for unlinkat, AT_EACCESS for faccessat(2) and AT_HANDLE_FID for
# name_to_handle_at(2): the kernel reuses it per syscall.
_AT_BY_SYSCALL: Final = MappingProxyType(
    {
        "faccessat": BitNames({**_AT_BITS, _AT_SHARED_0X200: "AT_EACCESS"}),
        "faccessat2": BitNames({**_AT_BITS, _AT_SHARED_0X200: "AT_EACCESS"}),
        "name_to_handle_at": BitNames({**_AT_BITS, _AT_SHARED_0X200: "AT_HANDLE_FID"}),
    }
)


def at_flag_names(flags: int, syscall: str = "") -> list[str]:
    """Names of the ``flags`` of the ``*at`` syscalls (``AT_SYMLINK_NOFOLLOW``, ``AT_REMOVEDIR``,
    ``AT_EMPTY_PATH`` …). Bit 0x200 is ``AT_EACCESS`` for ``faccessat``/``faccessat2``,
    ``AT_HANDLE_FID`` for ``name_to_handle_at``, else ``AT_REMOVEDIR``; pass ``syscall`` to pick.
    """
    return _AT_BY_SYSCALL.get(syscall, _AT_DEFAULT).names(flags)


# --- renameat2, memfd_create, accept4/socket, dup3 -----------------------------------------------

_RENAME: Final = BitNames({1: "RENAME_NOREPLACE", 2: "RENAME_EXCHANGE", 4: "RENAME_WHITEOUT"})


def rename_flag_names(flags: int) -> list[str]:
    """Names of renameat2(2) flags."""
    return _RENAME.names(flags)


_MFD: Final = BitNames(
    {
        0x1: "MFD_CLOEXEC",
        0x2: "MFD_ALLOW_SEALING",
        0x4: "MFD_HUGETLB",
        0x8: "MFD_NOEXEC_SEAL",
        0x10: "MFD_EXEC",
    }
)
_MFD_HUGE_SHIFT: Final = 26
_MFD_HUGE_MASK: Final = 0x3F << _MFD_HUGE_SHIFT
# log2(page size) -> name, include/uapi/asm-generic/hugetlb_encode.h
_MFD_HUGE_SIZES: Final = MappingProxyType(
    {
        16: "MFD_HUGE_64KB",
        19: "MFD_HUGE_512KB",
        20: "MFD_HUGE_1MB",
        21: "MFD_HUGE_2MB",
        23: "MFD_HUGE_8MB",
        24: "MFD_HUGE_16MB",
        25: "MFD_HUGE_32MB",
        28: "MFD_HUGE_256MB",
        29: "MFD_HUGE_512MB",
        30: "MFD_HUGE_1GB",
        31: "MFD_HUGE_2GB",
        34: "MFD_HUGE_16GB",
    }
)


def memfd_flag_names(flags: int) -> list[str]:
    """Names of memfd_create(2) flags, including the huge page size field (``MFD_HUGE_2MB`` …)
    that bits 26-31 hold with ``MFD_HUGETLB``."""
    out: list[str] = []
    unknown = _MFD.decode(flags & ~_MFD_HUGE_MASK, out)
    huge = flags & _MFD_HUGE_MASK
    if huge:
        name = _MFD_HUGE_SIZES.get(huge >> _MFD_HUGE_SHIFT)
        if name is None:
            unknown |= huge
        else:
            out.append(name)
    if unknown:
        out.append(hex(unknown))
    return out


_SOCK_FLAGS: Final = BitNames({0o4000: "SOCK_NONBLOCK", 0o2000000: "SOCK_CLOEXEC"})


def socket_type_flag_names(flags: int) -> list[str]:
    """Names of ``SOCK_NONBLOCK``/``SOCK_CLOEXEC``: accept4(2) ``flags``, and the flag bits of
    socket(2)/socketpair(2) ``type`` (pass ``type & ~0xf``; the low 4 bits are the socket type,
    see :func:`socket_type_name`)."""
    return _SOCK_FLAGS.names(flags)


_DUP3: Final = BitNames({0o2000000: "O_CLOEXEC"})


def dup3_flag_names(flags: int) -> list[str]:
    """Names of dup3(2) flags (only ``O_CLOEXEC`` exists)."""
    return _DUP3.names(flags)


# --- mount(2), umount2(2) ------------------------------------------------------------------------

_MS: Final = BitNames(
    {
        1 << 0: "MS_RDONLY",
        1 << 1: "MS_NOSUID",
        1 << 2: "MS_NODEV",
        1 << 3: "MS_NOEXEC",
        1 << 4: "MS_SYNCHRONOUS",
        1 << 5: "MS_REMOUNT",
        1 << 6: "MS_MANDLOCK",
        1 << 7: "MS_DIRSYNC",
        1 << 8: "MS_NOSYMFOLLOW",
        1 << 10: "MS_NOATIME",
        1 << 11: "MS_NODIRATIME",
        1 << 12: "MS_BIND",
        1 << 13: "MS_MOVE",
        1 << 14: "MS_REC",
        1 << 15: "MS_SILENT",
        1 << 16: "MS_POSIXACL",
        1 << 17: "MS_UNBINDABLE",
        1 << 18: "MS_PRIVATE",
        1 << 19: "MS_SLAVE",
        1 << 20: "MS_SHARED",
        1 << 21: "MS_RELATIME",
        1 << 22: "MS_KERNMOUNT",
        1 << 23: "MS_I_VERSION",
        1 << 24: "MS_STRICTATIME",
        1 << 25: "MS_LAZYTIME",
        1 << 26: "MS_SUBMOUNT",
        1 << 27: "MS_NOREMOTELOCK",
        1 << 28: "MS_NOSEC",
        1 << 29: "MS_BORN",
        1 << 30: "MS_ACTIVE",
        1 << 31: "MS_NOUSER",
    }
)
_MS_MGC_MSK: Final = 0xFFFF0000
_MS_MGC_VAL: Final = 0xC0ED0000


def mount_flag_names(flags: int) -> list[str]:
    """Names of mount(2) ``mountflags`` (``MS_*``). The historical magic ``MS_MGC_VAL``
    (0xC0ED in the top 16 bits), which the kernel strips, is reported as ``MS_MGC_VAL`` first."""
    if flags & _MS_MGC_MSK == _MS_MGC_VAL:
        return ["MS_MGC_VAL", *_MS.names(flags & ~_MS_MGC_MSK)]
    return _MS.names(flags)


_UMOUNT: Final = BitNames({1: "MNT_FORCE", 2: "MNT_DETACH", 4: "MNT_EXPIRE", 8: "UMOUNT_NOFOLLOW"})


def umount_flag_names(flags: int) -> list[str]:
    """Names of umount2(2) flags."""
    return _UMOUNT.names(flags)
