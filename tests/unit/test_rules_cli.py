"""Pure parts of ``bpfopa policies``: METADATA parsing, table formatting, command lines."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from bpfopa.errors import PolicyEngineError
from bpfopa.policy._rules_cli import (
    RuleInfo,
    check_commands,
    format_rules,
    opa_test_command,
    parse_inspect,
    register,
    rules_as_json,
)


def _path(*parts: str) -> list[dict[str, str]]:
    return [{"type": "var", "value": "data"}] + [{"type": "string", "value": p} for p in parts]


def _entry(package: tuple[str, ...], annotations: dict[str, Any], file: str = "x.rego") -> Any:
    return {
        "annotations": {"scope": "package", **annotations},
        "location": {"file": file, "row": 1, "col": 1},
        "path": _path(*package),
    }


def _rule(rule_id: str, **overrides: Any) -> dict[str, Any]:
    custom = {
        "id": rule_id,
        "priority": "WARNING",
        "tags": ["mitre_execution", "T1059"],
        "syscalls": ["execve", "execveat"],
    }
    custom.update(overrides.pop("custom", {}))
    return {"title": f"Title of {rule_id}", "custom": custom, **overrides}


def test_parse_inspect_keeps_rule_packages_sorted_by_id() -> None:
    document = {
        "annotations": [
            _entry(("bpfopa", "rules", "zeta"), _rule("zeta"), "z.rego"),
            _entry(("bpfopa", "main"), {"title": "entrypoint", "entrypoint": True}),
            _entry(("bpfopa", "lib", "lists"), {"title": "lists"}),
            _entry(("bpfopa", "rules", "alpha"), _rule("alpha"), "a.rego"),
        ]
    }
    rules = parse_inspect(document)
    assert [r.id for r in rules] == ["alpha", "zeta"]
    assert rules[0] == RuleInfo(
        id="alpha",
        title="Title of alpha",
        priority="WARNING",
        tags=("mitre_execution", "T1059"),
        syscalls=("execve", "execveat"),
        package="bpfopa.rules.alpha",
        file="a.rego",
    )


def test_parse_inspect_ignores_rule_scoped_and_foreign_annotations() -> None:
    rule_scoped = _entry(("bpfopa", "rules", "x"), _rule("x"))
    rule_scoped["annotations"]["scope"] = "rule"
    foreign = _entry(("other", "rules", "y"), _rule("y"))
    no_id = _entry(("bpfopa", "rules", "helper"), {"title": "helper", "custom": {"k": 1}})
    assert parse_inspect({"annotations": [rule_scoped, foreign, no_id, "junk"]}) == []
    assert parse_inspect({}) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"custom": {"syscalls": "execve"}}, "custom.syscalls must be a list of strings"),
        ({"custom": {"tags": [1, 2]}}, "custom.tags must be a list of strings"),
        ({"custom": {"priority": ""}}, "custom.priority must be a non-empty string"),
        ({"title": None}, "title must be a non-empty string"),
    ],
)
def test_parse_inspect_rejects_malformed_metadata(overrides: dict[str, Any], message: str) -> None:
    entry = _entry(("bpfopa", "rules", "bad"), _rule("bad", **overrides), "bad.rego")
    with pytest.raises(PolicyEngineError, match=message) as info:
        parse_inspect({"annotations": [entry]})
    assert "bad.rego" in str(info.value)


def test_parse_inspect_rejects_non_list_annotations() -> None:
    with pytest.raises(PolicyEngineError):
        parse_inspect({"annotations": {"not": "a list"}})


def _info(rule_id: str, title: str) -> RuleInfo:
    return RuleInfo(rule_id, title, "NOTICE", ("a", "b"), ("openat",), "p", "f")


def test_format_rules_aligns_columns_and_counts() -> None:
    lines = format_rules([_info("short", "T1"), _info("a_much_longer_id", "Title two")])
    assert lines[0].split() == [
        "ID", "ON", "MATURITY", "PRIORITY", "TITLE", "TAGS", "SYSCALLS",
    ]  # fmt: skip
    assert lines[1].startswith("short ")
    # Every column after the first starts at the same offset on every row.
    assert len({line.index("NOTICE") for line in lines[1:3]}) == 1
    assert lines[2].split() == [
        "a_much_longer_id", "yes", "-", "NOTICE", "Title", "two", "a,b", "openat",
    ]  # fmt: skip
    assert lines[-1] == "2 rules, 2 on by default"


def test_format_rules_shows_default_off_rules_and_maturity() -> None:
    off = RuleInfo("hidden", "T", "NOTICE", ("maturity_sandbox", "x"), ("openat",), "p", "f", False)
    lines = format_rules([off, _info("on", "T")])
    assert lines[1].split()[:3] == ["hidden", "no", "sandbox"]
    assert lines[-1] == "2 rules, 1 on by default"
    assert json.loads(rules_as_json([off]))[0]["enabled"] is False


def test_parse_inspect_reads_enabled() -> None:
    off = _entry(("bpfopa", "rules", "off"), _rule("off", custom={"enabled": False}))
    on = _entry(("bpfopa", "rules", "on"), _rule("on"))
    assert [(r.id, r.enabled) for r in parse_inspect({"annotations": [off, on]})] == [
        ("off", False), ("on", True),
    ]  # fmt: skip
    bad = _entry(("bpfopa", "rules", "bad"), _rule("bad", custom={"enabled": "no"}))
    with pytest.raises(PolicyEngineError, match=r"custom\.enabled must be true or false"):
        parse_inspect({"annotations": [bad]})


def test_format_rules_escapes_terminal_control_characters() -> None:
    hostile = _info("evil", "clear\x1b[2J\nscreen\u202e")
    text = "\n".join(format_rules([hostile]))
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert text.count("\n") == 2  # header, one row, count: the newline did not split the row
    assert "\\x1b[2J" in text


def test_rules_as_json_round_trips_and_is_ascii() -> None:
    text = rules_as_json([_info("x", "caf\u00e9\x07")])
    assert text.isascii()
    assert json.loads(text)[0]["title"] == "caf\u00e9\x07"


def test_command_lines() -> None:
    opa, policies = Path("/bin/opa"), Path("/p")
    assert opa_test_command(opa, policies) == ["/bin/opa", "test", "/p"]
    assert opa_test_command(opa, policies, verbose=True, coverage=True, threshold=90.0) == [
        "/bin/opa", "test", "-v", "--coverage", "--threshold", "90.0", "/p",
    ]  # fmt: skip
    assert opa_test_command(opa, policies, run="ptrace")[-3:] == ["--run", "ptrace", "/p"]
    assert check_commands(opa, policies) == [
        ["/bin/opa", "check", "--strict", "/p"],
        ["/bin/opa", "fmt", "--fail", "--list", "/p"],
    ]


def test_register_builds_the_sub_commands() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["policies", "--policies", "/tmp/p", "test", "-v", "--coverage"])
    assert (args.policies, args.verbose, args.coverage) == ("/tmp/p", True, True)
    assert callable(args.handler)
    assert parser.parse_args(["policies", "list", "--format", "json"]).format == "json"
    with pytest.raises(SystemExit):
        parser.parse_args(["policies"])


def test_missing_policy_directory_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command", required=True))
    missing = tmp_path / "no\x1bpolicies"
    args = parser.parse_args(["policies", "--policies", str(missing), "check"])
    assert args.handler(args) == 2
    err = capsys.readouterr().err
    assert "policy directory not found" in err
    assert "\x1b" not in err
