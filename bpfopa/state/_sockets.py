"""Sockets the capture did not see created: their addresses from /proc/PID/net/*."""

from __future__ import annotations

import ipaddress
from typing import Any

_TABLES = (
    ("tcp", "ipv4", "tcp"),
    ("tcp6", "ipv6", "tcp"),
    ("udp", "ipv4", "udp"),
    ("udp6", "ipv6", "udp"),
)


def _addr(hex_addr: str, family: str) -> dict[str, Any]:
    host_hex, port_hex = hex_addr.split(":")
    raw = bytes.fromhex(host_hex)
    if family == "ipv4":
        address = str(ipaddress.IPv4Address(raw[::-1]))
        af = "AF_INET"
    else:  # four little-endian 32-bit words
        words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
        address = str(ipaddress.IPv6Address(words))
        af = "AF_INET6"
    return {"family": af, "address": address, "port": int(port_hex, 16)}


def socket_from_proc(pid: int, inode: int, proc: str = "/proc") -> tuple[str, str, Any, Any] | None:
    """(type, proto, local, remote) of the socket with ``inode`` in ``pid``'s network namespace;
    remote is None for a listening or unconnected socket."""
    needle = str(inode)
    for table, fd_type, proto in _TABLES:
        try:
            with open(f"{proc}/{pid}/net/{table}") as f:
                next(f, None)
                for line in f:
                    fields = line.split()
                    if len(fields) > 9 and fields[9] == needle:
                        local = _addr(fields[1], fd_type)
                        remote = _addr(fields[2], fd_type)
                        return fd_type, proto, local, remote if remote["port"] else None
        except (OSError, ValueError):
            continue
    return None
