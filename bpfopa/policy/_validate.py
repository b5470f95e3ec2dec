"""Validating a policy set before OPA loads it: at start and before every hot reload.

Refused, each with file:line and the reason:

1. what ``opa check --strict`` reports (parse, type and strict-mode errors);
2. a rule package (below ``data.bpfopa.rules``) without package METADATA, or whose
   ``custom.id`` / ``custom.priority`` / ``custom.syscalls`` are missing or malformed, an id used
   twice, or a syscall bpfopa does not know (``opennat``);
3. a rule that errors on a dry evaluation with strict built-in errors (a division by zero, a
   conflict) over documents built with the rule tests' own builders (``data.bpfopa.lib.testing``)
   from the paths and names in the policies' lists: a server without strict built-ins would
   leave such a rule silently undefined.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpfopa.errors import OpaBinaryError, PolicyEngineError
from bpfopa.output import PRIORITY_ORDER as PRIORITIES
from bpfopa.policy._binary import find_opa
from bpfopa.schema import BY_NAME

__all__ = ["PolicyProblem", "PolicyRefusedError", "validate_policies"]

RULES_PREFIX = "data.bpfopa.rules."
OPA_TIMEOUT_S = 300.0

#: Documents for the dry evaluation, built by the policies' own test builders from the paths
#: and names their lists hold (bounded, so a large custom list cannot make it slow).
DRY_RUN_MODULE = """package bpfopa_dry_run

import data.bpfopa.lib.testing

paths := sort({x | walk(data.bpfopa.lib.lists, [_, x]); is_string(x); startswith(x, "/")})

names := sort({y |
	walk(data.bpfopa.lib.lists, [_, y])
	is_string(y)
	regex.match(`^[A-Za-z0-9_.+-]{1,15}$`, y)
})

opens := [d |
	some p in array.slice(paths, 0, 300)
	some flags in [0, 577]
	some extra in [{}, testing.in_container]
	d := testing.open(p, flags, extra)
]

execs := [d |
	some n in array.slice(names, 0, 200)
	some extra in [{}, testing.in_container]
	exe := concat("/", ["/usr/bin", n])
	process := {"process": {"name": n, "exe": exe, "argv0": n, "cmdline": n}}
	d := testing.exec(object.union(extra, process))
]

others := [testing.syscall(name, {}) | some name in data.bpfopa.main.syscalls]

connects := [
	testing.connect("169.254.169.254", 80, testing.in_container),
	testing.connect("192.0.2.1", 4444, {}),
]

alerts := n if {
	docs := array.concat(array.concat(opens, execs), array.concat(others, connects))
	n := count(data.bpfopa.main.alerts) with input as {"events": docs}
}
"""


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """One reason to refuse a policy set."""

    file: str
    row: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.reason}"


class PolicyRefusedError(PolicyEngineError):
    """The policies were not loaded: every problem, each with file:line."""

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"policies refused ({len(self.problems)} problem(s)):\n{lines}")


def run_opa(
    command: Sequence[str], timeout: float = OPA_TIMEOUT_S
) -> subprocess.CompletedProcess[bytes]:
    """One OPA command line, its failures as bpfopa's exceptions."""
    try:
        return subprocess.run(list(command), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PolicyEngineError(
            f"{command[0]} {command[1]} timed out after {exc.timeout}s"
        ) from exc
    except OSError as exc:
        raise OpaBinaryError(f"cannot run {command[0]}: {exc}") from exc


def _json(done: subprocess.CompletedProcess[bytes], what: str) -> Any:
    """The JSON opa printed (errors go to stdout or, for parse errors, stderr)."""
    for stream in (done.stdout, done.stderr):
        if stream.strip():
            try:
                return json.loads(stream)
            except ValueError:
                continue
    if done.returncode == 0:
        raise PolicyEngineError(f"{what} printed no JSON")
    return {}


def _opa_errors(document: Any, fallback: str, stderr: bytes = b"") -> list[PolicyProblem]:
    errors = document.get("errors") if isinstance(document, Mapping) else None
    if not isinstance(errors, list) or not errors:
        detail = stderr.decode("utf-8", "replace").strip()[:500] or "opa failed without a reason"
        return [PolicyProblem(fallback, 0, detail)]
    problems = []
    for error in errors:
        if not isinstance(error, Mapping):
            continue
        location = error.get("location") if isinstance(error.get("location"), Mapping) else {}
        assert isinstance(location, Mapping)
        code = error.get("code")
        message = str(error.get("message", "?"))
        problems.append(
            PolicyProblem(
                str(location.get("file") or fallback),
                int(location.get("row") or 0),
                f"{code}: {message}" if code else message,
            )
        )
    return problems


def _check(opa: Path, paths: Sequence[str]) -> list[PolicyProblem]:
    done = run_opa([str(opa), "check", "--strict", "--format", "json", *paths])
    if done.returncode == 0:
        return []
    return _opa_errors(_json(done, "opa check"), paths[0], done.stderr)


def _inspect(opa: Path, paths: Sequence[str]) -> dict[str, Any]:
    """``opa inspect -a`` of every path (it takes one at a time), merged."""
    merged: dict[str, Any] = {"namespaces": {}, "annotations": []}
    for path in paths:
        done = run_opa([str(opa), "inspect", "-a", "--format", "json", path])
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip()[:500]
            raise PolicyRefusedError([PolicyProblem(path, 0, f"opa inspect failed: {detail}")])
        document = _json(done, "opa inspect")
        if isinstance(document, Mapping):
            namespaces = document.get("namespaces")
            if isinstance(namespaces, Mapping):
                for name, files in namespaces.items():
                    merged["namespaces"].setdefault(name, []).extend(files or [])
            merged["annotations"].extend(document.get("annotations") or [])
    return merged


def _metadata_problems(inspected: Mapping[str, Any]) -> list[PolicyProblem]:
    namespaces = inspected.get("namespaces")
    rule_files: dict[str, list[str]] = {}
    if isinstance(namespaces, Mapping):
        for name, files in namespaces.items():
            if str(name).startswith(RULES_PREFIX) and not str(name).endswith("_test"):
                rule_files[str(name)] = [str(f) for f in files] if isinstance(files, list) else []
    annotated: dict[str, tuple[Mapping[str, Any], str, int]] = {}
    for entry in inspected.get("annotations") or []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("annotations"), Mapping):
            continue
        ann = entry["annotations"]
        if ann.get("scope") != "package":
            continue
        path = entry.get("path")
        parts = (
            [str(p.get("value")) for p in path if isinstance(p, Mapping)]
            if isinstance(path, list)
            else []
        )
        location = entry.get("location")
        if not isinstance(location, Mapping):
            location = {}
        annotated[".".join(parts)] = (
            ann,
            str(location.get("file", "?")),
            int(location.get("row") or 0),
        )
    problems: list[PolicyProblem] = []
    seen_ids: dict[str, str] = {}
    for package, files in sorted(rule_files.items()):
        if package not in annotated:
            where = files[0] if files else "?"
            problems.append(
                PolicyProblem(
                    where,
                    1,
                    f"package {package[5:]}: no package METADATA "
                    "(custom.id, custom.priority, custom.syscalls)",
                )
            )
            continue
        ann, file, row = annotated[package]
        problems += _rule_problems(package[5:], ann, file, row, seen_ids)
    return problems


def _rule_problems(
    package: str, ann: Mapping[str, Any], file: str, row: int, seen_ids: dict[str, str]
) -> Iterable[PolicyProblem]:
    custom = ann.get("custom")
    if not isinstance(custom, Mapping):
        yield PolicyProblem(file, row, f"package {package}: METADATA has no custom section")
        return
    rule_id = custom.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        yield PolicyProblem(file, row, f"package {package}: custom.id missing or not a string")
    elif rule_id in seen_ids:
        yield PolicyProblem(file, row, f"custom.id {rule_id!r} is also used by {seen_ids[rule_id]}")
    else:
        seen_ids[rule_id] = package
    priority = custom.get("priority")
    if not isinstance(priority, str) or priority.upper() not in PRIORITIES:
        yield PolicyProblem(
            file,
            row,
            f"package {package}: custom.priority {priority!r} is not one of "
            + ", ".join(PRIORITIES),
        )
    syscalls = custom.get("syscalls")
    if (
        not isinstance(syscalls, list)
        or not syscalls
        or not all(isinstance(s, str) for s in syscalls)
    ):
        yield PolicyProblem(
            file,
            row,
            f"package {package}: custom.syscalls must be a non-empty list of syscall names",
        )
        return
    unknown = sorted(set(syscalls) - BY_NAME.keys())
    if unknown:
        yield PolicyProblem(
            file,
            row,
            f"package {package}: unknown syscall(s) {', '.join(unknown)} in custom.syscalls",
        )
    if not isinstance(ann.get("title"), str) or not ann.get("title"):
        yield PolicyProblem(file, row, f"package {package}: METADATA has no title")


def _dry_run(opa: Path, paths: Sequence[str], inspected: Mapping[str, Any]) -> list[PolicyProblem]:
    namespaces = inspected.get("namespaces")
    if not isinstance(namespaces, Mapping) or "data.bpfopa.lib.testing" not in namespaces:
        return []  # no test builders to build documents with: nothing to dry-run on
    data_args = [arg for path in paths for arg in ("-d", path)]
    with tempfile.TemporaryDirectory(prefix="bpfopa-dry-run-") as scratch:
        module = Path(scratch) / "dry_run.rego"
        module.write_text(DRY_RUN_MODULE)
        command = [str(opa), "eval", "--strict-builtin-errors", "--format", "json", *data_args]
        done = run_opa([*command, "-d", str(module), "data.bpfopa_dry_run.alerts"])
    if done.returncode == 0:
        return []
    problems = _opa_errors(_json(done, "opa eval"), paths[0], done.stderr)
    return [
        PolicyProblem(p.file, p.row, f"dry evaluation over the test documents: {p.reason}")
        for p in problems
    ]


def validate_policies(
    paths: Sequence[Path], opa: Path | None = None, *, rename: Mapping[str, str] | None = None
) -> None:
    """Raise :class:`PolicyRefusedError` listing every problem of the policy set ``paths``.

    ``rename`` maps path prefixes in OPA's messages back to what the user knows (a staged copy
    is validated, its original named).
    """
    binary = opa or find_opa()
    args = [str(p) for p in paths]
    problems = _check(binary, args)
    if not problems:
        inspected = _inspect(binary, args)
        problems = _metadata_problems(inspected) or _dry_run(binary, args, inspected)
    if problems:
        raise PolicyRefusedError([_renamed(p, rename or {}) for p in problems])


def _renamed(problem: PolicyProblem, rename: Mapping[str, str]) -> PolicyProblem:
    for staged, original in rename.items():
        if problem.file.startswith(staged):
            return PolicyProblem(
                original + problem.file[len(staged) :], problem.row, problem.reason
            )
    return problem
