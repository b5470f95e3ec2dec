"""Field projection: send OPA only the document fields the loaded policies can read.

OPA's input parsing, not rule evaluation, bounds the throughput of the REST data API for large
documents (a real captured document is ~6.5 KB: ``process.env``, ``cap_effective``, cgroup
lines, ancestors' command lines...). The policies read a small part of it, so
:func:`derive_plan` parses every non-test Rego file OPA loads (``opa parse --format json``) and
follows, through the rules and the functions they call, every value that may be an event
document or a part of one:

* a document comes from ``input.events[i]``, ``some doc in input.events`` or a function
  parameter some call site passes a document (part) to (fixpoint over the call graph);
* ``doc.process.parent.name`` and ``object.get(doc.process, ["parent", "name"], d)`` (string or
  array literal path) read that path; a non-string index (``ancestors[n - 2]``, ``params[k]``)
  or an iteration (``some a in doc.process.ancestors``) reads *every element* (``*``);
* a part used as a whole value — compared, passed to a builtin, put in an array, returned from a
  function, the head of a rule — is kept whole, as is any path referenced as ``x.event...`` /
  ``x.process...`` by a value the analysis could not follow (the cheap safety net);
* ``object.get(doc, <computed path>, d)`` cannot be resolved statically: it keeps the whole
  value, except in package ``bpfopa.lib.exceptions``, whose computed paths are the dotted field
  names of the user's exception data (``exception_paths``) and which the client refreshes.

Reads are also scoped by syscall: main.rego evaluates a rule package only over the documents
of the syscalls it declares (``custom.syscalls``, through ``lib/events.by_syscall``). A package
that provably reads no other document (:func:`scoped_syscalls`) contributes its reads only to
the projection of those syscalls' documents, so e.g. ``process.env``, read by two exec/connect
rules, is not sent with every open. What main.rego and lib/ read for every document (the
syscall index's ``event.name``, the exception fields) is kept for all.

``with`` modifiers are not followed: the rule packages' ``alerts := ... with input as
{"events": [input]}`` helpers serve rule tests and ``opa eval -I``; the batch entrypoint
``data.bpfopa.main.alerts`` never evaluates them. Test files (``*_test.rego``,
``lib/testing.rego``) are excluded.

A :class:`Projection` is a tree of keys (``*`` = every element or value); a node marked
``whole`` keeps its value as is; a node without children keeps only the key's presence (an
empty object, or the scalar itself). Anything that is not the expected shape is kept whole.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpfopa.policy._binary import find_opa
from bpfopa.policy._projection_analysis import (
    DOCUMENT_KEYS,
    MAX_DEPTH,
    KeepSite,
    ReadAnalysis,
)
from bpfopa.policy._projection_scope import load_module
from bpfopa.policy._projection_tree import PathTree, Projection
from bpfopa.policy._rego_parse import parse_module, policy_files

__all__ = [
    "DOCUMENT_KEYS",
    "KeepSite",
    "Projection",
    "ProjectionPlan",
    "derive_plan",
    "exception_field_paths",
    "policy_files",
]


@dataclass(slots=True)
class ProjectionPlan:
    """What the policies read, before the exception data resolves the computed paths."""

    #: scope -> what it reads; "" = every document, else a rule package (see ``scopes``).
    trees: dict[str, PathTree]
    #: rule package -> the syscalls whose documents are the only ones it reads.
    scopes: dict[str, frozenset[str]]
    #: rule packages (data.bpfopa.rules.*) not in ``scopes``: they may read any document.
    unscoped_rules: list[str]
    keep_sites: list[KeepSite]
    exception_lookups: list[KeepSite]
    files: list[Path]

    @property
    def keeps_everything(self) -> bool:
        return self.trees[""].whole

    def projection(self, exception_paths: Iterable[Sequence[str]] = ()) -> Projection:
        """The projection once ``exception_paths`` (dotted field names, split) are known."""
        common = self.trees[""].copy()
        if self.exception_lookups:
            for path in exception_paths:
                common.add(list(path)[:MAX_DEPTH], whole=True)
        by_name: dict[str, PathTree] = {}
        for scope, names in self.scopes.items():
            tree = self.trees.get(scope)
            for name in names:
                base = by_name.get(name, common)
                by_name[name] = base.merged(tree) if tree is not None else base
        return Projection(common, by_name)


def exception_field_paths(exceptions: Any) -> set[tuple[str, ...]]:
    """Dotted field names of ``data.bpfopa.exceptions``-shaped data, split at dots."""
    found: set[tuple[str, ...]] = set()
    if not isinstance(exceptions, Mapping):
        return found
    entries: list[Any] = []
    global_ = exceptions.get("global")
    if isinstance(global_, list):
        entries.extend(global_)
    rules = exceptions.get("rules")
    if isinstance(rules, Mapping):
        for value in rules.values():
            if isinstance(value, list):
                entries.extend(value)
    for entry in entries:
        if isinstance(entry, Mapping):
            found.update(exception_field_path(str(name)) for name in entry)
    return found


def exception_field_path(field: str) -> tuple[str, ...]:
    """``a.b`` -> (a, b); ``a.labels[x.y/z]`` -> (a, labels, x.y/z): as lib/exceptions.rego's
    ``field_path`` reads it (a field it cannot read keeps the malformed path, which matches
    nothing)."""
    bracket = field.find("[")
    if field.endswith("]") and bracket > 0:
        return (*field[:bracket].split("."), field[bracket + 1 : -1])
    return tuple(field.split("."))


def derive_plan(dirs: Collection[Path], *, binary: Path | None = None) -> ProjectionPlan:
    """Analyse the non-test Rego files under ``dirs`` (what OPA loads)."""
    files = policy_files(dirs)
    opa = binary or find_opa()
    # One `opa parse` process per file: run them side by side (startup dominates).
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        parsed = list(pool.map(lambda f: parse_module(opa, f), files))
    modules = [load_module(raw, f) for raw, f in zip(parsed, files, strict=True)]
    analysis = ReadAnalysis(modules)
    analysis.run()
    scopes: dict[str, frozenset[str]] = {}
    for module in modules:
        if module.scope:
            scopes[module.scope] = scopes.get(module.scope, frozenset()) | module.syscalls
    unscoped = {
        ".".join(module.package)
        for module in modules
        if module.package[:2] == ("bpfopa", "rules") and not module.scope
    }
    return ProjectionPlan(
        trees=analysis.trees,
        scopes=scopes,
        unscoped_rules=sorted(unscoped),
        keep_sites=sorted(analysis.keep_sites.values(), key=lambda s: (s.path, s.file, s.row)),
        exception_lookups=list(analysis.exception_lookups.values()),
        files=files,
    )
