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

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from bpfopa.errors import PolicyEngineError
from bpfopa.policy._prefilter_data import PREFILTER_DATA_PATHS, PrefilterData, compile_go_regex

__all__ = [
    "PREFILTER_DATA_PATHS",
    "Prefilter",
    "PrefilterData",
    "compile_go_regex",
    "load_prefilter",
]


class DataReader(Protocol):
    """What :func:`load_prefilter` needs of the OPA client."""

    async def get_data(self, path: str) -> Any: ...


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
