"""``struct sockaddr`` bytes (as copied from the syscall's user buffer) to the event document's
object: ``{"family": "AF_INET", "address": "93.184.216.34", "port": 443}``.

Never raises: a short or garbage buffer gives an object with ``family`` and an ``error`` note.
"""

from __future__ import annotations

import socket
from collections.abc import MutableMapping
from typing import Final, Required, TypedDict

from bpfopa.decode._constants import socket_domain_name
from bpfopa.decode._text import decode_text, encode_raw

__all__ = ["Sockaddr", "parse_sockaddr"]


class Sockaddr(TypedDict, total=False):
    """A decoded socket address, as it appears in ``event.params``.

    ``family`` is the ``AF_*`` name (``None`` when the buffer is too short to hold one or the
    family number is unknown). AF_INET/AF_INET6/AF_UNIX add ``address`` and ``port`` (``port`` is
    ``None`` for AF_UNIX; ``address`` is ``None`` for an unnamed AF_UNIX socket). AF_INET6 adds
    ``scope_id`` when it is non-zero. ``error`` explains a buffer that could not be decoded.
    """

    family: Required[str | None]
    address: str | None
    port: int | None
    scope_id: int
    error: str


_AF_UNIX: Final = 1
_AF_INET: Final = 2
_AF_INET6: Final = 10
_SOCKADDR_IN_MIN: Final = 8  # family, port, address; the 8 bytes of sin_zero are padding
_SOCKADDR_IN6_MIN: Final = 24  # RFC 2133 layout without sin6_scope_id, which Linux accepts
_SOCKADDR_IN6_SCOPED: Final = 28
_UNIX_PATH_MAX: Final = 108


def parse_sockaddr(
    data: bytes,
    *,
    raw: MutableMapping[str, str] | None = None,
    field: str = "",
) -> Sockaddr | None:
    """Decode a socket address.

    ``data`` is the address as the syscall received it, cut to its ``addrlen`` (an abstract
    AF_UNIX name is delimited by the length, not by a NUL). ``sa_family`` is read little-endian:
    host byte order on x86_64 and arm64. Returns ``None`` for an empty buffer (no address).

    An AF_UNIX path is bytes: it is decoded like every string of the document (invalid UTF-8 ->
    U+FFFD) and, when ``raw`` and ``field`` are given (``field`` = the dotted path of the
    sockaddr object, e.g. ``"event.params.uservaddr"``), its exact bytes are recorded as
    ``raw[field + ".address"]``. An abstract name (leading NUL) is shown as ``"@name"`` with any
    NUL inside it shown as ``@``, as ``ss`` does.
    """
    size = len(data)
    if size == 0:
        return None
    if size < 2:
        return {"family": None, "error": f"truncated sockaddr: {size} byte, need 2 for the family"}
    family = data[0] | (data[1] << 8)

    if family == _AF_INET:
        if size < _SOCKADDR_IN_MIN:
            return _truncated("AF_INET", size, _SOCKADDR_IN_MIN)
        return {
            "family": "AF_INET",
            "address": f"{data[4]}.{data[5]}.{data[6]}.{data[7]}",
            "port": (data[2] << 8) | data[3],
        }

    if family == _AF_INET6:
        if size < _SOCKADDR_IN6_MIN:
            return _truncated("AF_INET6", size, _SOCKADDR_IN6_MIN)
        result: Sockaddr = {
            "family": "AF_INET6",
            "address": socket.inet_ntop(socket.AF_INET6, data[8:24]),
            "port": (data[2] << 8) | data[3],
        }
        if size >= _SOCKADDR_IN6_SCOPED:
            scope_id = int.from_bytes(data[24:28], "little")
            if scope_id:
                result["scope_id"] = scope_id
        return result

    if family == _AF_UNIX:
        return {"family": "AF_UNIX", "address": _unix_path(data, raw, field), "port": None}

    name = socket_domain_name(family)
    if name is None:
        return {"family": None, "error": f"unknown address family {family}"}
    return {"family": name}


def _truncated(family: str, size: int, need: int) -> Sockaddr:
    return {
        "family": family,
        "address": None,
        "port": None,
        "error": f"truncated {family} sockaddr: {size} bytes, need {need}",
    }


def _unix_path(data: bytes, raw: MutableMapping[str, str] | None, field: str) -> str | None:
    path = data[2 : 2 + _UNIX_PATH_MAX]
    if not path:
        return None  # unnamed socket (autobind not done, or socketpair)
    if path[0] == 0:
        text, encoded = decode_text(path[1:])
        text = "@" + text.replace("\x00", "@")
    else:
        end = path.find(b"\x00")
        if end >= 0:
            path = path[:end]
        text, encoded = decode_text(path)
    if encoded is not None and raw is not None and field:
        # The exact bytes of the address as the kernel saw them (with the abstract NUL).
        raw[field + ".address"] = encode_raw(path)
    return text
