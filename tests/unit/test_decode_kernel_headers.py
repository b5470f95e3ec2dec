"""bpfopa.decode's tables against the Linux UAPI headers installed on this machine
(linux-libc-dev, glibc's bits/ for the AF_* and MNT_* names).

Each test reads every constant of one family from the headers and checks the public decoder
names it the same way, so a wrong value *or* a missing name fails. Names newer than the
installed headers are not checked here (test_decode_flags/test_decode_constants spot-check
them); names the header has and bpfopa deliberately spells differently are listed per test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bpfopa.decode import (
    at_flag_names,
    capability_name,
    clone3_flag_names,
    ip_protocol_name,
    memfd_flag_names,
    mode_names,
    mount_flag_names,
    open_flag_names,
    ptrace_request_name,
    rename_flag_names,
    signal_name,
    socket_domain_name,
    socket_protocol_name,
    socket_type_name,
    umount_flag_names,
)
from tests.conftest import require

INCLUDE = Path("/usr/include")
ARCH_INCLUDE = INCLUDE / "x86_64-linux-gnu"

_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+(.*)$", re.MULTILINE)
_ENUM_ITEM = re.compile(r"^\s*([A-Z][A-Z0-9_]*)\s*=\s*([0-9A-Fa-fx]+)\s*,?", re.MULTILINE)
_CAST = re.compile(r"\(\s*(?:unsigned\s+)?(?:__u64|__u32|__s32|int|long|unsigned)\s*\)")
_TOKEN = re.compile(r"0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|\S")


def _read(*relative: str) -> str:
    texts = []
    for rel in relative:
        path = INCLUDE / rel
        require(path.is_file(), f"{path} missing: install Debian's linux-libc-dev")
        texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def _evaluate(expr: str, raw: dict[str, str], depth: int = 0) -> int | None:
    expr = re.sub(r"/\*.*", "", expr).split("//")[0]
    expr = _CAST.sub("", expr)
    out = []
    for token in _TOKEN.findall(expr):
        if token[0].isdigit():
            token = token.rstrip("uUlL")
            if token.lower().startswith("0x"):
                value = int(token, 16)
            elif len(token) > 1 and token[0] == "0":
                value = int(token, 8)
            else:
                value = int(token)
            out.append(str(value))
        elif token[0].isalpha() or token[0] == "_":
            if token not in raw or depth > 8:
                return None
            value_or_none = _evaluate(raw[token], raw, depth + 1)
            if value_or_none is None:
                return None
            out.append(str(value_or_none))
        elif token in ("(", ")", "|", "&", "<<", ">>", "~", "+", "-"):
            out.append(token)
        else:
            return None
    if not out:
        return None
    try:
        result = eval(" ".join(out), {"__builtins__": {}})  # digits and operators only
    except SyntaxError:
        return None
    return result if isinstance(result, int) else None


def header_constants(text: str, pattern: str) -> dict[str, int]:
    """Every ``#define`` (first definition wins, as with ``#ifndef`` guards) and enum item of
    ``text`` whose name matches ``pattern``, evaluated to an int."""
    raw: dict[str, str] = {}
    for match in _ENUM_ITEM.finditer(text):
        raw.setdefault(match.group(1), match.group(2))
    for match in _DEFINE.finditer(text):
        name, expr = match.groups()
        if expr.strip() != name:  # glibc's `#define SOCK_STREAM SOCK_STREAM` after the enum
            raw.setdefault(name, expr)
    wanted = re.compile(pattern)
    found = {}
    for name in raw:
        if wanted.fullmatch(name):
            value = _evaluate(raw[name], raw)
            if value is not None:
                found[name] = value
    return found


def _check_single_bits(
    constants: dict[str, int],
    names_of: Callable[[int], list[str]],
    skip: set[str],
    minimum: int,
) -> None:
    assert len(constants) >= minimum, f"header parse found too little: {sorted(constants)}"
    checked = 0
    for name, value in sorted(constants.items()):
        if name in skip:
            continue
        assert names_of(value) == [name], f"{name}={value:#x}"
        checked += 1
    assert checked >= minimum - len(skip)


def test_the_header_parser_reads_known_values() -> None:
    # A guard for the parser itself: octal, hex, shifts and references.
    text = "#define A 0100\n#define B 0x10\n#define C (1 << 3)\n#define D (A | B) /* x */\n"
    assert header_constants(text, "[A-D]") == {"A": 64, "B": 16, "C": 8, "D": 80}


def test_open_flags_match_asm_generic_fcntl() -> None:
    constants = header_constants(_read("asm-generic/fcntl.h"), r"O_[A-Z]+|__O_[A-Z]+|FASYNC")
    # O_SYNC/O_TMPFILE are composites checked below; O_RDONLY is the zero access mode;
    # O_ACCMODE is the mask; O_NDELAY is an alias of O_NONBLOCK; O_RSYNC of O_SYNC.
    skip = {"O_SYNC", "O_TMPFILE", "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE", "O_NDELAY"}
    skip |= {"O_RSYNC", "O_TMPFILE_MASK"}
    _check_single_bits(constants, lambda v: open_flag_names(v)[1:], skip, minimum=18)
    assert open_flag_names(constants["O_WRONLY"]) == ["O_WRONLY"]
    assert open_flag_names(constants["O_RDWR"]) == ["O_RDWR"]
    assert open_flag_names(constants["O_SYNC"]) == ["O_RDONLY", "O_SYNC"]
    assert open_flag_names(constants["O_TMPFILE"]) == ["O_RDONLY", "O_TMPFILE"]


def test_mode_bits_match_linux_stat_h() -> None:
    constants = header_constants(_read("linux/stat.h"), r"S_I[A-Z]+")
    skip = {"S_IFMT", "S_IRWXU", "S_IRWXG", "S_IRWXO"}
    assert len(constants) >= 19
    for name, value in constants.items():
        if name in skip:
            continue
        assert mode_names(value) == [name], f"{name}={value:#o}"


def test_clone_flags_match_linux_sched_h() -> None:
    constants = header_constants(_read("linux/sched.h"), r"CLONE_[A-Z_]+")
    # CSIGNAL is a mask, CLONE_ARGS_SIZE_VER* are struct sizes.
    constants = {n: v for n, v in constants.items() if not n.startswith("CLONE_ARGS_SIZE")}
    _check_single_bits(constants, clone3_flag_names, skip=set(), minimum=24)


def test_at_and_rename_flags_match_linux_fcntl_h() -> None:
    text = _read("linux/fcntl.h")
    at = header_constants(text, r"AT_[A-Z_]+")
    # AT_FDCWD is a dirfd; AT_STATX_SYNC_* is a two-bit field; AT_EACCESS/AT_HANDLE_FID reuse
    # AT_REMOVEDIR's bit and are checked with their syscall below.
    skip = {"AT_FDCWD", "AT_STATX_SYNC_TYPE", "AT_STATX_SYNC_AS_STAT", "AT_EACCESS"}
    skip |= {"AT_HANDLE_FID", "AT_HANDLE_MNT_ID_UNIQUE", "AT_HANDLE_CONNECTABLE"}
    _check_single_bits(at, at_flag_names, skip, minimum=9)
    assert at_flag_names(at["AT_EACCESS"], "faccessat2") == ["AT_EACCESS"]
    rename = header_constants(_read("linux/fs.h", "linux/fcntl.h"), r"RENAME_[A-Z_]+")
    _check_single_bits(rename, rename_flag_names, skip=set(), minimum=3)


def test_memfd_flags_match_linux_memfd_h() -> None:
    constants = header_constants(
        _read("linux/memfd.h", "asm-generic/hugetlb_encode.h"), r"MFD_[A-Z0-9_]+"
    )
    skip = {"MFD_HUGE_SHIFT", "MFD_HUGE_MASK"}
    huge = {n: v for n, v in constants.items() if n.startswith("MFD_HUGE_") and n not in skip}
    assert len(huge) >= 12
    for name, value in huge.items():
        assert memfd_flag_names(value | constants["MFD_HUGETLB"]) == ["MFD_HUGETLB", name]
    bits = {n: v for n, v in constants.items() if not n.startswith("MFD_HUGE_")}
    _check_single_bits(bits, memfd_flag_names, skip=set(), minimum=3)


def test_mount_flags_match_linux_mount_h() -> None:
    constants = header_constants(_read("linux/mount.h"), r"MS_[A-Z_]+")
    # MS_VERBOSE is MS_SILENT's old name; the rest are masks or the magic value.
    skip = {"MS_VERBOSE", "MS_RMT_MASK", "MS_MGC_VAL", "MS_MGC_MSK"}
    _check_single_bits(constants, mount_flag_names, skip, minimum=30)
    assert mount_flag_names(constants["MS_MGC_VAL"]) == ["MS_MGC_VAL"]


def test_umount_flags_match_glibc_sys_mount_h() -> None:
    constants = header_constants(
        _read("x86_64-linux-gnu/sys/mount.h"), r"MNT_FORCE|MNT_DETACH|MNT_EXPIRE|UMOUNT_NOFOLLOW"
    )
    _check_single_bits(constants, umount_flag_names, skip=set(), minimum=4)


def test_ptrace_requests_match_linux_ptrace_h() -> None:
    constants = header_constants(
        _read("linux/ptrace.h", "x86_64-linux-gnu/asm/ptrace-abi.h"), r"PTRACE_[A-Z_]+"
    )
    # Options, events, event-message values and PTRACE_GET_SYSCALL_INFO's op codes share the
    # prefix but are not requests.
    not_requests = ("PTRACE_O_", "PTRACE_EVENT", "PTRACE_SYSCALL_INFO_", "PTRACE_PEEKSIGINFO_")
    requests = {n: v for n, v in constants.items() if not n.startswith(not_requests)}
    assert len(requests) >= 39, sorted(requests)
    for name, value in requests.items():
        assert ptrace_request_name(value, "x86_64") == name, f"{name}={value:#x}"


def test_capabilities_match_linux_capability_h() -> None:
    constants = header_constants(_read("linux/capability.h"), r"CAP_[A-Z_]+")
    skip = {"CAP_LAST_CAP"}
    caps = {n: v for n, v in constants.items() if n not in skip and v < 64}
    assert len(caps) >= 41
    for name, value in caps.items():
        assert capability_name(value) == name


def test_address_families_match_glibc_bits_socket_h() -> None:
    constants = header_constants(_read("x86_64-linux-gnu/bits/socket.h"), r"AF_[A-Za-z0-9]+")
    # Aliases of other families, and the count.
    aliases = {"AF_LOCAL", "AF_FILE", "AF_ROUTE", "AF_MAX"}
    assert len(constants) >= 44
    for name, value in constants.items():
        if name not in aliases:
            assert socket_domain_name(value) == name, f"{name}={value}"


def test_socket_types_match_glibc_bits_socket_type_h() -> None:
    constants = header_constants(_read("x86_64-linux-gnu/bits/socket_type.h"), r"SOCK_[A-Z]+")
    types = {n: v for n, v in constants.items() if v < 16}
    assert len(types) == 7
    for name, value in types.items():
        assert socket_type_name(value) == name


def test_ip_protocols_match_linux_in_h() -> None:
    constants = header_constants(_read("linux/in.h", "linux/in6.h"), r"IPPROTO_[A-Z0-9]+")
    # IPPROTO_HOPOPTS is 0 like IPPROTO_IP (the socket() default is named IPPROTO_IP).
    skip = {"IPPROTO_MAX", "IPPROTO_HOPOPTS"}
    assert len(constants) >= 30
    for name, value in constants.items():
        if name not in skip:
            assert ip_protocol_name(value) == name, f"{name}={value}"


def test_netlink_protocols_match_linux_netlink_h() -> None:
    text = _read("linux/netlink.h")
    # The protocol numbers are the defines before MAX_LINKS; the socket options after it share
    # the prefix. NETLINK_INET_DIAG is NETLINK_SOCK_DIAG's old name.
    protocols = header_constants(text[: text.index("MAX_LINKS")], r"NETLINK_[A-Z0-9_]+")
    protocols.pop("NETLINK_INET_DIAG", None)
    assert len(protocols) >= 20
    for name, value in protocols.items():
        assert socket_protocol_name(16, value) == name, f"{name}={value}"


@pytest.mark.parametrize("name", ["SIGHUP", "SIGKILL", "SIGSTKFLT", "SIGCHLD", "SIGPWR", "SIGSYS"])
def test_signals_match_asm_signal_h(name: str) -> None:
    constants = header_constants(_read("x86_64-linux-gnu/asm/signal.h"), r"SIG[A-Z0-9]+")
    assert signal_name(constants[name]) == name
