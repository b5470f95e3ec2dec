"""parse_sockaddr on sockaddr bytes written by the kernel (getsockname(2) through ctypes) and
on hostile buffers."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import random
import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from bpfopa.decode import parse_sockaddr, raw_bytes

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def kernel_sockname(sock: socket.socket) -> bytes:
    """The raw sockaddr the kernel returns for ``sock``, exactly as a syscall buffer holds it."""
    buf = ctypes.create_string_buffer(128)
    size = ctypes.c_uint32(len(buf))
    if _libc.getsockname(sock.fileno(), buf, ctypes.byref(size)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return buf.raw[: size.value]


@pytest.fixture
def tcp4() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


def test_ipv4_from_the_kernel(tcp4: socket.socket) -> None:
    host, port = tcp4.getsockname()
    assert parse_sockaddr(kernel_sockname(tcp4)) == {
        "family": "AF_INET",
        "address": host,
        "port": port,
    }


def test_ipv6_from_the_kernel() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        sock.bind(("::1", 0))
        host, port, _flowinfo, scope_id = sock.getsockname()
        assert scope_id == 0
        assert parse_sockaddr(kernel_sockname(sock)) == {
            "family": "AF_INET6",
            "address": host,
            "port": port,
        }


def test_ipv4_mapped_ipv6_is_shown_as_glibc_does() -> None:
    data = struct.pack("<H", socket.AF_INET6) + struct.pack(">H", 443) + bytes(4)
    data += socket.inet_pton(socket.AF_INET6, "::ffff:93.184.216.34") + struct.pack("<I", 3)
    assert parse_sockaddr(data) == {
        "family": "AF_INET6",
        "address": "::ffff:93.184.216.34",
        "port": 443,
        "scope_id": 3,
    }
    # A zero scope id (the usual case) is left out.
    assert "scope_id" not in (parse_sockaddr(data[:-4] + bytes(4)) or {})
    # Linux also accepts the 24-byte RFC 2133 layout without sin6_scope_id.
    assert parse_sockaddr(data[:24]) == {
        "family": "AF_INET6",
        "address": "::ffff:93.184.216.34",
        "port": 443,
    }


def test_unix_path_from_the_kernel(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(path)
        assert parse_sockaddr(kernel_sockname(sock)) == {
            "family": "AF_UNIX",
            "address": path,
            "port": None,
        }


def test_unix_abstract_from_the_kernel() -> None:
    name = f"bpfopa-test-{os.getpid()}".encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(b"\x00" + name + b"\x00tail")
        assert parse_sockaddr(kernel_sockname(sock)) == {
            "family": "AF_UNIX",
            "address": "@" + name.decode() + "@tail",
            "port": None,
        }


def test_unix_unnamed_from_the_kernel() -> None:
    left, right = socket.socketpair()
    with left, right:
        assert parse_sockaddr(kernel_sockname(left)) == {
            "family": "AF_UNIX",
            "address": None,
            "port": None,
        }


def test_unix_non_utf8_path_from_the_kernel(tmp_path: Path) -> None:
    path = bytes(tmp_path) + b"/\xff\xfe.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(path)
        raw: dict[str, str] = {}
        parsed = parse_sockaddr(kernel_sockname(sock), raw=raw, field="event.params.umyaddr")
        assert parsed == {
            "family": "AF_UNIX",
            "address": str(tmp_path) + "/\ufffd\ufffd.sock",
            "port": None,
        }
        assert raw_bytes(raw["event.params.umyaddr.address"]) == path


def test_unix_valid_path_records_no_raw() -> None:
    raw: dict[str, str] = {}
    parse_sockaddr(b"\x01\x00/run/x.sock\x00", raw=raw, field="event.params.uservaddr")
    assert raw == {}


def test_netlink_from_the_kernel() -> None:
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as sock:
        sock.bind((0, 0))
        assert parse_sockaddr(kernel_sockname(sock)) == {"family": "AF_NETLINK"}


def test_other_families() -> None:
    assert parse_sockaddr(struct.pack("<H", socket.AF_PACKET) + bytes(18)) == {
        "family": "AF_PACKET"
    }
    assert parse_sockaddr(struct.pack("<H", 0)) == {"family": "AF_UNSPEC"}
    assert parse_sockaddr(struct.pack("<H", 40) + bytes(14)) == {"family": "AF_VSOCK"}


def test_empty_is_no_address() -> None:
    assert parse_sockaddr(b"") is None


@pytest.mark.parametrize(
    ("data", "family"),
    [
        (b"\x02", None),
        (b"\x02\x00", "AF_INET"),
        (b"\x02\x00\x00\x50\x7f", "AF_INET"),
        (b"\x0a\x00\x01\xbb" + bytes(10), "AF_INET6"),
    ],
)
def test_short_buffers_give_an_error_note(data: bytes, family: str | None) -> None:
    parsed = parse_sockaddr(data)
    assert parsed is not None
    assert parsed["family"] == family
    assert "truncated" in parsed["error"]


def test_unknown_family_gives_an_error_note() -> None:
    parsed = parse_sockaddr(b"\xff\xff" + bytes(14))
    assert parsed == {"family": None, "error": "unknown address family 65535"}


def test_ipv4_ignores_padding_and_extra_bytes() -> None:
    data = struct.pack("<H", 2) + struct.pack(">H", 65535) + bytes([255, 0, 0, 1]) + b"\xff" * 40
    assert parse_sockaddr(data) == {"family": "AF_INET", "address": "255.0.0.1", "port": 65535}


def test_unix_path_is_capped_at_sun_path() -> None:
    parsed = parse_sockaddr(b"\x01\x00" + b"a" * 300)
    assert parsed is not None
    assert parsed["address"] == "a" * 108


def test_garbage_never_raises() -> None:
    rng = random.Random(1234)
    families = [0, 1, 2, 10, 16, 17, 46, 0xFFFF]
    for _ in range(5000):
        size = rng.randrange(0, 130)
        data = bytearray(rng.randbytes(size))
        if size >= 2 and rng.random() < 0.8:
            data[0:2] = struct.pack("<H", rng.choice(families))
        raw: dict[str, str] = {}
        parsed = parse_sockaddr(bytes(data), raw=raw, field="f")
        if size == 0:
            assert parsed is None
            continue
        assert parsed is not None
        assert "family" in parsed
        address = parsed.get("address")
        if address is not None:
            # Valid JSON text: no lone surrogates.
            address.encode("utf-8")
