"""Bytes from the kernel to JSON strings, and strings to a terminal.

Linux paths, argv, environment and comm are bytes, not text. The event document
(docs/event-schema.md, "Non-UTF-8 bytes") keeps a readable string, with every invalid byte
replaced by U+FFFD, and the exact bytes as unpadded URL-safe base64 in the top-level ``raw``
object under the field's dotted path.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, MutableMapping
from types import MappingProxyType
from typing import Final

__all__ = [
    "decode_field",
    "decode_fields",
    "decode_text",
    "encode_raw",
    "escape_for_terminal",
    "raw_bytes",
]

# surrogateescape turns each undecodable byte 0x80-0xFF into exactly one lone surrogate
# U+DC80-U+DCFF, so translating those gives one U+FFFD per invalid byte, as the document
# specifies (the "replace" handler would give one U+FFFD per invalid *sequence*). Lone
# surrogates must not survive anyway: they are not encodable as UTF-8 JSON.
_SURROGATE_TO_REPLACEMENT: Final = MappingProxyType(dict.fromkeys(range(0xDC80, 0xDD00), "\ufffd"))


def encode_raw(data: bytes) -> str:
    """Unpadded URL-safe base64 of ``data``: the value format of the document's ``raw`` map."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def raw_bytes(value: str) -> bytes:
    """Inverse of :func:`encode_raw` (for readers of the ``raw`` map, e.g. replay).

    Raises :class:`ValueError` when ``value`` is not unpadded URL-safe base64.
    """
    try:
        padded = value + "=" * (-len(value) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not unpadded URL-safe base64: {value[:40]!r}") from exc


def decode_text(data: bytes) -> tuple[str, str | None]:
    """Decode kernel bytes as UTF-8.

    Returns ``(text, None)`` when ``data`` is valid UTF-8, else ``(text, raw)`` where ``text``
    has each invalid byte replaced by U+FFFD and ``raw`` is :func:`encode_raw` of ``data``.
    The common all-ASCII case costs one C-level scan and one copy.
    """
    if data.isascii():
        return data.decode("ascii"), None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        text = data.decode("utf-8", "surrogateescape").translate(_SURROGATE_TO_REPLACEMENT)
        return text, encode_raw(data)


def decode_field(data: bytes, field: str, raw: MutableMapping[str, str]) -> str:
    """:func:`decode_text` for one document field: returns the text and, when ``data`` is not
    valid UTF-8, records its exact bytes as ``raw[field]`` (``field`` is the dotted path, e.g.
    ``"event.params.pathname"``)."""
    if data.isascii():
        return data.decode("ascii")
    text, encoded = decode_text(data)
    if encoded is not None:
        raw[field] = encoded
    return text


def decode_fields(items: Iterable[bytes], field: str, raw: MutableMapping[str, str]) -> list[str]:
    """:func:`decode_field` for a list field: element ``i`` is recorded as ``raw[f"{field}.{i}"]``
    (``process.args.2``)."""
    out: list[str] = []
    for index, data in enumerate(items):
        if data.isascii():
            out.append(data.decode("ascii"))
            continue
        text, encoded = decode_text(data)
        if encoded is not None:
            raw[f"{field}.{index}"] = encoded
        out.append(text)
    return out


def _terminal_escapes() -> dict[int, str]:
    table: dict[int, str] = {}
    # C0 controls and DEL: ESC starts cursor/colour sequences, CR/BS overwrite what was shown.
    for code in (*range(0x20), 0x7F):
        table[code] = f"\\x{code:02x}"
    table.update({0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"})
    # C1 controls: U+009B is a one-character CSI on terminals that honour 8-bit controls.
    for code in range(0x80, 0xA0):
        table[code] = f"\\x{code:02x}"
    # Unicode Bidi_Control: embeddings/overrides/isolates and marks reorder the displayed text
    # ("Trojan Source"), making `evil\u202egpj.exe` look like another name.
    for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        table[code] = f"\\u{code:04x}"
    return table


_TERMINAL_ESCAPES: Final = MappingProxyType(_terminal_escapes())


def escape_for_terminal(text: str) -> str:
    """Make attacker-controlled text safe to print: C0 controls, DEL, C1 controls and Unicode
    bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) become visible
    ``\\xNN``/``\\uNNNN`` escapes (``\\t``, ``\\n``, ``\\r`` for those three), so event data cannot
    move the cursor, change colours, or reorder text. Printable text, including a literal
    backslash, is unchanged."""
    if text.isprintable():
        # Every escaped character is non-printable for str.isprintable, so this C-speed check
        # is exact for the common case.
        return text
    return text.translate(_TERMINAL_ESCAPES)
