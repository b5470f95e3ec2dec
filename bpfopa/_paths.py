"""Where bpfopa finds the files that ship beside the package (editable install from the repo)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROBES_DIR = PROJECT_ROOT / "probes"
POLICIES_DIR = PROJECT_ROOT / "policies"
PROJECT_BIN = PROJECT_ROOT / ".bin"
