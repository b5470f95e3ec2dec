"""Reading the policy files: which files OPA loads, ``opa parse`` of each, and the helpers
that read the parsed Rego AST (ref names, rows, rule heads, ``some ... in`` domains).

Apart from the projection's analysis so that the analysis reads as taint rules only, and the
syscall scoping (``_projection_scope``) can share the same AST readers.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bpfopa.errors import PolicyEngineError

__all__ = [
    "head_name",
    "is_ref",
    "parse_module",
    "policy_files",
    "ref_names",
    "some_in",
    "source_row",
]


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


def parse_module(binary: Path, path: Path) -> dict[str, Any]:
    """The JSON AST of one Rego file, from the pinned ``opa parse`` (with source rows)."""
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


def ref_names(ref: Sequence[Mapping[str, Any]]) -> tuple[str, ...] | None:
    """The names of a ref made only of vars and strings (``data.a.b``), else None."""
    out = []
    for term in ref:
        if term.get("type") not in ("string", "var"):
            return None
        out.append(str(term["value"]))
    return tuple(out)


def source_row(node: Any) -> int:
    """The line of ``node`` in its file (0 when the AST does not say)."""
    if isinstance(node, Mapping):
        loc = node.get("location")
        if isinstance(loc, Mapping):
            return int(loc.get("row", 0))
    return 0


def head_name(rule: Mapping[str, Any]) -> tuple[str, ...]:
    """The rule's name: its head ref up to the first non-constant term."""
    ref = rule["head"].get("ref")
    if ref:
        names = []
        for term in ref:
            if term.get("type") not in ("var", "string"):
                break
            names.append(str(term["value"]))
        return tuple(names)
    return (str(rule["head"]["name"]),)


def is_ref(term: Any, names: tuple[str, ...]) -> bool:
    """Whether ``term`` is the ref ``names`` (e.g. ``rego.metadata.chain``)."""
    return (
        isinstance(term, Mapping)
        and term.get("type") == "ref"
        and ref_names(term["value"]) == names
    )


def some_in(expr: Mapping[str, Any]) -> Iterator[tuple[Any, Any]]:
    """(var, domain) of each ``some var in domain`` of an expression."""
    terms = expr.get("terms")
    if not isinstance(terms, Mapping) or "symbols" not in terms:
        return
    for symbol in terms["symbols"]:
        if symbol.get("type") != "call" or len(symbol["value"]) != 3:
            continue
        if ref_names(symbol["value"][0].get("value", [])) == ("internal", "member_2"):
            yield symbol["value"][1], symbol["value"][2]
