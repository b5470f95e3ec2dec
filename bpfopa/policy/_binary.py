"""Locating the pinned ``opa`` binary: never silently another version."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bpfopa._paths import PROJECT_BIN
from bpfopa.errors import OpaBinaryError

OPA_VERSION = "1.22.3"


def opa_version(binary: Path) -> str | None:
    """The version an ``opa`` binary reports, or None when it does not run."""
    try:
        out = subprocess.run(
            [str(binary), "version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        if line.startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return None


def find_opa(version: str = OPA_VERSION) -> Path:
    """``$BPFOPA_OPA`` (which must be ``version``), else the project's ``.bin/opa``, else ``opa``
    on PATH — at ``version``."""
    if env := os.environ.get("BPFOPA_OPA"):
        found = opa_version(Path(env))
        if found != version:
            raise OpaBinaryError(
                f"BPFOPA_OPA={env} is {found or 'not a runnable opa'}, need OPA {version}"
            )
        return Path(env)
    candidates: list[Path] = []
    candidates.append(PROJECT_BIN / "opa")
    if on_path := shutil.which("opa"):
        candidates.append(Path(on_path))
    seen: list[str] = []
    for candidate in candidates:
        if not candidate.exists():
            continue
        found = opa_version(candidate)
        if found == version:
            return candidate
        seen.append(f"{candidate} is {found or 'not runnable'}")
    detail = "; ".join(seen) if seen else "no opa binary found"
    raise OpaBinaryError(f"need OPA {version} ({detail}); run scripts/setup.sh")
