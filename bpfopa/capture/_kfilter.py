"""The kernel filter: the policies' open prefilter as tables the probes test before writing.

``data.bpfopa.kernel_filter.syscalls`` (policies/kernel_filter.rego) gives, per syscall, either
``"filter": "none"`` or the literals of ``lib/events.by_syscall``'s open prefilter: path
``prefixes``, ``basenames``, ``substrings`` and ``suffixes``, for any open (``any_mode``) and for
opens whose access mode is a write (``written``). :func:`compile_filter` turns them into what
probes/filter.bpf.c reads:

* an LPM trie of prefixes (:data:`PREFIX_LIMIT` bytes at most), each valued with the intents
  (:data:`ANY`, :data:`WRITTEN`) of itself and of every shorter prefix of the set, because the
  trie answers with the longest match only;
* two gram tables over every position of the path: the first two bytes of each needle of 2-3
  bytes (exact, indexed by the pair), and a hash of the first four bytes of each longer needle.
  A basename ``name`` is the needle ``/name`` and a suffix is a needle: a path that contains a
  needle contains its first gram, so the tables can only keep too much, never too little.

:meth:`CompiledFilter.keeps` is the kernel's decision in Python, on the same tables:
tests/kernel/test_kernel_filter.py checks that the probes agree with it on real opens, and the
soundness tests run it over documents. The probes keep, whatever the literals, a path they
cannot judge from its bytes: unreadable or truncated, relative (the capture resolves it against
a cwd or directory fd the probe does not know), longer than :data:`SCAN_LIMIT`, or not in the
lexically normal form the capture turns it into (``//``, ``/.``, a final ``/``); and opens with
O_DIRECTORY or O_PATH, whose fds later ``*at`` calls resolve paths against.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from bpfopa.decode import open_flag_names
from bpfopa.errors import PolicyEngineError

__all__ = [
    "ANY",
    "PREFIX_LIMIT",
    "SCAN_LIMIT",
    "WRITTEN",
    "CompiledFilter",
    "KernelFilter",
    "PathSpec",
    "compile_filter",
    "gram4_index",
    "open_pass_flags",
]

log = logging.getLogger(__name__)

#: Intent bits of a table entry: the path matters for any open, or only for a write.
ANY: Final = 1
WRITTEN: Final = 2
#: Longest prefix the trie holds (probes/filter.bpf.c PREFIX_LIMIT).
PREFIX_LIMIT: Final = 128
#: Longest path the probe scans (probes/filter.bpf.c SCAN_LIMIT): longer paths are kept.
SCAN_LIMIT: Final = 256
GRAM_TABLE: Final = 65536
_ITEM_OK: Final = 0
_LITERAL_KINDS: Final = ("prefixes", "basenames", "substrings", "suffixes")
# Where the path and the flags are, by syscall: (path arg, flags arg, flags inside open_how).
_OPEN_ARGS: Final = {"open": (0, 1, False), "openat": (1, 2, False), "openat2": (1, 2, True)}


def gram4_index(gram: int) -> int:
    """The hash of a 4-byte gram (first byte most significant), as the probe computes it."""
    return ((gram * 2654435761) & 0xFFFFFFFF) >> 16


def open_pass_flags(arch: str) -> int:
    """O_DIRECTORY | O_PATH on ``arch``, from the decoder's flag table (their values differ
    between architectures)."""
    return sum(
        1 << bit
        for bit in range(32)
        if {"O_DIRECTORY", "O_PATH"} & set(open_flag_names(1 << bit, arch))
    )


@dataclass(frozen=True, slots=True)
class PathSpec:
    """Where an open syscall's path and flags are, and which access modes write."""

    path_arg: int
    flags_arg: int
    flags_in_how: bool
    write_modes: frozenset[int]


@dataclass(slots=True)
class CompiledFilter:
    """The tables the probes read, and the probes' decision over them."""

    #: syscall name -> its spec; syscalls not here are not filtered.
    specs: dict[str, PathSpec] = field(default_factory=dict)
    #: prefix -> intents (its own and every shorter prefix's).
    prefixes: dict[bytes, int] = field(default_factory=dict)
    two: bytearray = field(default_factory=lambda: bytearray(GRAM_TABLE))
    four: bytearray = field(default_factory=lambda: bytearray(GRAM_TABLE))
    #: Open flags that always keep the record (O_DIRECTORY | O_PATH for the architecture).
    pass_flags: int = 0

    def keeps(self, name: str, path: bytes | None, flags: int, status: int = _ITEM_OK) -> bool:
        """Whether the probe writes the record of syscall ``name`` with this path argument (the
        bytes the program passed, None when unreadable) and open flags."""
        spec = self.specs.get(name)
        if spec is None:
            return True
        if path is None or status != _ITEM_OK or not path or path[0] != 0x2F:
            return True
        if len(path) >= SCAN_LIMIT or flags & self.pass_flags or path[-1] == 0x2F:
            return True
        intent = 0
        gram = 0
        for i in range(1, len(path)):
            before, byte = path[i - 1], path[i]
            if before == 0x2F and byte in (0x2F, 0x2E):
                intent |= ANY
            gram = ((gram << 8) | before) & 0xFFFFFFFF
            intent |= self.two[(before << 8) | byte]
            intent |= self.four[gram4_index(((gram << 8) | byte) & 0xFFFFFFFF)]
        intent |= self._longest_prefix(path)
        if intent & ANY:
            return True
        return bool(intent & WRITTEN) and (flags & 3) in spec.write_modes

    def keeps_document(self, doc: Any) -> bool:
        """:meth:`keeps` for the record a document was decoded from: the path argument as the
        program passed it (``params.filename``, else ``event.path``) and the
        flags (``params.flags``, ``params.how.flags``; 0 when absent). A document whose path
        is not a string is kept (the kernel judges only bytes it read)."""
        try:
            event = doc["event"]
            name = event["name"]
            params = event.get("params") or {}
        except (TypeError, KeyError, AttributeError):
            return True
        if not isinstance(name, str) or name not in self.specs or not isinstance(params, Mapping):
            return True
        raws = [params[k] for k in ("filename", "pathname") if k in params] or [event.get("path")]
        flags = params.get("flags")
        if not isinstance(flags, int):
            how = params.get("how")
            flags = how.get("flags") if isinstance(how, Mapping) else 0
        if not isinstance(flags, int) or isinstance(flags, bool):
            return True
        # The capture names an open's one path argument "filename"; a document that names
        # more is kept when any of them would be.
        return any(
            not isinstance(raw, str)
            or self.keeps(name, raw.encode("utf-8", "surrogateescape"), flags)
            for raw in raws
        )

    def _longest_prefix(self, path: bytes) -> int:
        key = path[:PREFIX_LIMIT]
        for end in range(len(key), 0, -1):
            found = self.prefixes.get(key[:end])
            if found is not None:
                return found
        return 0


@dataclass(frozen=True, slots=True)
class KernelFilter:
    """What the probes filter, and why the syscalls that are not filtered are not."""

    compiled: CompiledFilter
    #: syscall name -> why the path filter the policies give for it is not loaded (for the log
    #: and the run summary); syscalls the policies give no filter for are not listed.
    off: dict[str, str]

    @property
    def filtered(self) -> frozenset[str]:
        return frozenset(self.compiled.specs)


def _literals(value: Any, what: str) -> dict[str, frozenset[str]]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} is not an object")
    out: dict[str, frozenset[str]] = {}
    for kind in _LITERAL_KINDS:
        items = value.get(kind, [])
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise ValueError(f"{what}.{kind} is not a set of strings")
        out[kind] = frozenset(items)
    return out


def _needles(literals: Mapping[str, frozenset[str]]) -> set[bytes]:
    needles = {s.encode() for s in literals["substrings"] | literals["suffixes"]}
    return needles | {b"/" + s.encode() for s in literals["basenames"]}


def _add_needle(compiled: CompiledFilter, needle: bytes, intent: int, what: str) -> None:
    if len(needle) < 2:
        raise ValueError(f"{what}: {needle!r} is shorter than the 2 bytes the probe can look for")
    if len(needle) < 4:
        compiled.two[(needle[0] << 8) | needle[1]] |= intent
    else:
        compiled.four[gram4_index(int.from_bytes(needle[:4], "big"))] |= intent


def _compile_spec(compiled: CompiledFilter, name: str, spec: Mapping[str, Any]) -> PathSpec:
    if name not in _OPEN_ARGS:
        raise ValueError(f"a path filter for {name}, which is not an open syscall")
    modes = spec.get("write_access_modes")
    if not isinstance(modes, list) or not all(isinstance(m, int) and 0 <= m <= 3 for m in modes):
        raise ValueError("write_access_modes is not a set of access modes (0-3)")
    for key, intent in (("any_mode", ANY), ("written", WRITTEN)):
        literals = _literals(spec.get(key), key)
        for prefix in literals["prefixes"]:
            raw = prefix.encode()
            if not raw or len(raw) > PREFIX_LIMIT:
                raise ValueError(f"{key}: prefix {prefix!r} is empty or over {PREFIX_LIMIT} bytes")
            compiled.prefixes[raw] = compiled.prefixes.get(raw, 0) | intent
        for needle in _needles(literals):
            _add_needle(compiled, needle, intent, key)
    path_arg, flags_arg, in_how = _OPEN_ARGS[name]
    return PathSpec(path_arg, flags_arg, in_how, frozenset(modes))


def _close_prefixes(prefixes: dict[bytes, int]) -> None:
    """Give each prefix the intents of the shorter prefixes of the set it extends."""
    for prefix in sorted(prefixes, key=len):
        for end in range(1, len(prefix)):
            prefixes[prefix] |= prefixes.get(prefix[:end], 0)


def compile_filter(
    document: Any,
    *,
    pass_flags: int,
    unscoped_rules: Collection[str] | None,
    available: Collection[str] | None = None,
) -> KernelFilter:
    """The filter for ``data.bpfopa.kernel_filter.syscalls``.

    ``unscoped_rules``: the rule ids whose packages may read documents outside
    lib/events.by_syscall (None: unknown, so every syscall is unfiltered); a syscall one of them
    declares is not filtered. ``available``: the syscalls the kernel filter may apply to (None:
    all). A syscall whose spec the probes cannot express is not filtered either; each such
    decision is logged once with the rule and the reason. Raises :class:`PolicyEngineError` when
    the document is not a kernel filter at all.
    """
    if not isinstance(document, Mapping):
        raise PolicyEngineError(
            "data.bpfopa.kernel_filter.syscalls is undefined: the policies give no kernel filter"
        )
    compiled = CompiledFilter(pass_flags=pass_flags)
    off: dict[str, str] = {}
    for name in sorted(document):
        spec = document[name]
        if not isinstance(spec, Mapping):
            raise PolicyEngineError(f"kernel filter for {name} is not an object")
        rules = [str(r) for r in spec.get("rules", []) if isinstance(r, str)]
        if spec.get("filter") != "path":
            if name in _OPEN_ARGS:  # a syscall the probes can filter, turned off by the policies
                off[name] = str(spec.get("reason", "the policies give no filter"))
                log.warning("kernel filter off for %s: %s", name, off[name])
            continue
        unscoped = rules if unscoped_rules is None else sorted(set(rules) & set(unscoped_rules))
        if unscoped_rules is None:
            off[name] = "cannot check that every rule reads documents through lib/events.by_syscall"
        elif unscoped:
            off[name] = (
                f"rule {', '.join(unscoped)} reads documents outside lib/events.by_syscall, "
                "so it may flag any of them"
            )
        elif available is not None and name not in available:
            continue
        else:
            try:
                compiled.specs[name] = _compile_spec(compiled, name, spec)
            except ValueError as exc:
                off[name] = f"the probes cannot express it ({exc}); rules: {', '.join(rules)}"
        if name in off:
            log.warning("kernel filter off for %s: %s", name, off[name])
    if not compiled.specs:
        compiled.prefixes.clear()
    _close_prefixes(compiled.prefixes)
    return KernelFilter(compiled, off)
