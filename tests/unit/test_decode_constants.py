"""Constant names against the stdlib (errno, signal, socket) and the running kernel."""

from __future__ import annotations

import errno
import os
import signal
import socket
from pathlib import Path

import pytest

from bpfopa.decode import (
    capability_name,
    capability_names,
    errno_name,
    ip_protocol_name,
    ptrace_request_name,
    signal_name,
    socket_domain_name,
    socket_protocol_name,
    socket_type_name,
)

# --- errno ---------------------------------------------------------------------------------------


def test_every_stdlib_errno_gets_a_name_for_its_number() -> None:
    assert len(errno.errorcode) > 100
    for code in errno.errorcode:
        name = errno_name(-code)
        assert name is not None
        # The name may be the kernel's spelling of an alias, but it means the same number.
        assert getattr(errno, name) == code, (code, name)


def test_errno_aliases_use_the_kernel_spelling() -> None:
    assert errno_name(-errno.EAGAIN) == "EAGAIN"
    assert errno_name(-errno.EDEADLK) == "EDEADLK"
    assert errno_name(-errno.EOPNOTSUPP) == "EOPNOTSUPP"


def test_errno_of_a_real_failed_syscall(tmp_path: Path) -> None:
    with pytest.raises(OSError) as info:
        os.open(tmp_path / "missing", os.O_RDONLY)
    assert errno_name(-info.value.errno) == "ENOENT"
    with pytest.raises(OSError) as info:
        os.rmdir(tmp_path / "missing")
    assert errno_name(-info.value.errno) == "ENOENT"
    (tmp_path / "d").mkdir()
    with pytest.raises(OSError) as info:
        os.mkdir(tmp_path / "d")
    assert errno_name(-info.value.errno) == "EEXIST"


def test_errno_kernel_internal_and_unknown() -> None:
    assert errno_name(-512) == "ERESTARTSYS"
    assert errno_name(-516) == "ERESTART_RESTARTBLOCK"
    assert errno_name(-133) == "EHWPOISON"
    assert errno_name(-4000) == "ERRNO_4000"
    assert errno_name(-4095) == "ERRNO_4095"


@pytest.mark.parametrize("ret", [0, 1, 3, 1 << 62, -4096, -(1 << 40)])
def test_errno_of_a_non_error_return_is_none(ret: int) -> None:
    assert errno_name(ret) is None


# --- signals -------------------------------------------------------------------------------------


def test_every_stdlib_signal_has_its_name() -> None:
    for sig in signal.Signals:
        assert signal_name(sig.value) == sig.name


def test_every_valid_signal_has_a_distinct_name() -> None:
    valid = sorted(int(s) for s in signal.valid_signals())
    names = [signal_name(s) for s in valid]
    assert None not in names
    assert len(set(names)) == len(valid)


def test_realtime_signals_are_relative_to_sigrtmin() -> None:
    assert signal_name(signal.SIGRTMIN) == "SIGRTMIN"
    assert signal_name(signal.SIGRTMIN + 1) == "SIGRTMIN+1"
    assert signal_name(signal.SIGRTMIN + 16) == "SIGRTMIN+16"
    assert signal_name(signal.SIGRTMAX) == "SIGRTMAX"
    assert signal_name(signal.SIGRTMAX - 1) == "SIGRTMIN+29"
    assert signal_name(32) == "SIGRTMIN-2"  # glibc's internal SIGCANCEL


@pytest.mark.parametrize("sig", [0, -1, 65, 1 << 31])
def test_no_signal_name_out_of_range(sig: int) -> None:
    assert signal_name(sig) is None


# --- ptrace --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "name"),
    [
        (0, "PTRACE_TRACEME"),
        (1, "PTRACE_PEEKTEXT"),
        (4, "PTRACE_POKETEXT"),
        (16, "PTRACE_ATTACH"),
        (17, "PTRACE_DETACH"),
        (0x4204, "PTRACE_GETREGSET"),
        (0x4206, "PTRACE_SEIZE"),
        (0x4207, "PTRACE_INTERRUPT"),
        (0x4208, "PTRACE_LISTEN"),
        (0x4212, "PTRACE_SET_SYSCALL_INFO"),
    ],
)
def test_ptrace_requests_common_to_both_arches(number: int, name: str) -> None:
    assert ptrace_request_name(number) == name
    assert ptrace_request_name(number, "arm64") == name


def test_ptrace_arch_specific_requests() -> None:
    assert ptrace_request_name(12, "x86_64") == "PTRACE_GETREGS"
    assert ptrace_request_name(12, "arm64") is None
    assert ptrace_request_name(33, "x86_64") == "PTRACE_SINGLEBLOCK"
    assert ptrace_request_name(33, "aarch64") == "PTRACE_PEEKMTETAGS"
    assert ptrace_request_name(0x5000) is None
    assert ptrace_request_name(-1) is None
    with pytest.raises(ValueError):
        ptrace_request_name(0, "mips")


# --- sockets -------------------------------------------------------------------------------------

_AF_ALIASES = {"AF_ROUTE": "AF_NETLINK", "AF_LOCAL": "AF_UNIX", "AF_FILE": "AF_UNIX"}


def test_every_socket_module_family_has_its_name() -> None:
    families = [
        n for n in dir(socket) if n.startswith("AF_") and isinstance(getattr(socket, n), int)
    ]
    assert len(families) > 25
    for name in families:
        assert socket_domain_name(getattr(socket, name)) == _AF_ALIASES.get(name, name)


def test_domain_of_real_sockets() -> None:
    for family in (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK):
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            assert socket_domain_name(sock.family) == socket.AddressFamily(family).name


def test_domain_unknown() -> None:
    assert socket_domain_name(46) is None
    assert socket_domain_name(-1) is None


@pytest.mark.parametrize(
    "name", ["SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET"]
)
def test_socket_type_matches_socket_module_and_ignores_flags(name: str) -> None:
    value = getattr(socket, name)
    assert socket_type_name(value) == name
    assert socket_type_name(value | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC) == name


def test_socket_type_extra_and_unknown() -> None:
    assert socket_type_name(6) == "SOCK_DCCP"
    assert socket_type_name(10) == "SOCK_PACKET"
    assert socket_type_name(7) is None
    assert socket_type_name(0) is None


def test_every_socket_module_ip_protocol_has_its_name() -> None:
    protocols = [n for n in dir(socket) if n.startswith("IPPROTO_")]
    assert len(protocols) > 20
    for name in protocols:
        if name in ("IPPROTO_HOPOPTS", "IPPROTO_MAX"):
            continue  # HOPOPTS is 0, reported as the socket() default IPPROTO_IP
        assert ip_protocol_name(getattr(socket, name)) == name, name
    assert ip_protocol_name(0) == "IPPROTO_IP"
    assert ip_protocol_name(1000) is None


def test_socket_protocol_by_domain() -> None:
    assert socket_protocol_name(socket.AF_INET, socket.IPPROTO_TCP) == "IPPROTO_TCP"
    assert socket_protocol_name(socket.AF_INET6, socket.IPPROTO_ICMPV6) == "IPPROTO_ICMPV6"
    assert socket_protocol_name(socket.AF_NETLINK, socket.NETLINK_ROUTE) == "NETLINK_ROUTE"
    assert socket_protocol_name(socket.AF_NETLINK, 9) == "NETLINK_AUDIT"
    # Packet sockets take the ethertype in network byte order: socket(AF_PACKET, SOCK_RAW,
    # htons(ETH_P_ALL)) is what sniffers do.
    eth_p_all = socket.htons(0x0003)  # ETH_P_ALL (socket.ETH_P_ALL exists from Python 3.12)
    assert socket_protocol_name(socket.AF_PACKET, eth_p_all) == "ETH_P_ALL"
    assert socket_protocol_name(socket.AF_PACKET, socket.htons(0x0800)) == "ETH_P_IP"
    assert socket_protocol_name(socket.AF_PACKET, 1 << 20) is None
    assert socket_protocol_name(socket.AF_UNIX, 0) is None


@pytest.mark.parametrize("name", [n for n in dir(socket) if n.startswith("NETLINK_")])
def test_netlink_protocol_matches_socket_module(name: str) -> None:
    assert socket_protocol_name(socket.AF_NETLINK, getattr(socket, name)) == name


# --- capabilities --------------------------------------------------------------------------------


def _proc_status_field(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1], 16)
    raise AssertionError(f"{name} not in /proc/self/status")


def test_running_kernel_capabilities_all_have_names() -> None:
    last_cap = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    assert all(capability_name(cap) for cap in range(last_cap + 1))
    # The bounding set (possibly reduced by a sandbox) only holds capabilities this kernel knows.
    bounding = _proc_status_field("CapBnd")
    names = capability_names(bounding)
    assert len(names) == bin(bounding).count("1")
    assert not any(name.startswith("0x") for name in names)


def test_capability_spot_values() -> None:
    assert capability_name(0) == "CAP_CHOWN"
    assert capability_name(21) == "CAP_SYS_ADMIN"
    assert capability_name(39) == "CAP_BPF"
    assert capability_name(40) == "CAP_CHECKPOINT_RESTORE"
    assert capability_name(41) is None
    assert capability_name(-1) is None
    assert capability_names(1 << 21 | 1 << 12) == ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]
    assert capability_names(0) == []


def test_capabilities_newer_than_bpfopa_are_kept() -> None:
    assert capability_names(1 << 41 | 1 << 63 | 1) == ["CAP_CHOWN", hex(1 << 41 | 1 << 63)]
    assert capability_names(-1)[-1] == hex(((1 << 64) - 1) & ~((1 << 41) - 1))
