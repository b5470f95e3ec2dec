"""The policies' shared prefilter, run in Python so that documents no rule can flag never leave.

``data.bpfopa.lib.events.by_syscall`` (policies/lib/events.rego) hands each rule only the
documents of its syscalls, and drops first the opens, execs and connects that no rule can flag
(most of them: library loads, ``ls``, TCP connects by host programs). :class:`Prefilter` makes
the same decision before a document is projected, serialized and sent, and also drops
documents whose syscall no rule declares (``data.bpfopa.main.syscalls``): OPA would parse them
and no rule would ever look.

Only the *shape* of the tests is copied here (which field, which builtin, how they combine);
every constant — the path regexes, the syscall names, the process-name and user sets, the
literals — is read from the running OPA (:func:`load_prefilter`). tests/opa/test_prefilter.py
compares this copy with OPA's ``by_syscall`` on a corpus of ordinary, near-miss and hostile
documents, so that a change to either side alone fails the tests.

The copy may only ever be *more* generous than the policy: whenever a document has an
unexpected shape or a value of a type a test does not expect (a non-string path, a float flag,
a missing ``ret``), it is kept and OPA decides.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bpfopa.errors import PolicyEngineError

__all__ = [
    "PREFILTER_DATA_PATHS",
    "Prefilter",
    "PrefilterData",
    "compile_go_regex",
    "load_prefilter",
]

log = logging.getLogger(__name__)

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


class DataReader(Protocol):
    """What :func:`load_prefilter` needs of the OPA client."""

    async def get_data(self, path: str) -> Any: ...


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


class _Unexpected(Exception):
    """A value of a type the policy's test does not take: keep the document."""


def _text(fields: Mapping[str, Any], key: str) -> str | None:
    """A string field; None when absent (the Rego test is then undefined: false). Any other
    type, null included, makes OPA's string builtins err: keep the document."""
    if key not in fields:
        return None
    value = fields[key]
    if not isinstance(value, str):
        raise _Unexpected
    return value


def _mode(fields: Mapping[str, Any]) -> int | None:
    """The access mode bits of ``fields["flags"]`` (None when absent)."""
    if "flags" not in fields:
        return None
    value = fields["flags"]
    if type(value) is not int:  # bool, float, str, null: bits.and would not take it as is
        raise _Unexpected
    return value & 3


def _bits(fields: Mapping[str, Any], key: str) -> int | None:
    """An integer field for ``bits.and`` (None when absent; any other type: keep)."""
    if key not in fields:
        return None
    value = fields[key]
    if type(value) is not int:
        raise _Unexpected
    return value


def _named(process: Mapping[str, Any], names: frozenset[str]) -> bool:
    """``process.name in names`` as Rego decides it (a non-string is just not a member)."""
    name = process.get("name")
    return isinstance(name, str) and name in names


def _number(value: Any) -> bool:
    """A JSON number (Rego compares 1 and 1.0 equal; a bool is not a number)."""
    return type(value) in (int, float)


def _mapping(fields: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = fields.get(key, {})
    if not isinstance(value, Mapping):
        raise _Unexpected
    return value


class Prefilter:
    """Decides, per document, whether OPA could raise any alert for it.

    The tests mirror ``_open_candidates``, ``_exec_candidates`` and ``_connect_candidates`` in
    policies/lib/events.rego (same fields, same combination; constants from OPA);
    tests/opa/test_prefilter.py keeps them equal to the Rego.
    """

    __slots__ = ("data",)

    def __init__(self, data: PrefilterData) -> None:
        self.data = data

    def keep(self, doc: Any) -> bool:
        """False only when no rule can flag ``doc``: its syscall is declared by no rule (enabled
        or not), or it is an open/exec the shared prefilter drops."""
        name = _syscall_name(doc)
        if name is None:
            return True
        if name not in self.data.declared_syscalls:
            return False
        return self._candidate(doc, name)

    def candidate(self, doc: Any) -> bool:
        """What ``by_syscall`` decides: ``doc``'s position is in by_syscall[its name] (or the
        document has a shape the copy does not judge)."""
        name = _syscall_name(doc)
        return True if name is None else self._candidate(doc, name)

    def split(self, docs: Sequence[Any]) -> tuple[list[Any], int]:
        """The documents to send, in order, and how many were left out."""
        keep = self.keep
        kept = [doc for doc in docs if keep(doc)]
        return kept, len(docs) - len(kept)

    def _candidate(self, doc: Any, name: str) -> bool:
        data = self.data
        try:
            if name in data.open_syscalls:
                # No process: its tests are undefined in Rego, i.e. false.
                return self._open(doc["event"], doc.get("process", {}))
            if name in data.exec_syscalls:
                return self._exec(doc["event"], doc["process"])
            if name in data.connect_syscalls:
                return self._connect(doc["event"], doc["process"])
        except (_Unexpected, TypeError, KeyError, AttributeError):
            return True
        return True

    # One `return True` per set of the Rego union, in the same order.
    def _open(self, event: Mapping[str, Any], process: Mapping[str, Any]) -> bool:
        data = self.data
        params = _mapping(event, "params")
        path = _text(event, "path")
        if path is not None and data.open_any_mode_paths.search(path):
            return True
        if (
            path is not None
            and data.open_written_paths.search(path)
            and (_mode(params) in (1, 2) or _mode(_mapping(params, "how")) in (1, 2))
        ):
            return True
        for key in ("filename", "pathname"):
            raw = _text(params, key)
            if raw is not None and data.raw_path_traversal in raw:
                return True
        if not isinstance(process, Mapping):
            raise _Unexpected
        if isinstance(process.get("container"), Mapping):
            for fields in (params, _mapping(params, "how")):
                mode = _bits(fields, "mode")
                if mode is not None and mode & data.open_exec_mode_bits:
                    return True
        return _named(process, data.open_process_names)

    def _exec(self, event: Mapping[str, Any], process: Mapping[str, Any]) -> bool:
        data = self.data
        ret = event["ret"]
        if type(ret) not in (int, float):  # Rego orders values across types: keep
            raise _Unexpected
        if ret < 0:
            return False
        if not isinstance(process, Mapping):
            raise _Unexpected
        # Set membership is defined for any value in Rego: a non-string is just not a member.
        name, user = process.get("name"), process.get("user")
        if isinstance(name, str) and name in data.exec_process_names:
            return True
        if isinstance(user, str) and user in data.system_users:
            return True
        exe = _text(process, "exe")
        if exe is not None and data.exec_exe_paths.search(exe):
            return True
        cwd = _text(process, "cwd")
        if cwd is not None and cwd.startswith(data.exec_cwd_prefix):
            return True
        cmdline = _text(process, "cmdline")
        if cmdline is not None and any(m in cmdline for m in data.exec_cmdline_markers):
            return True
        if process.get("exe_upper_layer") is True:
            return True
        parent = process.get("parent")
        if isinstance(parent, Mapping) and _named(parent, data.exec_ancestor_names):
            return True
        ancestors = process.get("ancestors")
        if isinstance(ancestors, Mapping):  # `some a in obj` iterates the values
            ancestors = list(ancestors.values())
        if isinstance(ancestors, list) and any(
            isinstance(a, Mapping) and _named(a, data.exec_ancestor_names) for a in ancestors
        ):
            return True
        if self._env_marked(process):
            return True
        vpid = process.get("vpid")
        return _number(vpid) and vpid == data.exec_container_init_vpid

    def _env_marked(self, process: Mapping[str, Any]) -> bool:
        """Some environment entry contains the marker, case-insensitively (upper() on both
        sides; Python's upper() maps at least what Go's ToUpper maps)."""
        if "env" not in process:
            return False
        env = process["env"]
        entries = env.values() if isinstance(env, Mapping) else env
        if not isinstance(entries, list) and not isinstance(env, Mapping):
            raise _Unexpected
        marker = self.data.exec_env_marker
        for entry in entries:
            if not isinstance(entry, str):
                raise _Unexpected
            if marker in entry.upper():
                return True
        return False

    def _connect(self, event: Mapping[str, Any], process: Mapping[str, Any]) -> bool:
        data = self.data
        if not isinstance(process, Mapping):
            raise _Unexpected
        name = process.get("name")
        if isinstance(name, str) and name in data.connect_process_names:
            return True
        # A reference into a non-object is undefined in Rego (not an error): exact.
        fd = event.get("fd")
        if isinstance(fd, Mapping) and fd.get("proto") == data.connect_udp_proto:
            return True
        if isinstance(process.get("container"), Mapping):
            return True
        params = event.get("params")
        if isinstance(params, Mapping):
            for key in data.connect_sockaddr_params:
                sockaddr = params.get(key)
                if isinstance(sockaddr, Mapping) and isinstance(sockaddr.get("name"), str):
                    return True
        exe = _text(process, "exe")
        return exe is not None and exe.endswith(data.connect_exe_suffix)


def _syscall_name(doc: Any) -> str | None:
    try:
        name = doc["event"]["name"]
    except (TypeError, KeyError, IndexError):
        return None
    return name if isinstance(name, str) else None


async def load_prefilter(client: DataReader) -> Prefilter:
    """Read the constants from OPA; raises :class:`PolicyEngineError` if they are unusable
    (transport errors as the client raises them, e.g. :class:`OpaUnavailableError`)."""
    values = {key: await client.get_data(path) for key, path in PREFILTER_DATA_PATHS.items()}
    try:
        data = PrefilterData.from_opa(values["events"], values["system_users"], values["syscalls"])
    except ValueError as exc:
        raise PolicyEngineError(f"policy prefilter unusable: {exc}") from exc
    return Prefilter(data)
