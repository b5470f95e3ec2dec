"""The prefilter's constants: read from the running OPA's data (never copied into Python),
type-checked, and the Go RE2 path patterns compiled for Python's ``re``.

Apart from the prefilter's decision (``_prefilter``) so that each side reads alone: this one is
about what OPA holds and whether it is usable, that one about the shape of the rules' tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PREFILTER_DATA_PATHS", "PrefilterData", "compile_go_regex"]

#: Where the constants live in OPA's data API (``GET /v1/data/<path>``).
PREFILTER_DATA_PATHS = {
    "events": "bpfopa/lib/events",
    "system_users": "bpfopa/lib/lists/system_users",
    "syscalls": "bpfopa/main/syscalls",
}

# Go RE2 syntax this translation does not carry over to Python's `re` (POSIX classes, Unicode
# classes, \z, flag groups such as (?m) that change what `$` means): such a pattern switches
# the prefilter off rather than being matched differently.
_UNSUPPORTED_RE2 = re.compile(r"\[:|\\[pPzCQE]|\(\?[a-zA-Z]")


def compile_go_regex(pattern: str) -> re.Pattern[str]:
    """Compile an RE2 pattern (as OPA's ``regex.match`` uses it) for ``re.search``.

    Outside a character class Go's ``$`` matches only at the end of the text, Python's also
    before a final newline: it becomes ``\\Z``. Raises ``ValueError`` for syntax whose meaning
    would differ (see ``_UNSUPPORTED_RE2``) and ``re.error`` for what Python cannot compile.
    """
    if _UNSUPPORTED_RE2.search(pattern):
        raise ValueError(f"RE2 syntax without a Python equivalent in {pattern!r}")
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
            # A "]" right after "[" or "[^" is a literal member, not the end of the class.
            end = i + 1 + (pattern[i + 1 : i + 2] == "^")
            if pattern[end : end + 1] == "]":
                out.append(pattern[i : end + 1])
                i = end + 1
                continue
        elif char == "$":
            out.append(r"\Z")
            i += 1
            continue
        out.append(char)
        i += 1
    # ASCII: Go's \d \w \s \b are ASCII-only.
    return re.compile("".join(out), re.ASCII)


def _string_set(value: Any, what: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} is not a set of strings: {value!r:.200}")
    return frozenset(value)


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} is not a string: {value!r:.200}")
    return value


def _integer(value: Any, what: str) -> int:
    if type(value) is not int:
        raise ValueError(f"{what} is not an integer: {value!r:.200}")
    return value


def _regex(value: Any, what: str) -> re.Pattern[str]:
    try:
        return compile_go_regex(_string(value, what))
    except re.error as exc:
        raise ValueError(f"{what} does not compile in Python ({exc}): {value!r:.200}") from exc


@dataclass(frozen=True, slots=True)
class PrefilterData:
    """The policy's constants, checked and compiled (see policies/lib/events.rego)."""

    #: data.bpfopa.main.syscalls: every syscall some rule declares.
    declared_syscalls: frozenset[str]
    open_syscalls: frozenset[str]
    exec_syscalls: frozenset[str]
    open_any_mode_paths: re.Pattern[str]
    open_written_paths: re.Pattern[str]
    raw_path_traversal: str
    open_exec_mode_bits: int
    open_process_names: frozenset[str]
    exec_process_names: frozenset[str]
    exec_ancestor_names: frozenset[str]
    system_users: frozenset[str]
    exec_exe_paths: re.Pattern[str]
    exec_cwd_prefix: str
    exec_cmdline_markers: frozenset[str]
    exec_env_marker: str
    exec_container_init_vpid: int
    connect_syscalls: frozenset[str]
    connect_process_names: frozenset[str]
    connect_udp_proto: str
    connect_sockaddr_params: tuple[str, ...]
    connect_exe_suffix: str

    @classmethod
    def from_opa(cls, events: Any, system_users: Any, syscalls: Any) -> PrefilterData:
        """From the results of :data:`PREFILTER_DATA_PATHS`; ``ValueError`` if any is off."""
        if not isinstance(events, Mapping):
            raise ValueError("data.bpfopa.lib.events is undefined (no shared prefilter)")

        def field(name: str) -> Any:
            if name not in events:
                raise ValueError(f"data.bpfopa.lib.events.{name} is undefined")
            return events[name]

        return cls(
            declared_syscalls=_string_set(syscalls, "data.bpfopa.main.syscalls"),
            open_syscalls=_string_set(field("open_syscalls"), "open_syscalls"),
            exec_syscalls=_string_set(field("exec_syscalls"), "exec_syscalls"),
            open_any_mode_paths=_regex(field("open_any_mode_paths"), "open_any_mode_paths"),
            open_written_paths=_regex(field("open_written_paths"), "open_written_paths"),
            raw_path_traversal=_string(field("raw_path_traversal"), "raw_path_traversal"),
            open_exec_mode_bits=_integer(field("open_exec_mode_bits"), "open_exec_mode_bits"),
            open_process_names=_string_set(field("open_process_names"), "open_process_names"),
            exec_process_names=_string_set(field("exec_process_names"), "exec_process_names"),
            exec_ancestor_names=_string_set(field("exec_ancestor_names"), "exec_ancestor_names"),
            system_users=_string_set(system_users, "data.bpfopa.lib.lists.system_users"),
            exec_exe_paths=_regex(field("exec_exe_paths"), "exec_exe_paths"),
            exec_cwd_prefix=_string(field("exec_cwd_prefix"), "exec_cwd_prefix"),
            exec_cmdline_markers=_string_set(field("exec_cmdline_markers"), "exec_cmdline_markers"),
            exec_env_marker=_string(field("exec_env_marker"), "exec_env_marker"),
            exec_container_init_vpid=_integer(
                field("exec_container_init_vpid"), "exec_container_init_vpid"
            ),
            connect_syscalls=_string_set(field("connect_syscalls"), "connect_syscalls"),
            connect_process_names=_string_set(
                field("connect_process_names"), "connect_process_names"
            ),
            connect_udp_proto=_string(field("connect_udp_proto"), "connect_udp_proto"),
            connect_sockaddr_params=tuple(
                sorted(_string_set(field("connect_sockaddr_params"), "connect_sockaddr_params"))
            ),
            connect_exe_suffix=_string(field("connect_exe_suffix"), "connect_exe_suffix"),
        )
