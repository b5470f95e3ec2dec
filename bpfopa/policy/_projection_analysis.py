"""The projection's analysis: follows, through a parsed policy's rules and the functions
they call, every value that may be an event document or a part of one, and records which
paths are read (the taint rules are described in ``_projection``'s docstring).

The largest part of deriving a projection, kept apart from finding the files, scoping
packages by syscall and the resulting tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bpfopa.errors import PolicyEngineError
from bpfopa.policy._projection_scope import PolicyModule
from bpfopa.policy._projection_tree import STAR, PathTree
from bpfopa.policy._rego_parse import head_name, ref_names, source_row

__all__ = [
    "DOCUMENT_KEYS",
    "EXCEPTIONS_PACKAGE",
    "MAX_DEPTH",
    "KeepSite",
    "ReadAnalysis",
]

#: The top-level keys of an event document (docs/event-schema.md).
DOCUMENT_KEYS = frozenset({"event", "process", "raw", "repeat"})
#: The package whose computed ``object.get`` paths come from the exception data.
EXCEPTIONS_PACKAGE = ("bpfopa", "lib", "exceptions")
#: Longer paths (recursive functions) are cut and kept whole from there.
MAX_DEPTH = 12

# Pseudo keys for the batch object `input` and its `events` array.
_INPUT = "\0input"
_BATCH = "\0batch"

# (scope, key, key, ...): scope "" = every document; else a rule package whose documents are
# only those of its declared syscalls (see scoped_syscalls).
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


class ReadAnalysis:
    """The document paths the policies read, per scope; :meth:`run` to a fixpoint."""

    def __init__(self, modules: list[PolicyModule]) -> None:
        self.modules = modules
        self.trees: dict[str, PathTree] = {"": PathTree()}
        self.keep_sites: dict[tuple[str, str, int], KeepSite] = {}
        self.exception_lookups: dict[tuple[str, int], KeepSite] = {}
        # function key -> per parameter position: the taint callers pass.
        self.params: dict[tuple[str, ...], dict[int, set[Path_]]] = {}
        self.functions: set[tuple[str, ...]] = set()
        for module in modules:
            for rule in module.rules:
                if rule["head"].get("args"):
                    self.functions.add(module.package + head_name(rule))
        self.changed = False
        # Unification terms that bound a fresh var (a body is visited twice).
        self._binds: dict[int, bool] = {}
        self._params: set[str] = set()
        self._module: PolicyModule = modules[0] if modules else PolicyModule("", (), {}, [])
        self._row = 0

    # -- registering paths

    def _tree(self, scope: str) -> PathTree:
        tree = self.trees.get(scope)
        if tree is None:
            tree = self.trees[scope] = PathTree()
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
        names = ref_names(ref)
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
        names = ref_names(op.get("value", [])) if op.get("type") == "ref" else None
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
                self._row = source_row(expr) or self._row
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
        names = ref_names(symbol["value"][0].get("value", []))
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
        key = self._module.package + head_name(rule)
        env: dict[str, Taint] = {}
        self._params = {str(a["value"]) for a in head.get("args") or [] if a.get("type") == "var"}
        for i, arg in enumerate(head.get("args") or []):
            passed = frozenset(self.params.get(key, {}).get(i, set()))
            if arg.get("type") == "var":
                self._bind(arg, passed, env)
            else:
                self.use(arg, env, "in a function's argument pattern")
        self._row = source_row(rule) or source_row(head) or self._row
        self.body(rule.get("body", []), env)
        self._row = source_row(head) or self._row
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
