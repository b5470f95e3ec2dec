"""The kernel filter's compilation and decision (bpfopa/capture/_kfilter.py), as pure logic.

The decision is checked against the probes on real opens in tests/kernel/test_kernel_filter.py
and against the policies in tests/opa/test_kernel_filter.py; here: the table encoding, and that
every syscall the probes cannot filter soundly is left unfiltered, with a log line.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bpfopa.capture._kfilter import (
    ANY,
    SCAN_LIMIT,
    WRITTEN,
    compile_filter,
    gram4_index,
    open_pass_flags,
)
from bpfopa.errors import PolicyEngineError

O_DIRECTORY = 0o200000


def _literals(**kinds: list[str]) -> dict[str, list[str]]:
    return {k: kinds.get(k, []) for k in ("prefixes", "basenames", "substrings", "suffixes")}


def _document(**overrides: Any) -> dict[str, Any]:
    path_filter = {
        "filter": "path",
        "any_mode": _literals(prefixes=["/etc/shadow", "/dev/"], substrings=["/.", "history"]),
        "written": _literals(prefixes=["/usr/bin/"], basenames=["syslog"], suffixes=["agent"]),
        "write_access_modes": [1, 2],
        "rules": ["read_sensitive_file_untrusted", "write_below_binary_dir"],
    }
    path_filter.update(overrides)
    return {
        "openat": path_filter,
        "open": path_filter,
        "execve": {"filter": "none", "reason": "no path prefilter", "rules": ["run_shell"]},
    }


def _compiled(**overrides: Any) -> Any:
    return compile_filter(
        _document(**overrides), pass_flags=O_DIRECTORY, unscoped_rules=[]
    ).compiled


@pytest.mark.parametrize(
    ("path", "flags", "kept"),
    [
        (b"/etc/shadow", 0, True),
        (b"/etc/shadow-", 0, True),  # a prefix, as by_syscall's regex
        (b"/etc/shado", 0, False),
        (b"/etc/hosts", 2, False),
        (b"/usr/bin/ls", 0, False),
        (b"/usr/bin/ls", 1, True),
        (b"/usr/bin/ls", 2, True),
        (b"/usr/bin/ls", 3, False),  # O_ACCMODE is not a write for macros.open_write
        (b"/usr/binx", 1, False),
        (b"/srv/syslog", 1, True),
        (b"/srv/syslog", 0, False),
        (b"/sys/fs/cgroup/release_agent", 1, True),
        (b"/root/.bash_history", 0, True),
        (b"/tmp/zsh_history", 0, True),
        (b"/tmp/histor", 0, True),  # a needle's first gram: the tables keep too much
        (b"/tmp/hisx", 0, False),
        (b"relative/path", 0, True),  # resolved against a cwd the probe does not know
        (b"", 0, True),
        (b"/tmp//x", 0, True),  # not in normal form
        (b"/tmp/./x", 0, True),
        (b"/tmp/x/", 0, True),
        (b"/tmp", O_DIRECTORY, True),  # later *at calls resolve against it
        (b"/tmp/" + b"a" * SCAN_LIMIT, 0, True),
        (b"/tmp/" + b"a" * (SCAN_LIMIT - 6), 0, False),
    ],
)
def test_decision(path: bytes, flags: int, kept: bool) -> None:
    assert _compiled().keeps("openat", path, flags) is kept


def test_unreadable_paths_and_other_syscalls_are_kept() -> None:
    compiled = _compiled()
    assert compiled.keeps("openat", None, 0)
    assert compiled.keeps("openat", b"/etc/hosts", 0, status=2)
    assert compiled.keeps("execve", b"/etc/hosts", 0)
    assert not compiled.keeps("openat", b"/etc/hosts", 0)


def test_prefixes_carry_the_intents_of_shorter_prefixes() -> None:
    literals = _literals(prefixes=["/usr/"])
    compiled = _compiled(
        any_mode=_literals(prefixes=["/usr/"]),
        written=_literals(prefixes=["/usr/bin/"]),
    )
    assert compiled.prefixes[b"/usr/bin/"] == ANY | WRITTEN
    assert compiled.keeps("openat", b"/usr/bin/ls", 0)  # the longest match alone says WRITTEN
    assert literals["prefixes"] == ["/usr/"]


def test_gram_tables() -> None:
    compiled = _compiled()
    assert compiled.two[(ord("/") << 8) | ord(".")] == ANY
    assert compiled.four[gram4_index(int.from_bytes(b"hist", "big"))] & ANY
    assert compiled.four[gram4_index(int.from_bytes(b"/sys", "big"))] & WRITTEN  # /syslog


def test_document_decision_reads_the_raw_path_and_flags() -> None:
    compiled = _compiled()

    def doc(path: Any, **params: Any) -> dict[str, Any]:
        return {"event": {"name": "openat", "path": path, "params": params}}

    assert not compiled.keeps_document(doc("/etc/hosts", filename="/etc/hosts", flags=0))
    assert compiled.keeps_document(doc("/etc/passwd", filename="../etc/passwd", flags=0))
    assert compiled.keeps_document(doc("/usr/bin/x", filename="/usr/bin/x", flags=1))
    assert compiled.keeps_document(doc("/usr/bin/x", filename="/usr/bin/x", how={"flags": 1}))
    assert compiled.keeps_document(doc(None, filename=None, flags=0))
    assert compiled.keeps_document(doc("/etc/hosts", filename="/etc/hosts", flags=True))
    assert compiled.keeps_document({"event": {"name": "execve"}})
    assert compiled.keeps_document(None)


def test_a_rule_reading_outside_by_syscall_turns_its_syscalls_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    result = compile_filter(
        _document(), pass_flags=0, unscoped_rules=["write_below_binary_dir", "other"]
    )
    assert result.filtered == frozenset()
    assert "write_below_binary_dir" in result.off["openat"]
    lines = [r.getMessage() for r in caplog.records]
    assert any("openat" in m and "write_below_binary_dir" in m for m in lines), lines
    assert not any("execve" in m for m in lines)  # never filtered: nothing to announce


def test_unknown_rules_leave_everything_unfiltered(caplog: pytest.LogCaptureFixture) -> None:
    result = compile_filter(_document(), pass_flags=0, unscoped_rules=None)
    assert result.filtered == frozenset()
    assert "by_syscall" in result.off["open"]


@pytest.mark.parametrize(
    ("override", "why"),
    [
        ({"any_mode": _literals(substrings=["x"])}, "shorter than the 2 bytes"),
        ({"written": _literals(prefixes=["/" + "a" * 200])}, "over 128 bytes"),
        ({"written": _literals(prefixes=[""])}, "empty"),
        ({"write_access_modes": [7]}, "access modes"),
        ({"any_mode": {"prefixes": "/etc/"}}, "not a set of strings"),
        ({"any_mode": None}, "not an object"),
    ],
)
def test_what_the_probes_cannot_express_is_not_filtered(
    override: dict[str, Any], why: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    result = compile_filter(_document(**override), pass_flags=0, unscoped_rules=[])
    assert "openat" not in result.filtered
    assert why in result.off["openat"]
    assert "read_sensitive_file_untrusted" in result.off["openat"]
    assert any(why in r.getMessage() for r in caplog.records)


def test_a_path_filter_for_another_syscall_is_refused() -> None:
    result = compile_filter({"execve": _document()["openat"]}, pass_flags=0, unscoped_rules=[])
    assert "execve" not in compile_filter(_document(), pass_flags=0, unscoped_rules=[]).off
    assert result.filtered == frozenset()
    assert "not an open syscall" in result.off["execve"]


def test_an_open_syscall_the_policies_leave_unfiltered_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    document = _document()
    document["openat"] = {"filter": "none", "reason": "rule x is on", "rules": ["x"]}
    result = compile_filter(document, pass_flags=0, unscoped_rules=[])
    assert result.filtered == {"open"}
    assert result.off == {"openat": "rule x is on"}
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["kernel filter off for openat: rule x is on"]


@pytest.mark.parametrize("document", [None, [], "x", {"openat": 5}])
def test_no_filter_document(document: Any) -> None:
    with pytest.raises(PolicyEngineError):
        compile_filter(document, pass_flags=0, unscoped_rules=[])


def test_pass_flags_follow_the_architecture() -> None:
    assert open_pass_flags("x86_64") == 0o200000 | 0o10000000
    assert open_pass_flags("aarch64") == 0o40000 | 0o10000000
