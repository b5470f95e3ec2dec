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
that provably reads no other document (:func:`_scoped_syscalls`) contributes its reads only to
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

import json
import os
import subprocess
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpfopa.errors import PolicyEngineError
from bpfopa.policy._binary import find_opa

__all__ = [
    "DOCUMENT_KEYS",
    "KeepSite",
    "Projection",
    "ProjectionPlan",
    "derive_plan",
    "exception_field_paths",
    "policy_files",
]

#: The top-level keys of an event document (docs/event-schema.md).
DOCUMENT_KEYS = frozenset({"event", "process", "raw", "repeat"})
#: Every element of an array / every value of an object.
STAR = "*"
#: The package whose computed ``object.get`` paths come from the exception data.
EXCEPTIONS_PACKAGE = ("bpfopa", "lib", "exceptions")
#: Longer paths (recursive functions) are cut and kept whole from there.
MAX_DEPTH = 12

# Pseudo keys for the batch object `input` and its `events` array.
_INPUT = "\0input"
_BATCH = "\0batch"

# (scope, key, key, ...): scope "" = every document; else a rule package whose documents are
# only those of its declared syscalls (see _scoped_syscalls).
Path_ = tuple[str, ...]
Taint = frozenset[Path_]
_NONE: Taint = frozenset()
_SCALARS = frozenset({"null", "boolean", "number", "string"})


@dataclass(frozen=True, slots=True)
class KeepSite:
    """Where the policies use a whole top-level part of the document (or all of it)."""

    path: str  # dotted, "" for the whole document
    file: str
    row: int
    reason: str


# -- the tree -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    whole: bool = False
    children: dict[str, _Node] = field(default_factory=dict)

    def child(self, key: str) -> _Node:
        node = self.children.get(key)
        if node is None:
            node = self.children[key] = _Node()
        return node

    def add(self, path: Sequence[str], whole: bool) -> bool:
        """Register ``path``; returns whether the tree changed."""
        node, changed = self, False
        for key in path:
            if node.whole:
                return changed
            if key not in node.children:
                changed = True
            node = node.child(key)
        if whole and not node.whole:
            node.whole, changed = True, True
            node.children.clear()
        return changed

    def normalized(self) -> _Node:
        """The same projection, simpler: a node whose every element is kept whole is whole."""
        if self.whole:
            return _Node(True)
        children = {k: v.normalized() for k, v in self.children.items()}
        star = children.get(STAR)
        if star is not None and star.whole:
            return _Node(True)
        return _Node(False, children)

    def copy(self) -> _Node:
        return _Node(self.whole, {k: v.copy() for k, v in self.children.items()})

    def merged(self, other: _Node) -> _Node:
        if self.whole or other.whole:
            return _Node(True)
        out = self.copy()
        for key, node in other.children.items():
            out.children[key] = out.children[key].merged(node) if key in out.children else node
        return out

    def paths(self, prefix: str = "") -> Iterator[str]:
        if self.whole or not self.children:
            yield prefix + ("" if self.whole else " (presence)")
            return
        for key in sorted(self.children):
            yield from self.children[key].paths(f"{prefix}.{key}" if prefix else key)


class _CodeGen:
    """Generates one straight-line function per projection: a few dict lookups per kept key,
    no recursion or per-node calls (a recursive walk cost ~20 µs per real document).

    Keys are embedded with ``repr`` (they are plain ``str`` from the parsed policies)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.functions: list[str] = []
        self._n = 0

    def var(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def node(self, node: _Node, src: str, dst_assign: str, indent: str) -> None:
        """Emit code that assigns the projection of ``src`` through ``dst_assign``."""
        if node.whole:
            self.lines.append(f"{indent}{dst_assign}{src}")
            return
        star = node.children.get(STAR)
        named = [(k, c) for k, c in node.children.items() if k != STAR]
        out = self.var("o")
        self.lines.append(f"{indent}if type({src}) is dict:")
        inner = indent + "    "
        if star is not None:
            element = self.element_function(star)
            self.lines.append(f"{inner}{out} = {{k: {element}(v) for k, v in {src}.items()}}")
            for key, child in named:
                self._named(key, child.merged(star), src, out, inner)
        else:
            self.lines.append(f"{inner}{out} = {{}}")
            for key, child in named:
                self._named(key, child, src, out, inner)
        self.lines.append(f"{inner}{dst_assign}{out}")
        if star is not None and not named:
            self.lines.append(f"{indent}elif type({src}) is list:")
            self.lines.append(f"{inner}{dst_assign}{self._list(star, src)}")
        self.lines.append(f"{indent}else:")  # not the expected shape: keep it
        self.lines.append(f"{inner}{dst_assign}{src}")

    def _named(self, key: str, child: _Node, src: str, out: str, indent: str) -> None:
        if child.whole:
            # The schema's keys are nearly always present: one lookup, and a try block costs
            # nothing until it catches.
            self.lines.append(f"{indent}try:")
            self.lines.append(f"{indent}    {out}[{key!r}] = {src}[{key!r}]")
            self.lines.append(f"{indent}except KeyError:")
            self.lines.append(f"{indent}    pass")
            return
        self.lines.append(f"{indent}if {key!r} in {src}:")
        value = self.var("v")
        self.lines.append(f"{indent}    {value} = {src}[{key!r}]")
        self.node(child, value, f"{out}[{key!r}] = ", indent + "    ")

    def _list(self, star: _Node, src: str) -> str:
        """The projected elements of list ``src``."""
        keys = list(star.children)
        if len(keys) == 1 and star.children[keys[0]].whole and keys[0] != STAR:
            # One kept key per element (process.ancestors.*.name): inline, no call per element.
            k = repr(keys[0])
            element = f"({{{k}: e[{k}]}} if {k} in e else {{}})"
            return f"[({element} if type(e) is dict else e) for e in {src}]"
        return f"[{self.element_function(star)}(v) for v in {src}]"

    def element_function(self, node: _Node) -> str:
        name = self.var("_element")
        if node.whole:
            self.functions.append(f"def {name}(x):\n    return x\n")
            return name
        saved, self.lines = self.lines, []
        self.node(node, "x", "return ", "    ")
        body = "\n".join(self.lines)
        self.lines = saved
        self.functions.append(f"def {name}(x):\n{body}\n")
        return name


def _compile_or_none(tree: _Node) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    return None if tree.whole else _compile(tree)


def _compile(tree: _Node) -> Callable[[dict[str, Any]], dict[str, Any]]:
    gen = _CodeGen()
    gen.node(tree, "doc", "return ", "    ")
    source = "\n".join([*gen.functions, "def project(doc):", *gen.lines, ""])
    namespace: dict[str, Any] = {}
    exec(compile(source, "<bpfopa projection>", "exec"), namespace)
    project: Callable[[dict[str, Any]], dict[str, Any]] = namespace["project"]
    return project


class Projection:
    """Copies of documents with only the fields the policies read (see the module doc)."""

    def __init__(self, common: _Node | None, by_name: Mapping[str, _Node] | None = None) -> None:
        # common: what every document keeps (None: everything); by_name: event.name -> what
        # documents of that syscall keep (a superset of common).
        self._common = common.normalized() if common is not None else _Node(True)
        self._by_name = {k: v.normalized() for k, v in (by_name or {}).items()}
        self._project_common = _compile_or_none(self._common)
        self._project_by_name = {k: _compile_or_none(v) for k, v in self._by_name.items()}

    @property
    def keeps_everything(self) -> bool:
        return self._project_common is None and all(
            f is None for f in self._project_by_name.values()
        )

    def paths(self, syscall: str | None = None) -> list[str]:
        """Kept paths, dotted (``*`` = every element; ``(presence)``: only the key), for the
        documents of ``syscall``, or (None) for every document."""
        tree = self._by_name.get(syscall, self._common) if syscall else self._common
        return [""] if tree.whole else list(tree.paths())

    @property
    def syscalls(self) -> list[str]:
        """The syscalls whose documents keep more than the common paths."""
        return sorted(self._by_name)

    def apply(self, doc: Any) -> Any:
        """A new document with only the projected fields; the original is not modified."""
        if type(doc) is not dict:
            return doc
        project = self._project_common
        event = doc.get("event")
        if type(event) is dict:
            name = event.get("name")
            if type(name) is str and name in self._project_by_name:
                project = self._project_by_name[name]
        return doc if project is None else project(doc)


@dataclass(slots=True)
class ProjectionPlan:
    """What the policies read, before the exception data resolves the computed paths."""

    #: scope -> what it reads; "" = every document, else a rule package (see ``scopes``).
    trees: dict[str, _Node]
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
        by_name: dict[str, _Node] = {}
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


# -- finding and parsing the policy files ---------------------------------------------------


def _is_test_file(path: Path) -> bool:
    return path.name.endswith("_test.rego") or (
        path.name == "testing.rego" and path.parent.name == "lib"
    )


def policy_files(dirs: Iterable[Path]) -> list[Path]:
    """Every non-test ``.rego`` file OPA loads from ``dirs`` (files are taken as given)."""
    files: list[Path] = []
    for root in dirs:
        if root.is_file():
            files.append(root)
            continue
        files.extend(p for p in sorted(root.rglob("*.rego")) if not _is_test_file(p))
    return files


def _parse(binary: Path, path: Path) -> dict[str, Any]:
    try:
        proc = subprocess.run(
            [str(binary), "parse", "--format", "json", "--json-include", "locations,-comments",
             str(path)],
            capture_output=True,
            timeout=60,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise PolicyEngineError(f"opa parse {path}: {exc}") from exc
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip()[:500]
        raise PolicyEngineError(f"opa parse {path} failed: {detail}")
    module: dict[str, Any] = json.loads(proc.stdout)
    return module


# -- the analysis ---------------------------------------------------------------------------


def _strings(ref: Sequence[Mapping[str, Any]]) -> tuple[str, ...] | None:
    out = []
    for term in ref:
        if term.get("type") not in ("string", "var"):
            return None
        out.append(str(term["value"]))
    return tuple(out)


def _row(node: Any) -> int:
    if isinstance(node, Mapping):
        loc = node.get("location")
        if isinstance(loc, Mapping):
            return int(loc.get("row", 0))
    return 0


@dataclass(slots=True)
class _Module:
    file: str
    package: tuple[str, ...]
    imports: dict[str, tuple[str, ...]]
    rules: list[dict[str, Any]]
    #: "" or the package, when its documents are only those of ``syscalls``.
    scope: str = ""
    syscalls: frozenset[str] = frozenset()


class _Analysis:
    def __init__(self, modules: list[_Module]) -> None:
        self.modules = modules
        self.trees: dict[str, _Node] = {"": _Node()}
        self.keep_sites: dict[tuple[str, str, int], KeepSite] = {}
        self.exception_lookups: dict[tuple[str, int], KeepSite] = {}
        # function key -> per parameter position: the taint callers pass.
        self.params: dict[tuple[str, ...], dict[int, set[Path_]]] = {}
        self.functions: set[tuple[str, ...]] = set()
        for module in modules:
            for rule in module.rules:
                if rule["head"].get("args"):
                    self.functions.add(module.package + self._head_name(rule))
        self.changed = False
        # Unification terms that bound a fresh var (a body is visited twice).
        self._binds: dict[int, bool] = {}
        self._params: set[str] = set()
        self._module: _Module = modules[0] if modules else _Module("", (), {}, [])
        self._row = 0

    @staticmethod
    def _head_name(rule: Mapping[str, Any]) -> tuple[str, ...]:
        ref = rule["head"].get("ref")
        if ref:
            names = []
            for term in ref:
                if term.get("type") not in ("var", "string"):
                    break
                names.append(str(term["value"]))
            return tuple(names)
        return (str(rule["head"]["name"]),)

    # -- registering paths

    def _tree(self, scope: str) -> _Node:
        tree = self.trees.get(scope)
        if tree is None:
            tree = self.trees[scope] = _Node()
        return tree

    def _touch(self, taint: Taint) -> None:
        for scope, *keys in taint:
            if keys and keys[0].startswith("\0"):
                continue
            if self._tree(scope).add(keys[:MAX_DEPTH], whole=len(keys) > MAX_DEPTH):
                self.changed = True

    def _keep(self, taint: Taint, reason: str) -> None:
        for scope, *keys in taint:
            if keys and keys[0].startswith("\0"):
                keys = []  # the batch or `input` itself: every document, whole
            if self._tree(scope).add(keys[:MAX_DEPTH], whole=True):
                self.changed = True
            if len(keys) <= 1:
                key = (".".join(keys), self._module.file, self._row)
                self.keep_sites.setdefault(
                    key, KeepSite(".".join(keys), self._module.file, self._row, reason)
                )

    # -- terms

    def _resolve(self, ref: Sequence[Mapping[str, Any]]) -> tuple[str, ...] | None:
        names = _strings(ref)
        if names is None:
            return None
        head, rest = names[0], names[1:]
        if head in self._module.imports:
            key = self._module.imports[head] + rest
        elif head == "data":
            key = rest
        else:
            key = self._module.package + names
        return key if key in self.functions else None

    def value(self, term: Any, env: dict[str, Taint]) -> Taint:
        """The document paths ``term`` may hold; registers the reads it implies."""
        if not isinstance(term, Mapping):
            return _NONE
        kind: Any = term.get("type")
        val: Any = term.get("value")
        if kind == "var":
            if val == "input":
                return frozenset({(self._module.scope, _INPUT)})
            return env.get(str(val), _NONE)
        if kind == "ref":
            return self._ref(val, env)
        if kind == "call":
            return self._call(val, env)
        if kind in ("array", "set"):
            for item in val or []:
                self.use(item, env, "in a collection literal")
            return _NONE
        if kind == "object":
            for k, v in val or []:
                self.use(k, env, "in an object literal")
                self.use(v, env, "in an object literal")
            return _NONE
        if kind in ("arraycomprehension", "setcomprehension", "objectcomprehension"):
            inner = dict(env)
            self.body(val["body"], inner)
            for part in ("term", "key", "value"):
                if part in val:
                    self.use(val[part], inner, "as a comprehension's element")
            return _NONE
        if kind == "every":
            inner = dict(env)
            domain = self.value(val.get("domain"), env)
            self._bind(val.get("value"), self._elements(domain), inner)
            self.use(val.get("key"), inner, "as a key")
            self.body(val.get("body", []), inner)
            return _NONE
        if kind not in _SCALARS:  # unknown term: assume it reads everything
            self._keep(frozenset({(self._module.scope,)}), f"unknown term type {kind!r}")
        return _NONE

    def use(self, term: Any, env: dict[str, Taint], reason: str) -> None:
        """``term``'s value is used whole (compared, passed to a builtin, returned...)."""
        taint = self.value(term, env)
        if taint:
            self._keep(taint, reason)

    def _ref(self, ref: list[Mapping[str, Any]], env: dict[str, Taint]) -> Taint:
        head = ref[0]
        if head.get("type") == "var":
            name = str(head["value"])
            scope = self._module.scope
            base = frozenset({(scope, _INPUT)}) if name == "input" else env.get(name, _NONE)
            if not base and name not in self._params and name != "data" and len(ref) > 1:
                # Unknown provenance that looks like a document: every document's field. (A
                # function parameter's provenance is known: what its callers pass.)
                first = ref[1]
                if first.get("type") == "string" and first["value"] in DOCUMENT_KEYS:
                    base = frozenset({("",)})
        else:
            base = self.value(head, env)
        taint = base
        for elem in ref[1:]:
            if elem.get("type") == "string":
                key = str(elem["value"])
            else:
                self.use(elem, env, "as an index")  # the index's own reads
                key = STAR
            if taint:
                steps = (self._step(path, key) for path in taint)
                taint = frozenset(p for p in steps if p is not None)
        self._touch(taint)
        return taint

    @staticmethod
    def _step(path: Path_, key: str) -> Path_ | None:
        if path[1:] == (_INPUT,):
            return (path[0], _BATCH) if key == "events" else None
        if path[1:] == (_BATCH,):
            return path[:1]
        return (*path, key)

    @staticmethod
    def _elements(taint: Taint) -> Taint:
        out = set()
        for path in taint:
            if path[1:] == (_INPUT,):
                continue  # the batch's members: the events array as a whole, kept below
            out.add(path[:1] if path[1:] == (_BATCH,) else (*path, STAR))
        return frozenset(out)

    def _call(self, call: list[Any], env: dict[str, Taint]) -> Taint:
        op, args = call[0], call[1:]
        names = _strings(op.get("value", [])) if op.get("type") == "ref" else None
        name = ".".join(names) if names else ""
        if name in ("assign", "eq") and len(args) == 2:
            self._unify(args[0], args[1], env, assign=name == "assign")
            return _NONE
        if name == "object.get" and len(args) == 3:
            return self._object_get(args, env)
        target = self._resolve(op["value"]) if names else None
        if target is not None:
            positions = self.params.setdefault(target, {})
            for i, arg in enumerate(args):
                taint = self.value(arg, env)
                seen = positions.setdefault(i, set())
                if not taint <= seen:
                    seen.update(taint)
                    self.changed = True
            return _NONE
        for arg in args:
            self.use(arg, env, f"passed to {name or 'a computed function'}")
        return _NONE

    def _object_get(self, args: list[Any], env: dict[str, Taint]) -> Taint:
        obj, key, default = args
        base = self.value(obj, env)
        self.use(default, env, "as object.get's default")
        if not base:
            self.use(key, env, "as object.get's key")
            return _NONE
        keys: list[str] | None
        if key.get("type") == "string":
            keys = [str(key["value"])]
        elif key.get("type") == "array" and all(
            t.get("type") in ("string", "number") for t in key["value"]
        ):
            keys = [str(t["value"]) if t["type"] == "string" else STAR for t in key["value"]]
        else:
            keys = None
        if keys is None:
            self.use(key, env, "as object.get's key")
            if self._module.package == EXCEPTIONS_PACKAGE:
                # The user's exception fields: resolved from the exception data.
                site = KeepSite("", self._module.file, self._row, "exception field lookup")
                self.exception_lookups.setdefault((site.file, site.row), site)
                return _NONE
            self._keep(base, "object.get with a computed path")
            return _NONE
        out: set[Path_] = set()
        for path in base:
            step: Path_ | None = path
            for k in keys:
                step = self._step(step, k) if step is not None else None
            if step is not None:
                out.add(step)
        taint = frozenset(out)
        self._touch(taint)
        return taint

    def _unify(self, left: Any, right: Any, env: dict[str, Taint], *, assign: bool) -> None:
        for a, b in ((left, right), (right, left)):
            if (
                a.get("type") == "var"
                and a["value"] != "input"
                and (assign or str(a["value"]) not in env or self._binds.get(id(a)) is not None)
            ):
                self._binds[id(a)] = True
                taint = self.value(b, env)
                env[str(a["value"])] = env.get(str(a["value"]), _NONE) | taint
                return
            if a.get("type") == "array" and b.get("type") not in ("array",):
                taint = self.value(b, env)
                self._bind(a, self._elements(taint), env)
                return
        self.use(left, env, "compared")
        self.use(right, env, "compared")

    def _bind(self, pattern: Any, taint: Taint, env: dict[str, Taint]) -> None:
        """Bind the vars of ``pattern`` (a var or an array of them) to parts of ``taint``."""
        if not isinstance(pattern, Mapping):
            return
        if pattern.get("type") == "var":
            name = str(pattern["value"])
            env[name] = env.get(name, _NONE) | taint
            self._touch(taint)
        elif pattern.get("type") == "array":
            for item in pattern["value"]:
                self._bind(item, self._elements(taint), env)
        else:
            self.use(pattern, env, "matched against a pattern")
            self._keep(taint, "matched against a pattern")

    # -- expressions and rules

    def body(self, exprs: list[Mapping[str, Any]], env: dict[str, Taint]) -> None:
        # Twice: Rego orders a body by safety, not text; a var bound later is then known.
        for _ in range(2):
            for expr in exprs:
                self._row = _row(expr) or self._row
                self.expr(expr, env)

    def expr(self, expr: Mapping[str, Any], env: dict[str, Taint]) -> None:
        # `with` values are not followed (see the module doc).
        terms = expr.get("terms")
        if isinstance(terms, list):
            self._call(terms, env)
        elif isinstance(terms, Mapping) and "symbols" in terms:
            for symbol in terms["symbols"]:
                self._some(symbol, env)
        elif isinstance(terms, Mapping) and "domain" in terms and "body" in terms:
            self.value({"type": "every", "value": terms}, env)
        elif isinstance(terms, Mapping) and terms.get("type") == "call":
            self._call(terms["value"], env)
        elif isinstance(terms, Mapping) and "type" in terms:
            self.use(terms, env, "tested")
        else:  # a construct this analysis does not know: assume it reads everything
            self._keep(frozenset({(self._module.scope,)}), f"unknown expression {str(terms)[:80]}")

    def _some(self, symbol: Mapping[str, Any], env: dict[str, Taint]) -> None:
        if symbol.get("type") != "call":
            return  # `some x`: a declaration
        names = _strings(symbol["value"][0].get("value", []))
        args = symbol["value"][1:]
        domain = self.value(args[-1], env)
        if names == ("internal", "member_2"):
            self._bind(args[0], self._elements(domain), env)
        elif names == ("internal", "member_3"):
            self.use(args[0], env, "as a key")
            self._bind(args[1], self._elements(domain), env)
        else:
            for arg in args:
                self.use(arg, env, "in a some declaration")

    def rule(self, rule: Mapping[str, Any]) -> None:
        head = rule["head"]
        key = self._module.package + self._head_name(rule)
        env: dict[str, Taint] = {}
        self._params = {str(a["value"]) for a in head.get("args") or [] if a.get("type") == "var"}
        for i, arg in enumerate(head.get("args") or []):
            passed = frozenset(self.params.get(key, {}).get(i, set()))
            if arg.get("type") == "var":
                self._bind(arg, passed, env)
            else:
                self.use(arg, env, "in a function's argument pattern")
        self._row = _row(rule) or _row(head) or self._row
        self.body(rule.get("body", []), env)
        self._row = _row(head) or self._row
        where = "returned by a function" if head.get("args") else "as a rule's value"
        for part in ("key", "value"):
            if part in head:
                self.use(head[part], env, where)
        for term in head.get("ref", [])[1:]:
            if term.get("type") != "string":
                self.use(term, env, "as a rule's key")
        if "else" in rule:
            self.rule({**rule["else"], "head": {**rule["else"]["head"], "args": head.get("args"),
                                                  "ref": head.get("ref"),
                                                  "name": head.get("name")}})  # fmt: skip

    def run(self) -> None:
        for _ in range(50):
            self.changed = False
            for module in self.modules:
                self._module = module
                for rule in module.rules:
                    self.rule(rule)
            if not self.changed:
                return
        raise PolicyEngineError("projection analysis did not converge after 50 passes")


def _module(raw: Mapping[str, Any], path: Path) -> _Module:
    package = _strings(raw["package"]["path"]) or ()
    imports: dict[str, tuple[str, ...]] = {}
    for imp in raw.get("imports", []):
        target = _strings(imp["path"]["value"])
        if not target or target[0] != "data":
            continue
        alias = str(imp.get("alias") or target[-1])
        imports[alias] = target[1:]
    module = _Module(str(path), package[1:], imports, list(raw.get("rules", [])))
    syscalls = _scoped_syscalls(raw, module)
    if syscalls is not None:
        module.scope, module.syscalls = ".".join(module.package), syscalls
    return module


def _is_ref(term: Any, names: tuple[str, ...]) -> bool:
    return (
        isinstance(term, Mapping) and term.get("type") == "ref" and _strings(term["value"]) == names
    )


def _member_2(expr: Mapping[str, Any]) -> Iterator[tuple[Any, Any]]:
    """(var, domain) of each ``some var in domain`` of an expression."""
    terms = expr.get("terms")
    if not isinstance(terms, Mapping) or "symbols" not in terms:
        return
    for symbol in terms["symbols"]:
        if symbol.get("type") != "call" or len(symbol["value"]) != 3:
            continue
        if _strings(symbol["value"][0].get("value", [])) == ("internal", "member_2"):
            yield symbol["value"][1], symbol["value"][2]


def _input_uses(node: Any, allowed: set[str]) -> bool:
    """Whether every use of ``input`` in ``node`` is ``input.events[i]`` with i in ``allowed``
    (``with`` modifiers are not looked into; see the module doc)."""
    if isinstance(node, list):
        return all(_input_uses(item, allowed) for item in node)
    if not isinstance(node, Mapping):
        return True
    if node.get("type") == "var" and node.get("value") == "input":
        return False
    if node.get("type") == "ref" and isinstance(node.get("value"), list):
        ref = node["value"]
        if ref and ref[0].get("type") == "var" and ref[0].get("value") == "input":
            ok = (
                len(ref) >= 3
                and ref[1].get("type") == "string"
                and ref[1].get("value") == "events"
                and ref[2].get("type") == "var"
                and ref[2].get("value") in allowed
            )
            return ok and _input_uses(ref[3:], allowed)
    return all(_input_uses(v, allowed) for k, v in node.items() if k not in ("with", "location"))


def _scoped_syscalls(raw: Mapping[str, Any], module: _Module) -> frozenset[str] | None:
    """The syscalls a rule package's documents are limited to, when provably so; else None.

    The package must declare ``custom.syscalls`` in its package METADATA (and carry no other
    METADATA), define ``syscalls := result.syscalls(rego.metadata.chain())``, and read
    documents only as ``input.events[i]`` where ``some i in events.by_syscall[name]`` and
    ``some name in syscalls`` hold in the same body. main.rego evaluates exactly those
    (lib/events.by_syscall groups the batch by event.name), so the package sees no other
    document and what it reads is needed only for those syscalls. That premise — by_syscall[name]
    lists only positions of documents whose event.name is name — is lib/events' contract, not
    checked here: tests/opa/test_projection.py checks it against the real policies.
    """
    if module.package[:2] != ("bpfopa", "rules"):
        return None
    annotations = raw.get("annotations") or []
    if len(annotations) != 1 or annotations[0].get("scope") != "package":
        return None
    declared = (annotations[0].get("custom") or {}).get("syscalls")
    if not isinstance(declared, list) or not all(isinstance(n, str) for n in declared):
        return None
    events_alias = [a for a, t in module.imports.items() if t == ("bpfopa", "lib", "events")]
    result_alias = [a for a, t in module.imports.items() if t == ("bpfopa", "lib", "result")]
    if len(events_alias) != 1 or len(result_alias) != 1:
        return None
    defines_syscalls = False
    for rule in module.rules:
        head = rule["head"]
        if _Analysis._head_name(rule) == ("syscalls",):
            value = head.get("value") or {}
            args = value.get("value") or [None, None]
            defines_syscalls = (
                value.get("type") == "call"
                and len(args) == 2
                and _is_ref(args[0], (result_alias[0], "syscalls"))
                and isinstance(args[1], Mapping)
                and args[1].get("type") == "call"
                and _is_ref(args[1]["value"][0], ("rego", "metadata", "chain"))
                and rule.get("body", [{}])[0].get("terms", {}).get("type") == "boolean"
            )
            if not defines_syscalls:
                return None
        names: set[str] = set()
        indexes: set[str] = set()
        body = rule.get("body", [])
        for expr in body:
            for var, domain in _member_2(expr):
                local_syscalls = _is_ref(domain, ("syscalls",)) or (
                    isinstance(domain, Mapping)
                    and domain.get("type") == "var"
                    and domain.get("value") == "syscalls"
                )
                if var.get("type") == "var" and local_syscalls:
                    names.add(str(var["value"]))
        for expr in body:
            for var, domain in _member_2(expr):
                if (
                    var.get("type") == "var"
                    and isinstance(domain, Mapping)
                    and domain.get("type") == "ref"
                    and len(domain["value"]) == 3
                    and _strings(domain["value"][:2]) == (events_alias[0], "by_syscall")
                    and domain["value"][2].get("type") == "var"
                    and domain["value"][2]["value"] in names
                ):
                    indexes.add(str(var["value"]))
        if not _input_uses(rule, indexes):
            return None
    return frozenset(declared) if defines_syscalls else None


def derive_plan(dirs: Collection[Path], *, binary: Path | None = None) -> ProjectionPlan:
    """Analyse the non-test Rego files under ``dirs`` (what OPA loads)."""
    files = policy_files(dirs)
    opa = binary or find_opa()
    # One `opa parse` process per file: run them side by side (startup dominates).
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        parsed = list(pool.map(lambda f: _parse(opa, f), files))
    modules = [_module(raw, f) for raw, f in zip(parsed, files, strict=True)]
    analysis = _Analysis(modules)
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
