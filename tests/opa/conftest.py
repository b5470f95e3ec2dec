"""Fixtures shared by the OPA tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.opa.shadow_policy import SHADOW_POLICY


@pytest.fixture
def shadow_policy_dir(tmp_path: Path) -> Path:
    """A policy directory holding only the shared contract policy (tests/opa/shadow_policy.py)."""
    directory = tmp_path / "policy"
    directory.mkdir()
    (directory / "main.rego").write_text(SHADOW_POLICY)
    return directory
