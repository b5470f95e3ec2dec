"""Which syscalls a rule package's documents are limited to, read from its AST.

main.rego evaluates a rule package only over the documents of the syscalls it declares; a
package that provably reads no other document contributes its reads only to those syscalls'
projection. The proof is a syntactic check of the package's rules, apart from the taint
analysis (``_projection_analysis``) that uses its result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpfopa.policy._rego_parse import head_name, is_ref, ref_names, some_in

__all__ = ["PolicyModule", "load_module", "scoped_syscalls"]


@dataclass(slots=True)
class PolicyModule:
    """One parsed, non-test Rego file: its package, imports and rules."""

    file: str
    package: tuple[str, ...]
    imports: dict[str, tuple[str, ...]]
    rules: list[dict[str, Any]]
    #: "" or the package, when its documents are only those of ``syscalls``.
    scope: str = ""
    syscalls: frozenset[str] = frozenset()


def load_module(raw: Mapping[str, Any], path: Path) -> PolicyModule:
    """The module of ``opa parse`` output ``raw``, scoped by syscall when provably so."""
    package = ref_names(raw["package"]["path"]) or ()
    imports: dict[str, tuple[str, ...]] = {}
    for imp in raw.get("imports", []):
        target = ref_names(imp["path"]["value"])
        if not target or target[0] != "data":
            continue
        alias = str(imp.get("alias") or target[-1])
        imports[alias] = target[1:]
    module = PolicyModule(str(path), package[1:], imports, list(raw.get("rules", [])))
    syscalls = scoped_syscalls(raw, module)
    if syscalls is not None:
        module.scope, module.syscalls = ".".join(module.package), syscalls
    return module


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


def scoped_syscalls(raw: Mapping[str, Any], module: PolicyModule) -> frozenset[str] | None:
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
        if head_name(rule) == ("syscalls",):
            value = head.get("value") or {}
            args = value.get("value") or [None, None]
            defines_syscalls = (
                value.get("type") == "call"
                and len(args) == 2
                and is_ref(args[0], (result_alias[0], "syscalls"))
                and isinstance(args[1], Mapping)
                and args[1].get("type") == "call"
                and is_ref(args[1]["value"][0], ("rego", "metadata", "chain"))
                and rule.get("body", [{}])[0].get("terms", {}).get("type") == "boolean"
            )
            if not defines_syscalls:
                return None
        names: set[str] = set()
        indexes: set[str] = set()
        body = rule.get("body", [])
        for expr in body:
            for var, domain in some_in(expr):
                local_syscalls = is_ref(domain, ("syscalls",)) or (
                    isinstance(domain, Mapping)
                    and domain.get("type") == "var"
                    and domain.get("value") == "syscalls"
                )
                if var.get("type") == "var" and local_syscalls:
                    names.add(str(var["value"]))
        for expr in body:
            for var, domain in some_in(expr):
                if (
                    var.get("type") == "var"
                    and isinstance(domain, Mapping)
                    and domain.get("type") == "ref"
                    and len(domain["value"]) == 3
                    and ref_names(domain["value"][:2]) == (events_alias[0], "by_syscall")
                    and domain["value"][2].get("type") == "var"
                    and domain["value"][2]["value"] in names
                ):
                    indexes.add(str(var["value"]))
        if not _input_uses(rule, indexes):
            return None
    return frozenset(declared) if defines_syscalls else None
