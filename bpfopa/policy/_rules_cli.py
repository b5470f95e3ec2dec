"""``bpfopa policies test|check|list``: the Rego rule library, through the pinned ``opa``.

``test`` wraps ``opa test`` (``-v`` and ``--coverage`` pass through), ``check`` runs
``opa check --strict`` and ``opa fmt --fail --list``, then what ``bpfopa run`` validates before
loading (:mod:`bpfopa.policy._validate`), and ``list`` reads every rule's METADATA from
``opa inspect -a`` and prints id, whether it is on by default (``custom.enabled``), its
maturity (the ``maturity_*`` tag), title, priority, tags and syscalls. Everything printed
is escaped: a policy directory, and OPA's messages about it, may come from anyone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bpfopa._paths import POLICIES_DIR
from bpfopa.decode import escape_for_terminal
from bpfopa.errors import PolicyEngineError
from bpfopa.policy._binary import find_opa
from bpfopa.policy._validate import PolicyRefusedError, run_opa, validate_policies

__all__ = [
    "RuleInfo",
    "check_commands",
    "format_rules",
    "opa_test_command",
    "parse_inspect",
    "register",
    "rules_as_json",
]

#: Package prefix of the rule packages; the library and main live beside it.
RULES_PACKAGE = ("bpfopa", "rules")

#: Falco's maturity tags: maturity_stable, maturity_incubating, maturity_sandbox.
MATURITY_TAG = "maturity_"

#: How long one opa invocation may take before we give up on it.
OPA_TIMEOUT_S = 600.0

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNUSABLE = 2


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """One rule package's METADATA, as ``bpfopa policies list`` shows it."""

    id: str
    title: str
    priority: str
    tags: tuple[str, ...]
    syscalls: tuple[str, ...]
    package: str
    file: str
    #: ``custom.enabled``: false for a rule that runs only when data.bpfopa.config.enabled_rules
    #: names it (Falco ships it disabled).
    enabled: bool = True

    @property
    def maturity(self) -> str:
        """Falco's maturity (stable, incubating, sandbox) from the ``maturity_*`` tag, or "-"."""
        for tag in self.tags:
            if tag.startswith(MATURITY_TAG):
                return tag.removeprefix(MATURITY_TAG)
        return "-"


def _package_path(path: Any) -> tuple[str, ...]:
    """``[{"type": "var", "value": "data"}, {"type": "string", "value": "bpfopa"}, …]``."""
    if not isinstance(path, list):
        return ()
    parts = [str(p.get("value")) for p in path if isinstance(p, Mapping)]
    return tuple(parts[1:] if parts[:1] == ["data"] else parts)


def _strings(value: Any, field: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyEngineError(f"{where}: custom.{field} must be a list of strings")
    return tuple(value)


def _flag(value: Any, field: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyEngineError(f"{where}: custom.{field} must be true or false")
    return value


def _text(value: Any, field: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise PolicyEngineError(f"{where}: {field} must be a non-empty string")
    return value


def parse_inspect(document: Mapping[str, Any]) -> list[RuleInfo]:
    """The rules in the JSON of ``opa inspect -a --format json``, sorted by id.

    A rule is a package below ``data.bpfopa.rules`` whose package-scoped METADATA has
    ``custom.id``. Malformed METADATA raises :class:`PolicyEngineError` naming the file.
    """
    entries = document.get("annotations")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise PolicyEngineError("opa inspect: 'annotations' is not a list")
    rules: list[RuleInfo] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        ann = entry.get("annotations")
        path = _package_path(entry.get("path"))
        if not isinstance(ann, Mapping) or ann.get("scope") != "package":
            continue
        if path[: len(RULES_PACKAGE)] != RULES_PACKAGE:
            continue
        custom = ann.get("custom")
        location = entry.get("location")
        file = str(location.get("file", "?")) if isinstance(location, Mapping) else "?"
        if not isinstance(custom, Mapping) or "id" not in custom:
            continue
        where = f"{file} (package {'.'.join(path)})"
        rules.append(
            RuleInfo(
                id=_text(custom.get("id"), "custom.id", where),
                title=_text(ann.get("title"), "title", where),
                priority=_text(custom.get("priority"), "custom.priority", where),
                tags=_strings(custom.get("tags"), "tags", where),
                syscalls=_strings(custom.get("syscalls"), "syscalls", where),
                package=".".join(path),
                file=file,
                enabled=_flag(custom.get("enabled", True), "enabled", where),
            )
        )
    return sorted(rules, key=lambda rule: rule.id)


def format_rules(rules: Sequence[RuleInfo]) -> list[str]:
    """A plain table, one rule per line, every cell escaped for the terminal."""
    header = ("ID", "ON", "MATURITY", "PRIORITY", "TITLE", "TAGS", "SYSCALLS")
    rows = [
        (
            rule.id,
            "yes" if rule.enabled else "no",
            rule.maturity,
            rule.priority,
            rule.title,
            ",".join(rule.tags),
            ",".join(rule.syscalls),
        )
        for rule in rules
    ]
    cells = [tuple(escape_for_terminal(cell) for cell in row) for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    lines = []
    for row in cells:
        padded = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    enabled = sum(rule.enabled for rule in rules)
    lines.append(f"{len(rules)} rules, {enabled} on by default")
    return lines


def rules_as_json(rules: Sequence[RuleInfo]) -> str:
    """The rules as a JSON array (ASCII only, so it is safe on any terminal)."""
    return json.dumps(
        [
            {
                "id": r.id,
                "enabled": r.enabled,
                "maturity": r.maturity,
                "title": r.title,
                "priority": r.priority,
                "tags": list(r.tags),
                "syscalls": list(r.syscalls),
                "package": r.package,
                "file": r.file,
            }
            for r in rules
        ],
        indent=2,
        ensure_ascii=True,
    )


def opa_test_command(
    opa: Path,
    policies: Path,
    *,
    verbose: bool = False,
    coverage: bool = False,
    threshold: float | None = None,
    run: str | None = None,
) -> list[str]:
    """The ``opa test`` command line for these options."""
    command = [str(opa), "test"]
    if verbose:
        command.append("-v")
    if coverage:
        command.append("--coverage")
    if threshold is not None:
        command += ["--threshold", str(threshold)]
    if run:
        command += ["--run", run]
    command.append(str(policies))
    return command


def check_commands(opa: Path, policies: Path) -> list[list[str]]:
    """``opa check --strict`` then ``opa fmt --fail --list``: both must pass."""
    return [
        [str(opa), "check", "--strict", str(policies)],
        [str(opa), "fmt", "--fail", "--list", str(policies)],
    ]


def _echo(data: bytes, stream: TextIO) -> None:
    for line in data.decode("utf-8", "replace").splitlines():
        print(escape_for_terminal(line), file=stream)


def _policies_dir(args: argparse.Namespace) -> Path:
    policies = Path(args.policies)
    if not policies.is_dir():
        raise PolicyEngineError(f"policy directory not found: {policies}")
    return policies


def run_test(args: argparse.Namespace) -> int:
    opa = find_opa()
    command = opa_test_command(
        opa,
        _policies_dir(args),
        verbose=args.verbose,
        coverage=args.coverage,
        threshold=args.threshold,
        run=args.run,
    )
    done = run_opa(command, OPA_TIMEOUT_S)
    _echo(done.stdout, sys.stdout)
    _echo(done.stderr, sys.stderr)
    return EXIT_OK if done.returncode == 0 else EXIT_FAILED


def run_check(args: argparse.Namespace) -> int:
    opa = find_opa()
    status = EXIT_OK
    for command in check_commands(opa, _policies_dir(args)):
        done = run_opa(command, OPA_TIMEOUT_S)
        what = " ".join(command[1:-1])
        _echo(done.stdout, sys.stdout)
        _echo(done.stderr, sys.stderr)
        if done.returncode != 0:
            status = EXIT_FAILED
            print(f"opa {what}: failed", file=sys.stderr)
        else:
            print(f"opa {what}: ok")
    if status == EXIT_OK:
        # What `bpfopa run` refuses to load: METADATA, syscall names, a strict dry evaluation.
        try:
            validate_policies([_policies_dir(args)], opa)
        except PolicyRefusedError as exc:
            for problem in exc.problems:
                print(escape_for_terminal(str(problem)), file=sys.stderr)
            print("bpfopa policy validation: failed", file=sys.stderr)
            return EXIT_FAILED
        print("bpfopa policy validation (METADATA, syscalls, dry evaluation): ok")
    return status


def load_rules(opa: Path, policies: Path) -> list[RuleInfo]:
    """The rules of a policy directory, from ``opa inspect -a --format json``."""
    done = run_opa([str(opa), "inspect", "-a", "--format", "json", str(policies)], OPA_TIMEOUT_S)
    if done.returncode != 0:
        detail = escape_for_terminal(done.stderr.decode("utf-8", "replace").strip())
        raise PolicyEngineError(f"opa inspect failed: {detail}")
    try:
        document = json.loads(done.stdout)
    except ValueError as exc:
        raise PolicyEngineError(f"opa inspect printed invalid JSON: {exc}") from exc
    if not isinstance(document, Mapping):
        raise PolicyEngineError("opa inspect printed JSON that is not an object")
    return parse_inspect(document)


def run_list(args: argparse.Namespace) -> int:
    rules = load_rules(find_opa(), _policies_dir(args))
    if args.format == "json":
        print(rules_as_json(rules))
    else:
        for line in format_rules(rules):
            print(line)
    return EXIT_OK


def _guarded(handler: Any) -> Any:
    """Turn expected failures into one escaped line on stderr and exit status 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            result: int = handler(args)
        except (PolicyEngineError, OSError) as exc:
            print(f"bpfopa policies: {escape_for_terminal(str(exc))}", file=sys.stderr)
            return EXIT_UNUSABLE
        return result

    return run


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``bpfopa policies {test,check,list}``."""
    parser = sub.add_parser("policies", help="test, check and list the Rego rule library")
    parser.add_argument(
        "--policies",
        default=str(POLICIES_DIR),
        help="policy directory (default: the bundled policies)",
    )
    actions = parser.add_subparsers(dest="policies_command", required=True)

    test = actions.add_parser("test", help="run the Rego unit tests (opa test)")
    test.add_argument("-v", "--verbose", action="store_true", help="list every test")
    test.add_argument("--coverage", action="store_true", help="report coverage as JSON")
    test.add_argument("--threshold", type=float, help="fail below this coverage percentage")
    test.add_argument("--run", help="only tests whose name matches this regular expression")
    test.set_defaults(handler=_guarded(run_test))

    check = actions.add_parser("check", help="opa check --strict and opa fmt --fail")
    check.set_defaults(handler=_guarded(run_check))

    listing = actions.add_parser("list", help="list the rules with their METADATA")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=_guarded(run_list))
