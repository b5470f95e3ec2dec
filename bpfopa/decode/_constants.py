"""Names of single-valued constants: errno, signals, ptrace requests, socket domains, types and
protocols, capabilities. Linux values; a value without a name gives ``None`` (the event
document's rule: unknown is ``null``, never invented), except where noted.
"""

from __future__ import annotations

import errno as _errno
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from bpfopa.decode._arch import DEFAULT_ARCH, Arch, normalize_arch
from bpfopa.decode._bits import U64_MASK

__all__ = [
    "capability_name",
    "capability_names",
    "errno_name",
    "ip_protocol_name",
    "ptrace_request_name",
    "signal_name",
    "socket_domain_name",
    "socket_protocol_name",
    "socket_type_name",
]

# --- errno ---------------------------------------------------------------------------------------

# A syscall's error return is -1..-4095 (include/linux/err.h MAX_ERRNO); anything below is a
# value (e.g. a large unsigned result seen as signed), not an error.
_MAX_ERRNO: Final = 4095

# Kernel-internal codes (include/linux/errno.h) that never reach userspace but do show up at the
# sys_exit tracepoint, e.g. -ERESTARTSYS when a signal interrupts a blocking call.
_KERNEL_ERRNO: Final = {
    512: "ERESTARTSYS",
    513: "ERESTARTNOINTR",
    514: "ERESTARTNOHAND",
    515: "ENOIOCTLCMD",
    516: "ERESTART_RESTARTBLOCK",
    517: "EPROBE_DEFER",
    518: "EOPENSTALE",
    519: "ENOPARAM",
    521: "EBADHANDLE",
    522: "ENOTSYNC",
    523: "EBADCOOKIE",
    524: "ENOTSUPP",
    525: "ETOOSMALL",
    526: "ESERVERFAULT",
    527: "EBADTYPE",
    528: "EJUKEBOX",
    529: "EIOCBQUEUED",
    530: "ERECALLCONFLICT",
    531: "ENOGRACE",
}
# Where the C library has two names for one number, the kernel's (asm-generic/errno.h) wins:
# Python's errorcode would otherwise pick EDEADLOCK and ENOTSUP. EHWPOISON is newer than some
# C libraries' tables.
_KERNEL_SPELLING: Final = {35: "EDEADLK", 95: "EOPNOTSUPP", 133: "EHWPOISON"}
# Built once from the stdlib (the host's C library names, which on Linux are the kernel's).
_ERRNO_NAMES: Final[Mapping[int, str]] = MappingProxyType(
    {**dict(_errno.errorcode), **_KERNEL_SPELLING, **_KERNEL_ERRNO}
)


def errno_name(ret: int) -> str | None:
    """Errno name for a syscall's signed return value: ``-2`` -> ``"ENOENT"``.

    ``None`` when ``ret`` is not an error (``ret >= 0`` or below ``-4095``). An error number
    without a name is reported as ``"ERRNO_<n>"`` so the event still shows it failed.
    """
    if ret >= 0 or ret < -_MAX_ERRNO:
        return None
    code = -ret
    name = _ERRNO_NAMES.get(code)
    return name if name is not None else f"ERRNO_{code}"


# --- signals -------------------------------------------------------------------------------------

# asm-generic/signal.h numbering, identical on x86_64 and arm64. Canonical names only (SIGABRT
# not SIGIOT, SIGCHLD not SIGCLD, SIGIO not SIGPOLL), as Python's signal.Signals reports them.
_STANDARD_SIGNALS: Final = (
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
)
# glibc's SIGRTMIN is 34: kernel signals 32 and 33 are reserved by glibc for its threads
# (cancellation, setxid), so they are named relative to it, like `kill -l` numbering.
_SIGRTMIN: Final = 34
_SIGRTMAX: Final = 64


def _signal_table() -> tuple[str | None, ...]:
    names: list[str | None] = [None, *_STANDARD_SIGNALS]
    for sig in range(32, _SIGRTMAX + 1):
        offset = sig - _SIGRTMIN
        if offset == 0:
            names.append("SIGRTMIN")
        elif sig == _SIGRTMAX:
            names.append("SIGRTMAX")
        else:
            names.append(f"SIGRTMIN{offset:+d}")
    return tuple(names)


_SIGNALS: Final = _signal_table()


def signal_name(sig: int) -> str | None:
    """Signal name: ``9`` -> ``"SIGKILL"``, ``34`` -> ``"SIGRTMIN"``, ``40`` -> ``"SIGRTMIN+6"``,
    ``64`` -> ``"SIGRTMAX"``. ``None`` for 0 (kill's "does it exist" probe) and out-of-range
    values."""
    if 0 < sig < len(_SIGNALS):
        return _SIGNALS[sig]
    return None


# --- ptrace --------------------------------------------------------------------------------------

_PTRACE_COMMON: Final = {
    0: "PTRACE_TRACEME",
    1: "PTRACE_PEEKTEXT",
    2: "PTRACE_PEEKDATA",
    3: "PTRACE_PEEKUSR",
    4: "PTRACE_POKETEXT",
    5: "PTRACE_POKEDATA",
    6: "PTRACE_POKEUSR",
    7: "PTRACE_CONT",
    8: "PTRACE_KILL",
    9: "PTRACE_SINGLESTEP",
    16: "PTRACE_ATTACH",
    17: "PTRACE_DETACH",
    24: "PTRACE_SYSCALL",
    0x4200: "PTRACE_SETOPTIONS",
    0x4201: "PTRACE_GETEVENTMSG",
    0x4202: "PTRACE_GETSIGINFO",
    0x4203: "PTRACE_SETSIGINFO",
    0x4204: "PTRACE_GETREGSET",
    0x4205: "PTRACE_SETREGSET",
    0x4206: "PTRACE_SEIZE",
    0x4207: "PTRACE_INTERRUPT",
    0x4208: "PTRACE_LISTEN",
    0x4209: "PTRACE_PEEKSIGINFO",
    0x420A: "PTRACE_GETSIGMASK",
    0x420B: "PTRACE_SETSIGMASK",
    0x420C: "PTRACE_SECCOMP_GET_FILTER",
    0x420D: "PTRACE_SECCOMP_GET_METADATA",
    0x420E: "PTRACE_GET_SYSCALL_INFO",
    0x420F: "PTRACE_GET_RSEQ_CONFIGURATION",
    0x4210: "PTRACE_SET_SYSCALL_USER_DISPATCH_CONFIG",
    0x4211: "PTRACE_GET_SYSCALL_USER_DISPATCH_CONFIG",
    0x4212: "PTRACE_SET_SYSCALL_INFO",
}
# arch/x86/include/uapi/asm/ptrace-abi.h
_PTRACE_X86_64: Final = {
    12: "PTRACE_GETREGS",
    13: "PTRACE_SETREGS",
    14: "PTRACE_GETFPREGS",
    15: "PTRACE_SETFPREGS",
    18: "PTRACE_GETFPXREGS",
    19: "PTRACE_SETFPXREGS",
    21: "PTRACE_OLDSETOPTIONS",
    25: "PTRACE_GET_THREAD_AREA",
    26: "PTRACE_SET_THREAD_AREA",
    30: "PTRACE_ARCH_PRCTL",
    31: "PTRACE_SYSEMU",
    32: "PTRACE_SYSEMU_SINGLESTEP",
    33: "PTRACE_SINGLEBLOCK",
}
# arch/arm64/include/uapi/asm/ptrace.h (arm64 has no GETREGS family: it uses GETREGSET).
_PTRACE_ARM64: Final = {
    33: "PTRACE_PEEKMTETAGS",
    34: "PTRACE_POKEMTETAGS",
}
_PTRACE: Final[Mapping[str, Mapping[int, str]]] = MappingProxyType(
    {
        "x86_64": MappingProxyType({**_PTRACE_COMMON, **_PTRACE_X86_64}),
        "arm64": MappingProxyType({**_PTRACE_COMMON, **_PTRACE_ARM64}),
    }
)


def ptrace_request_name(request: int, arch: Arch | str = DEFAULT_ARCH) -> str | None:
    """ptrace(2) request name: ``0`` -> ``"PTRACE_TRACEME"``, ``0x4206`` -> ``"PTRACE_SEIZE"``.
    Requests 12-34 are architecture specific."""
    table = _PTRACE.get(arch)
    if table is None:
        table = _PTRACE[normalize_arch(arch)]
    return table.get(request)


# --- sockets -------------------------------------------------------------------------------------

# include/linux/socket.h, AF_UNSPEC (0) .. AF_MCTP (45).
_AF_NAMES: Final = (
    "AF_UNSPEC",
    "AF_UNIX",
    "AF_INET",
    "AF_AX25",
    "AF_IPX",
    "AF_APPLETALK",
    "AF_NETROM",
    "AF_BRIDGE",
    "AF_ATMPVC",
    "AF_X25",
    "AF_INET6",
    "AF_ROSE",
    "AF_DECnet",
    "AF_NETBEUI",
    "AF_SECURITY",
    "AF_KEY",
    "AF_NETLINK",
    "AF_PACKET",
    "AF_ASH",
    "AF_ECONET",
    "AF_ATMSVC",
    "AF_RDS",
    "AF_SNA",
    "AF_IRDA",
    "AF_PPPOX",
    "AF_WANPIPE",
    "AF_LLC",
    "AF_IB",
    "AF_MPLS",
    "AF_CAN",
    "AF_TIPC",
    "AF_BLUETOOTH",
    "AF_IUCV",
    "AF_RXRPC",
    "AF_ISDN",
    "AF_PHONET",
    "AF_IEEE802154",
    "AF_CAIF",
    "AF_ALG",
    "AF_NFC",
    "AF_VSOCK",
    "AF_KCM",
    "AF_QIPCRTR",
    "AF_SMC",
    "AF_XDP",
    "AF_MCTP",
)
AF_INET: Final = 2
AF_INET6: Final = 10
AF_NETLINK: Final = 16
AF_PACKET: Final = 17


def socket_domain_name(domain: int) -> str | None:
    """Address family name: ``2`` -> ``"AF_INET"``, ``17`` -> ``"AF_PACKET"``."""
    if 0 <= domain < len(_AF_NAMES):
        return _AF_NAMES[domain]
    return None


_SOCK_TYPE_MASK: Final = 0xF
_SOCK_TYPES: Final = MappingProxyType(
    {
        1: "SOCK_STREAM",
        2: "SOCK_DGRAM",
        3: "SOCK_RAW",
        4: "SOCK_RDM",
        5: "SOCK_SEQPACKET",
        6: "SOCK_DCCP",
        10: "SOCK_PACKET",
    }
)


def socket_type_name(sock_type: int) -> str | None:
    """Socket type name of the low 4 bits of socket(2)'s ``type`` (which may also carry
    ``SOCK_NONBLOCK|SOCK_CLOEXEC``, see :func:`socket_type_flag_names`)."""
    return _SOCK_TYPES.get(sock_type & _SOCK_TYPE_MASK)


# include/uapi/linux/in.h and in6.h (the IPv6 extension header numbers are IP protocols too).
_IPPROTO: Final = MappingProxyType(
    {
        0: "IPPROTO_IP",
        1: "IPPROTO_ICMP",
        2: "IPPROTO_IGMP",
        4: "IPPROTO_IPIP",
        6: "IPPROTO_TCP",
        8: "IPPROTO_EGP",
        12: "IPPROTO_PUP",
        17: "IPPROTO_UDP",
        22: "IPPROTO_IDP",
        29: "IPPROTO_TP",
        33: "IPPROTO_DCCP",
        41: "IPPROTO_IPV6",
        43: "IPPROTO_ROUTING",
        44: "IPPROTO_FRAGMENT",
        46: "IPPROTO_RSVP",
        47: "IPPROTO_GRE",
        50: "IPPROTO_ESP",
        51: "IPPROTO_AH",
        58: "IPPROTO_ICMPV6",
        59: "IPPROTO_NONE",
        60: "IPPROTO_DSTOPTS",
        92: "IPPROTO_MTP",
        94: "IPPROTO_BEETPH",
        98: "IPPROTO_ENCAP",
        103: "IPPROTO_PIM",
        108: "IPPROTO_COMP",
        115: "IPPROTO_L2TP",
        132: "IPPROTO_SCTP",
        135: "IPPROTO_MH",
        136: "IPPROTO_UDPLITE",
        137: "IPPROTO_MPLS",
        143: "IPPROTO_ETHERNET",
        255: "IPPROTO_RAW",
        256: "IPPROTO_SMC",
        262: "IPPROTO_MPTCP",
    }
)


def ip_protocol_name(protocol: int) -> str | None:
    """IP protocol name: ``6`` -> ``"IPPROTO_TCP"``, ``0`` -> ``"IPPROTO_IP"`` (the default)."""
    return _IPPROTO.get(protocol)


# include/uapi/linux/netlink.h
_NETLINK: Final = MappingProxyType(
    {
        0: "NETLINK_ROUTE",
        1: "NETLINK_UNUSED",
        2: "NETLINK_USERSOCK",
        3: "NETLINK_FIREWALL",
        4: "NETLINK_SOCK_DIAG",
        5: "NETLINK_NFLOG",
        6: "NETLINK_XFRM",
        7: "NETLINK_SELINUX",
        8: "NETLINK_ISCSI",
        9: "NETLINK_AUDIT",
        10: "NETLINK_FIB_LOOKUP",
        11: "NETLINK_CONNECTOR",
        12: "NETLINK_NETFILTER",
        13: "NETLINK_IP6_FW",
        14: "NETLINK_DNRTMSG",
        15: "NETLINK_KOBJECT_UEVENT",
        16: "NETLINK_GENERIC",
        18: "NETLINK_SCSITRANSPORT",
        19: "NETLINK_ECRYPTFS",
        20: "NETLINK_RDMA",
        21: "NETLINK_CRYPTO",
        22: "NETLINK_SMC",
    }
)
# include/uapi/linux/if_ether.h: the ethertypes packet sockets are commonly opened with.
_ETH_P: Final = MappingProxyType(
    {
        0x0003: "ETH_P_ALL",
        0x0800: "ETH_P_IP",
        0x0806: "ETH_P_ARP",
        0x8035: "ETH_P_RARP",
        0x8100: "ETH_P_8021Q",
        0x86DD: "ETH_P_IPV6",
        0x88A8: "ETH_P_8021AD",
        0x888E: "ETH_P_PAE",
        0x88CC: "ETH_P_LLDP",
    }
)


def socket_protocol_name(domain: int, protocol: int) -> str | None:
    """socket(2)'s ``protocol`` named by what it means in ``domain``: an IP protocol for
    ``AF_INET``/``AF_INET6``, a netlink family for ``AF_NETLINK``, an ethertype (given in network
    byte order, as ``htons(ETH_P_ALL)``) for ``AF_PACKET``; ``None`` elsewhere or when unknown."""
    if domain in (AF_INET, AF_INET6):
        return _IPPROTO.get(protocol)
    if domain == AF_NETLINK:
        return _NETLINK.get(protocol)
    if domain == AF_PACKET and 0 <= protocol <= 0xFFFF:
        return _ETH_P.get(((protocol & 0xFF) << 8) | (protocol >> 8))
    return None


# --- capabilities --------------------------------------------------------------------------------

# include/uapi/linux/capability.h, CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE (40).
_CAPABILITIES: Final = (
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
)
_CAP_KNOWN_MASK: Final = (1 << len(_CAPABILITIES)) - 1


def _capability_byte_tables() -> tuple[tuple[tuple[str, ...], ...], ...]:
    # For each byte of the mask, the names of all 256 values of that byte: a full capability
    # set (every process of root) then costs 6 lookups instead of 41 bit tests.
    tables = []
    for offset in range(0, len(_CAPABILITIES), 8):
        chunk = _CAPABILITIES[offset : offset + 8]
        tables.append(
            tuple(
                tuple(name for bit, name in enumerate(chunk) if value >> bit & 1)
                for value in range(256)
            )
        )
    return tuple(tables)


_CAP_BYTE_TABLES: Final = _capability_byte_tables()


def capability_name(cap: int) -> str | None:
    """Capability name by number: ``21`` -> ``"CAP_SYS_ADMIN"``."""
    if 0 <= cap < len(_CAPABILITIES):
        return _CAPABILITIES[cap]
    return None


def capability_names(mask: int) -> list[str]:
    """Names of the capabilities in a bitmask (``CapEff`` of /proc/PID/status, a BPF
    ``cap_effective``), lowest number first; capabilities newer than bpfopa come last as one
    hex string of their bits."""
    mask &= U64_MASK
    out: list[str] = []
    known = mask & _CAP_KNOWN_MASK
    for table in _CAP_BYTE_TABLES:
        if not known:
            break
        byte = known & 0xFF
        if byte:
            out.extend(table[byte])
        known >>= 8
    unknown = mask & ~_CAP_KNOWN_MASK
    if unknown:
        out.append(hex(unknown))
    return out
