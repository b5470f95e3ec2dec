"""Flag and mode names against the stdlib's constants, which come from the host's C headers."""

from __future__ import annotations

import os
import random
import socket
import stat
from collections.abc import Callable

import pytest

from bpfopa.decode import (
    at_flag_names,
    capability_names,
    clone3_flag_names,
    clone_flag_names,
    dup3_flag_names,
    memfd_flag_names,
    mode_names,
    mount_flag_names,
    namespace_flag_names,
    normalize_arch,
    open_flag_names,
    rename_flag_names,
    socket_type_flag_names,
    umount_flag_names,
)

# --- open flags ----------------------------------------------------------------------------------

OS_OPEN_FLAGS = [
    "O_CREAT",
    "O_EXCL",
    "O_NOCTTY",
    "O_TRUNC",
    "O_APPEND",
    "O_NONBLOCK",
    "O_DSYNC",
    "O_DIRECT",
    "O_DIRECTORY",
    "O_NOFOLLOW",
    "O_NOATIME",
    "O_CLOEXEC",
    "O_PATH",
]


@pytest.mark.parametrize("name", OS_OPEN_FLAGS)
def test_open_flag_matches_os_module(name: str) -> None:
    assert open_flag_names(getattr(os, name)) == ["O_RDONLY", name]


def test_open_access_modes_match_os_module() -> None:
    assert open_flag_names(os.O_RDONLY) == ["O_RDONLY"]
    assert open_flag_names(os.O_WRONLY) == ["O_WRONLY"]
    assert open_flag_names(os.O_RDWR) == ["O_RDWR"]
    assert open_flag_names(3) == ["O_ACCMODE"]


def test_open_fasync_and_composites_match_os_module() -> None:
    assert open_flag_names(os.O_ASYNC) == ["O_RDONLY", "FASYNC"]
    assert open_flag_names(os.O_SYNC) == ["O_RDONLY", "O_SYNC"]
    assert open_flag_names(os.O_SYNC | os.O_WRONLY) == ["O_WRONLY", "O_SYNC"]
    assert open_flag_names(os.O_TMPFILE | os.O_RDWR) == ["O_RDWR", "O_TMPFILE"]
    # The kernel's __O_SYNC/__O_TMPFILE alone are not what userspace means by the names.
    assert open_flag_names(os.O_SYNC & ~os.O_DSYNC) == ["O_RDONLY", "__O_SYNC"]
    assert open_flag_names(os.O_TMPFILE & ~os.O_DIRECTORY) == ["O_RDONLY", "__O_TMPFILE"]


def test_schema_example_flags() -> None:
    # docs/event-schema.md: flags 577 -> O_WRONLY|O_CREAT|O_TRUNC, the `>` of a shell.
    assert open_flag_names(577) == ["O_WRONLY", "O_CREAT", "O_TRUNC"]
    assert open_flag_names(os.O_WRONLY | os.O_CREAT | os.O_TRUNC) == open_flag_names(577)


def test_open_names_are_in_bit_order() -> None:
    flags = os.O_CLOEXEC | os.O_CREAT | os.O_NOFOLLOW | os.O_APPEND | os.O_RDWR
    assert open_flag_names(flags) == ["O_RDWR", "O_CREAT", "O_APPEND", "O_NOFOLLOW", "O_CLOEXEC"]


def test_open_x86_64_largefile_is_the_kernel_value() -> None:
    # glibc defines O_LARGEFILE as 0 on 64-bit, but the kernel's bit is 0o100000 and the
    # syscall sees it when a 32-bit-minded program sets it.
    assert open_flag_names(0o100000) == ["O_RDONLY", "O_LARGEFILE"]


@pytest.mark.parametrize(
    ("value", "x86_64", "arm64"),
    [
        (0o40000, "O_DIRECT", "O_DIRECTORY"),
        (0o100000, "O_LARGEFILE", "O_NOFOLLOW"),
        (0o200000, "O_DIRECTORY", "O_DIRECT"),
        (0o400000, "O_NOFOLLOW", "O_LARGEFILE"),
    ],
)
def test_open_flags_that_differ_on_arm64(value: int, x86_64: str, arm64: str) -> None:
    assert open_flag_names(value, "x86_64") == ["O_RDONLY", x86_64]
    assert open_flag_names(value, "arm64") == ["O_RDONLY", arm64]
    assert open_flag_names(value, "aarch64") == ["O_RDONLY", arm64]


def test_open_tmpfile_on_arm64_uses_its_o_directory() -> None:
    # arm64 O_TMPFILE = __O_TMPFILE | 0o40000 (its O_DIRECTORY).
    assert open_flag_names(0o20040002, "arm64") == ["O_RDWR", "O_TMPFILE"]
    assert open_flag_names(0o20200002, "arm64") == ["O_RDWR", "O_DIRECT", "__O_TMPFILE"]


def test_unknown_arch_is_refused() -> None:
    with pytest.raises(ValueError, match="riscv64"):
        open_flag_names(0, "riscv64")
    with pytest.raises(ValueError):
        normalize_arch("sparc")
    assert normalize_arch("AMD64") == "x86_64"


def test_open_unknown_bits_are_kept_as_hex() -> None:
    assert open_flag_names(0o4 | 1 << 40 | os.O_CREAT) == [
        "O_RDONLY",
        "O_CREAT",
        hex(0o4 | 1 << 40),
    ]


def test_open_negative_flags_terminate_and_keep_high_bits() -> None:
    names = open_flag_names(-1)
    assert names[0] == "O_ACCMODE"
    assert names[-1].startswith("0xffffffff")
    assert "O_SYNC" in names and "O_TMPFILE" in names


# --- mode ----------------------------------------------------------------------------------------

_LS_LETTERS = {
    "S_IRUSR": (1, "r"),
    "S_IWUSR": (2, "w"),
    "S_IRGRP": (4, "r"),
    "S_IWGRP": (5, "w"),
    "S_IROTH": (7, "r"),
    "S_IWOTH": (8, "w"),
}
_TYPE_LETTERS = {
    "S_IFSOCK": "s",
    "S_IFLNK": "l",
    "S_IFREG": "-",
    "S_IFBLK": "b",
    "S_IFDIR": "d",
    "S_IFCHR": "c",
    "S_IFIFO": "p",
}


def _ls_string(names: list[str]) -> str:
    """Rebuild `ls -l`'s mode string from mode_names(), to compare with stat.filemode()."""
    chars = ["?", "-", "-", "-", "-", "-", "-", "-", "-", "-"]
    present = set(names)
    for name in names:
        if name in _TYPE_LETTERS:
            chars[0] = _TYPE_LETTERS[name]
        elif name in _LS_LETTERS:
            index, letter = _LS_LETTERS[name]
            chars[index] = letter
    for index, exec_name, special, lower, upper in (
        (3, "S_IXUSR", "S_ISUID", "s", "S"),
        (6, "S_IXGRP", "S_ISGID", "s", "S"),
        (9, "S_IXOTH", "S_ISVTX", "t", "T"),
    ):
        if special in present:
            chars[index] = lower if exec_name in present else upper
        elif exec_name in present:
            chars[index] = "x"
    return "".join(chars)


@pytest.mark.parametrize(
    "file_type",
    [
        stat.S_IFSOCK,
        stat.S_IFLNK,
        stat.S_IFREG,
        stat.S_IFBLK,
        stat.S_IFDIR,
        stat.S_IFCHR,
        stat.S_IFIFO,
    ],
)
def test_mode_names_agree_with_stat_filemode_for_every_permission(file_type: int) -> None:
    for permissions in range(0o10000):
        mode = file_type | permissions
        assert _ls_string(mode_names(mode)) == stat.filemode(mode), oct(mode)


@pytest.mark.parametrize(
    "name",
    [
        "S_ISUID",
        "S_ISGID",
        "S_ISVTX",
        "S_IRUSR",
        "S_IWUSR",
        "S_IXUSR",
        "S_IRGRP",
        "S_IWGRP",
        "S_IXGRP",
        "S_IROTH",
        "S_IWOTH",
        "S_IXOTH",
        "S_IFREG",
        "S_IFDIR",
        "S_IFLNK",
    ],
)
def test_mode_bit_matches_stat_module(name: str) -> None:
    assert mode_names(getattr(stat, name)) == [name]


def test_schema_example_mode_and_a_real_file(tmp_path: os.PathLike[str]) -> None:
    assert mode_names(420) == ["S_IRUSR", "S_IWUSR", "S_IRGRP", "S_IROTH"]
    path = os.path.join(tmp_path, "f")
    with open(path, "w"):
        pass
    os.chmod(path, 0o2750)
    assert mode_names(os.stat(path).st_mode) == [
        "S_IFREG",
        "S_ISGID",
        "S_IRUSR",
        "S_IWUSR",
        "S_IXUSR",
        "S_IRGRP",
        "S_IXGRP",
    ]


def test_mode_unknown_type_and_high_bits_are_kept() -> None:
    assert mode_names(0o030000 | 0o644) == ["S_IRUSR", "S_IWUSR", "S_IRGRP", "S_IROTH", "0x3000"]
    assert mode_names(0o1000000 | 0o4) == ["S_IROTH", "0x40000"]
    assert mode_names(0) == []
    assert mode_names(-1)[-1] == hex(((1 << 64) - 1) & ~0o7777)


# --- clone, unshare, setns -----------------------------------------------------------------------


def test_clone_of_glibc_fork_and_pthread_create() -> None:
    # What strace shows for fork() and pthread_create() on glibc x86_64.
    assert clone_flag_names(0x01200011) == ["SIGCHLD", "CLONE_CHILD_CLEARTID", "CLONE_CHILD_SETTID"]
    assert clone_flag_names(0x003D0F00) == [
        "CLONE_VM",
        "CLONE_FS",
        "CLONE_FILES",
        "CLONE_SIGHAND",
        "CLONE_THREAD",
        "CLONE_SYSVSEM",
        "CLONE_SETTLS",
        "CLONE_PARENT_SETTID",
        "CLONE_CHILD_CLEARTID",
    ]


def test_clone_exit_signal_byte() -> None:
    assert clone_flag_names(64 | 0x100) == ["SIGRTMAX", "CLONE_VM"]
    # 0x80 is not a signal in clone(2)'s low byte: kept, not named CLONE_NEWTIME.
    assert clone_flag_names(0x80 | 0x100) == ["CLONE_VM", "0x80"]
    assert clone_flag_names(0) == []


def test_clone3_and_namespaces() -> None:
    assert clone3_flag_names(0x80) == ["CLONE_NEWTIME"]
    assert clone3_flag_names(1 << 33 | 1 << 32) == ["CLONE_CLEAR_SIGHAND", "CLONE_INTO_CGROUP"]
    assert clone3_flag_names(1 << 40) == [hex(1 << 40)]
    # `unshare -Urmpf`'s flags
    flags = 0x10000000 | 0x20000 | 0x20000000
    assert namespace_flag_names(flags) == ["CLONE_NEWNS", "CLONE_NEWUSER", "CLONE_NEWPID"]
    assert namespace_flag_names(0x40000000) == ["CLONE_NEWNET"]
    assert namespace_flag_names(0) == []
    assert namespace_flag_names(0x200 | 0x400 | 0x40000) == [
        "CLONE_FS",
        "CLONE_FILES",
        "CLONE_SYSVSEM",
    ]


# --- at, rename, memfd, socket, dup3, mount, umount ----------------------------------------------


def test_at_flags_and_the_shared_0x200_bit() -> None:
    assert at_flag_names(0x100 | 0x1000) == ["AT_SYMLINK_NOFOLLOW", "AT_EMPTY_PATH"]
    assert at_flag_names(0x200) == ["AT_REMOVEDIR"]
    assert at_flag_names(0x200, "unlinkat") == ["AT_REMOVEDIR"]
    assert at_flag_names(0x200, "faccessat") == ["AT_EACCESS"]
    assert at_flag_names(0x200, "faccessat2") == ["AT_EACCESS"]
    assert at_flag_names(0x200, "name_to_handle_at") == ["AT_HANDLE_FID"]
    assert at_flag_names(0x400 | 0x1) == ["AT_SYMLINK_FOLLOW", "0x1"]


def test_rename_and_umount_flags() -> None:
    assert rename_flag_names(1) == ["RENAME_NOREPLACE"]
    assert rename_flag_names(2 | 4) == ["RENAME_EXCHANGE", "RENAME_WHITEOUT"]
    assert rename_flag_names(8) == ["0x8"]
    assert umount_flag_names(2 | 8) == ["MNT_DETACH", "UMOUNT_NOFOLLOW"]
    assert umount_flag_names(1 | 4 | 16) == ["MNT_FORCE", "MNT_EXPIRE", "0x10"]


@pytest.mark.parametrize("name", ["MFD_CLOEXEC", "MFD_ALLOW_SEALING", "MFD_HUGETLB"])
def test_memfd_flag_matches_os_module(name: str) -> None:
    assert memfd_flag_names(getattr(os, name)) == [name]


@pytest.mark.parametrize(
    "name", [n for n in dir(os) if n.startswith("MFD_HUGE_") and n[9].isdigit()]
)
def test_memfd_huge_size_matches_os_module(name: str) -> None:
    assert memfd_flag_names(os.MFD_HUGETLB | getattr(os, name)) == ["MFD_HUGETLB", name]


def test_memfd_newer_flags_and_unknown_size() -> None:
    # include/uapi/linux/memfd.h (6.3+): newer than some C libraries.
    assert memfd_flag_names(0x8 | 0x10) == ["MFD_NOEXEC_SEAL", "MFD_EXEC"]
    assert memfd_flag_names(0x4 | 17 << 26) == ["MFD_HUGETLB", hex(17 << 26)]


def test_socket_type_flags_and_dup3_match_modules() -> None:
    assert socket_type_flag_names(socket.SOCK_NONBLOCK) == ["SOCK_NONBLOCK"]
    assert socket_type_flag_names(socket.SOCK_CLOEXEC | socket.SOCK_NONBLOCK) == [
        "SOCK_NONBLOCK",
        "SOCK_CLOEXEC",
    ]
    assert socket_type_flag_names(socket.SOCK_STREAM) == ["0x1"]
    assert dup3_flag_names(os.O_CLOEXEC) == ["O_CLOEXEC"]
    assert dup3_flag_names(os.O_CLOEXEC | os.O_NONBLOCK) == ["O_CLOEXEC", hex(os.O_NONBLOCK)]


# statvfs's ST_* flags equal the mount MS_* bits for these (not ST_RELATIME, ST_WRITE,
# ST_APPEND, which have values of their own).
@pytest.mark.parametrize(
    ("st", "ms"),
    [
        ("ST_RDONLY", "MS_RDONLY"),
        ("ST_NOSUID", "MS_NOSUID"),
        ("ST_NODEV", "MS_NODEV"),
        ("ST_NOEXEC", "MS_NOEXEC"),
        ("ST_SYNCHRONOUS", "MS_SYNCHRONOUS"),
        ("ST_MANDLOCK", "MS_MANDLOCK"),
        ("ST_NOATIME", "MS_NOATIME"),
        ("ST_NODIRATIME", "MS_NODIRATIME"),
    ],
)
def test_mount_flag_matches_statvfs_flag(st: str, ms: str) -> None:
    assert mount_flag_names(getattr(os, st)) == [ms]


def test_mount_magic_and_bind() -> None:
    assert mount_flag_names(0xC0ED0000 | 4096 | 16384) == ["MS_MGC_VAL", "MS_BIND", "MS_REC"]
    assert mount_flag_names(1 << 18 | 1 << 14) == ["MS_REC", "MS_PRIVATE"]
    assert mount_flag_names(1 << 9) == ["0x200"]
    assert mount_flag_names(1 << 35) == [hex(1 << 35)]


# --- nothing dropped, for any value --------------------------------------------------------------

DECODERS: list[tuple[str, Callable[[int], list[str]], int]] = [
    ("open", open_flag_names, 32),
    ("clone3", clone3_flag_names, 64),
    ("at", at_flag_names, 32),
    ("rename", rename_flag_names, 32),
    ("umount", umount_flag_names, 32),
    ("socket", socket_type_flag_names, 32),
    ("dup3", dup3_flag_names, 32),
    ("caps", capability_names, 64),
]


def _single_bit_values(decode: Callable[[int], list[str]], width: int) -> dict[str, int]:
    values: dict[str, int] = {}
    for bit in range(width):
        for name in decode(1 << bit):
            if not name.startswith("0x") and name != "O_RDONLY":
                values[name] = 1 << bit
    return values


@pytest.mark.parametrize(("label", "decode", "width"), DECODERS, ids=[d[0] for d in DECODERS])
def test_names_rebuild_the_value(
    label: str, decode: Callable[[int], list[str]], width: int
) -> None:
    values = _single_bit_values(decode, width)
    values.update({"O_RDONLY": 0, "O_ACCMODE": 3, "O_SYNC": os.O_SYNC, "O_TMPFILE": os.O_TMPFILE})
    rng = random.Random(label)
    for _ in range(2000):
        value = rng.getrandbits(width)
        rebuilt = 0
        for name in decode(value):
            rebuilt |= int(name, 16) if name.startswith("0x") else values[name]
        assert rebuilt == value, (label, hex(value), decode(value))
        assert len(decode(value)) == len(set(decode(value)))
