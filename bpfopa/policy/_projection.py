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

# Pseudo paths for the batch object `input` and its `events` array.
_INPUT: tuple[str, ...] = ("\0input",)
_BATCH: tuple[str, ...] = ("\0batch",)

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
            element = self.element_function(star)
            self.lines.append(f"{indent}elif type({src}) is list:")
            self.lines.append(f"{inner}{dst_assign}[{element}(v) for v in {src}]")
        self.lines.append(f"{indent}else:")  # not the expected shape: keep it
        self.lines.append(f"{inner}{dst_assign}{src}")

    def _named(self, key: str, child: _Node, src: str, out: str, indent: str) -> None:
        self.lines.append(f"{indent}if {key!r} in {src}:")
        if child.whole:
            self.lines.append(f"{indent}    {out}[{key!r}] = {src}[{key!r}]")
            return
        value = self.var("v")
        self.lines.append(f"{indent}    {value} = {src}[{key!r}]")
        self.node(child, value, f"{out}[{key!r}] = ", indent + "    ")

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

    def __init__(self, tree: _Node | None) -> None:
        # None: the policies may read anything; documents pass unchanged.
        self._tree = tree.normalized() if tree is not None else None
        whole = self._tree is None or self._tree.whole
        self._project = _compile(self._tree) if self._tree is not None and not whole else None

    @property
    def keeps_everything(self) -> bool:
        return self._project is None

    def paths(self) -> list[str]:
        """The kept paths, dotted (``*`` = every element); ``(presence)``: only the key."""
        if self._tree is None:
            return [""]
        return list(self._tree.paths())

    def apply(self, doc: Any) -> Any:
        """A new document with only the projected fields; the original is not modified."""
        if self._project is None or type(doc) is not dict:
            return doc
        return self._project(doc)


@dataclass(slots=True)
class ProjectionPlan:
    """What the policies read, before the exception data resolves the computed paths."""

    tree: _Node | None  # None: the whole document is used somewhere
    keep_sites: list[KeepSite]
    exception_lookups: list[KeepSite]
    files: list[Path]

    def projection(self, exception_paths: Iterable[Sequence[str]] = ()) -> Projection:
        """The projection once ``exception_paths`` (dotted field names, split) are known."""
        if self.tree is None:
            return Projection(None)
        tree = self.tree.copy()
        if self.exception_lookups:
            for path in exception_paths:
                if not path:
                    return Projection(None)
                tree.add(list(path)[:MAX_DEPTH], whole=True)
        return Projection(tree)


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
            found.update(tuple(str(name).split(".")) for name in entry)
    return found


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


class _Analysis:
    def __init__(self, modules: list[_Module]) -> None:
        self.modules = modules
        self.tree = _Node()
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

    def _touch(self, taint: Taint) -> None:
        for path in taint:
            if path and path[0].startswith("\0"):
                continue
            if self.tree.add(path[:MAX_DEPTH], whole=len(path) > MAX_DEPTH):
                self.changed = True

    def _keep(self, taint: Taint, reason: str) -> None:
        for path in taint:
            if path and path[0].startswith("\0"):
                path = ()  # the batch or `input` itself: every document, whole
            if self.tree.add(path[:MAX_DEPTH], whole=True):
                self.changed = True
            if len(path) <= 1:
                key = (".".join(path), self._module.file, self._row)
                self.keep_sites.setdefault(
                    key, KeepSite(".".join(path), self._module.file, self._row, reason)
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
                return frozenset({_INPUT})
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
            self._keep(frozenset({()}), f"unknown term type {kind!r}")
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
            base = frozenset({_INPUT}) if name == "input" else env.get(name, _NONE)
            if not base and name != "data" and len(ref) > 1:
                first = ref[1]
                if first.get("type") == "string" and first["value"] in DOCUMENT_KEYS:
                    base = frozenset({()})  # unknown provenance that looks like a document
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
        if path == _INPUT:
            return _BATCH if key == "events" else None
        if path == _BATCH:
            return ()
        return (*path, key)

    @staticmethod
    def _elements(taint: Taint) -> Taint:
        out = set()
        for path in taint:
            if path == _INPUT:
                continue  # the batch's members: the events array as a whole, kept below
            out.add(() if path == _BATCH else (*path, STAR))
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
            self._keep(frozenset({()}), f"unknown expression {str(terms)[:80]}")

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
    return _Module(str(path), package[1:], imports, list(raw.get("rules", [])))


def derive_plan(dirs: Collection[Path], *, binary: Path | None = None) -> ProjectionPlan:
    """Analyse the non-test Rego files under ``dirs`` (what OPA loads)."""
    files = policy_files(dirs)
    opa = binary or find_opa()
    # One `opa parse` process per file: run them side by side (startup dominates).
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        parsed = list(pool.map(lambda f: _parse(opa, f), files))
    analysis = _Analysis([_module(raw, f) for raw, f in zip(parsed, files, strict=True)])
    analysis.run()
    tree: _Node | None = analysis.tree
    if tree is not None and tree.whole:
        tree = None
    return ProjectionPlan(
        tree=tree,
        keep_sites=sorted(analysis.keep_sites.values(), key=lambda s: (s.path, s.file, s.row)),
        exception_lookups=list(analysis.exception_lookups.values()),
        files=files,
    )
