"""Policies are validated before OPA loads them: each problem refused with file:line and the
reason (the bundled policies pass)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bpfopa._paths import POLICIES_DIR, PROJECT_ROOT
from bpfopa.policy import PolicyRefusedError, validate_policies
from tests.opa.faulty_rules import (
    CONFLICTING,
    DIVIDES_BY_ZERO,
    GOOD,
    MISSPELT_SYSCALL,
    line_of,
    missing_id,
    write_rule,
)

BPFOPA = PROJECT_ROOT / ".venv" / "bin" / "bpfopa"


def refused(paths: list[Path]) -> list[str]:
    with pytest.raises(PolicyRefusedError) as caught:
        validate_policies(paths)
    return [str(p) for p in caught.value.problems]


def test_bundled_policies_plus_a_good_rule_pass(tmp_path: Path) -> None:
    write_rule(tmp_path, "custom_good", GOOD)
    validate_policies([POLICIES_DIR, tmp_path])


def test_metadata_and_syscall_problems_name_file_and_line(tmp_path: Path) -> None:
    misspelt = write_rule(tmp_path, "custom_misspelt", MISSPELT_SYSCALL)
    no_id = write_rule(tmp_path, "custom_good", missing_id())
    problems = refused([POLICIES_DIR, tmp_path])
    assert any(
        p.startswith(f"{misspelt}:8: ") and "unknown syscall(s) opennat" in p for p in problems
    ), problems
    assert any(p.startswith(f"{no_id}:7: ") and "custom.id missing" in p for p in problems)
    assert len(problems) == 2


@pytest.mark.parametrize(
    ("name", "text", "line", "reason"),
    [
        (
            "custom_divide",
            DIVIDES_BY_ZERO,
            line_of(DIVIDES_BY_ZERO, "/ 0"),
            "eval_builtin_error: div: divide by zero",
        ),
        ("custom_conflict", CONFLICTING, line_of(CONFLICTING, "_level := ", 2), "eval_conflict"),
    ],
)
def test_rules_that_error_on_a_dry_evaluation_are_refused(
    tmp_path: Path, name: str, text: str, line: int, reason: str
) -> None:
    rule = write_rule(tmp_path, name, text)
    (problem,) = refused([POLICIES_DIR, tmp_path])
    assert problem.startswith(f"{rule}:{line}: dry evaluation")
    assert reason in problem


def test_opa_check_errors_come_first(tmp_path: Path) -> None:
    rule = write_rule(tmp_path, "custom_good", GOOD.replace('"custom good")', '"custom good"'))
    (problem,) = refused([POLICIES_DIR, tmp_path])
    assert problem.startswith(f"{rule}:") and "rego_parse_error" in problem


def test_bpfopa_replay_refuses_to_start_on_a_bad_rule(tmp_path: Path) -> None:
    rule = write_rule(tmp_path / "custom", "custom_misspelt", MISSPELT_SYSCALL)
    recording = tmp_path / "empty.jsonl"
    recording.write_text("")
    done = subprocess.run(
        [str(BPFOPA), "replay", str(recording), "--policies", str(tmp_path / "custom")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"{rule}:8: " in done.stderr and "opennat" in done.stderr
