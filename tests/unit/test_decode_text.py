"""Non-UTF-8 bytes (docs/event-schema.md) and terminal escaping."""

from __future__ import annotations

import os
import random
import unicodedata
from pathlib import Path

import orjson
import pytest

from bpfopa.decode import (
    decode_field,
    decode_fields,
    decode_text,
    encode_raw,
    escape_for_terminal,
    raw_bytes,
)


def test_ascii_and_valid_utf8_have_no_raw() -> None:
    assert decode_text(b"/root/.bashrc") == ("/root/.bashrc", None)
    assert decode_text("/tmp/café/中文/😀".encode()) == ("/tmp/café/中文/😀", None)
    assert decode_text(b"") == ("", None)


def test_each_invalid_byte_becomes_one_replacement_character() -> None:
    # A truncated 3-byte sequence is two invalid bytes: two U+FFFD (the document says "each
    # invalid byte"; Python's "replace" handler would give one).
    text, raw = decode_text(b"/tmp/\xe2\x82x\xff")
    assert text == "/tmp/\ufffd\ufffdx\ufffd"
    assert raw == encode_raw(b"/tmp/\xe2\x82x\xff")


@pytest.mark.parametrize(
    "data",
    [
        b"\xed\xa0\x80",  # a UTF-8-encoded surrogate: invalid UTF-8, must not yield a surrogate
        b"\xc0\xaf",  # overlong "/"
        b"\xf4\x90\x80\x80",  # above U+10FFFF
        b"\x80",
        b"ok\xffok",
    ],
)
def test_invalid_sequences_give_json_safe_text(data: bytes) -> None:
    text, raw = decode_text(data)
    assert raw is not None
    assert raw_bytes(raw) == data
    text.encode("utf-8")  # no lone surrogates
    assert orjson.loads(orjson.dumps(text)) == text
    invalid = len(data) - sum(len(ch.encode()) for ch in text if ch != "\ufffd")
    assert text.count("\ufffd") == invalid


def test_schema_example_raw_value() -> None:
    # docs/event-schema.md's example is /tmp/ followed by 0xff (its "L3RtcC/_" has a "/",
    # which URL-safe base64 never produces; the URL-safe encoding is "L3RtcC__").
    text, raw = decode_text(b"/tmp/\xff")
    assert text == "/tmp/\ufffd"
    assert raw == "L3RtcC__"
    assert "=" not in raw and "+" not in raw and "/" not in raw


def test_encode_raw_is_unpadded_urlsafe_and_round_trips() -> None:
    rng = random.Random(7)
    for size in range(0, 40):
        data = rng.randbytes(size)
        encoded = encode_raw(data)
        assert "=" not in encoded
        assert set(encoded) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )
        assert raw_bytes(encoded) == data


def test_raw_bytes_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        raw_bytes("not base64!")
    with pytest.raises(ValueError):
        raw_bytes("a")


def test_random_bytes_always_decode_to_json_text() -> None:
    rng = random.Random(99)
    for _ in range(3000):
        data = rng.randbytes(rng.randrange(0, 64))
        text, raw = decode_text(data)
        orjson.dumps(text)
        if raw is None:
            assert text.encode("utf-8") == data
        else:
            assert raw_bytes(raw) == data


def test_real_non_utf8_file_name(tmp_path: Path) -> None:
    name = b"evil\xff\xfe.sh"
    with open(os.path.join(bytes(tmp_path), name), "wb"):
        pass
    (listed,) = os.listdir(bytes(tmp_path))
    raw: dict[str, str] = {}
    assert decode_field(listed, "event.params.pathname", raw) == "evil\ufffd\ufffd.sh"
    assert raw_bytes(raw["event.params.pathname"]) == name


def test_decode_field_records_only_invalid() -> None:
    raw: dict[str, str] = {}
    assert decode_field(b"/etc/passwd", "event.path", raw) == "/etc/passwd"
    assert decode_field("/tmp/é".encode(), "event.paths.newname", raw) == "/tmp/é"
    assert raw == {}
    decode_field(b"\xff", "process.exe", raw)
    assert raw == {"process.exe": encode_raw(b"\xff")}


def test_decode_fields_uses_the_element_index() -> None:
    raw: dict[str, str] = {}
    argv = [b"-c", "é".encode(), b"x\x80y", b"ok"]
    assert decode_fields(argv, "process.args", raw) == ["-c", "é", "x\ufffdy", "ok"]
    assert raw == {"process.args.2": encode_raw(b"x\x80y")}


# --- terminal ------------------------------------------------------------------------------------

BIDI_CONTROLS = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]


def test_every_explicit_bidi_formatting_character_is_escaped() -> None:
    # Every code point of Unicode's explicit embedding/override/isolate classes, found by scanning
    # the whole Unicode database, must be in the escaped set.
    explicit = {"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"}
    found = {cp for cp in range(0x110000) if unicodedata.bidirectional(chr(cp)) in explicit}
    assert found
    assert found <= set(BIDI_CONTROLS)
    assert all(unicodedata.category(chr(cp)) == "Cf" for cp in BIDI_CONTROLS)


@pytest.mark.parametrize("code", [*range(0x20), 0x7F, *range(0x80, 0xA0), *BIDI_CONTROLS])
def test_control_characters_are_escaped(code: int) -> None:
    escaped = escape_for_terminal(f"a{chr(code)}b")
    assert chr(code) not in escaped
    assert escaped.startswith("a") and escaped.endswith("b")
    assert escaped.isprintable()


def test_escape_forms() -> None:
    assert escape_for_terminal("\x1b[2J\x1b]0;pwned\x07") == "\\x1b[2J\\x1b]0;pwned\\x07"
    assert escape_for_terminal("a\tb\nc\rd") == "a\\tb\\nc\\rd"
    assert escape_for_terminal("\x9b31m") == "\\x9b31m"
    assert escape_for_terminal("evil\u202egpj.exe") == "evil\\u202egpj.exe"
    assert escape_for_terminal("\u2066x\u2069") == "\\u2066x\\u2069"


@pytest.mark.parametrize(
    "text",
    ["", "plain /usr/bin/nano", "café 中文 😀", "back\\slash", "\ufffd\ufffd", "a b  c", "ÿ¡"],
)
def test_printable_text_is_unchanged(text: str) -> None:
    assert escape_for_terminal(text) == text


def test_no_dangerous_character_survives_any_string() -> None:
    dangerous = {*range(0x20), 0x7F, *range(0x80, 0xA0), *BIDI_CONTROLS}
    rng = random.Random(5)
    pool = [chr(c) for c in dangerous] + list("abc/é中😀\\")
    for _ in range(2000):
        text = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 30)))
        escaped = escape_for_terminal(text)
        assert not any(ord(ch) in dangerous for ch in escaped)
