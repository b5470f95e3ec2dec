#!/usr/bin/env bash
# The whole test run: setup, lint (Python and Rego), then pytest last so its summary line ends the
# output. BPFOPA_STRICT=1 turns every skipped test into a failure: CI must not pass on a machine
# that lacks a capability.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "test: must run as root and sudo is not installed" >&2; exit 1; }
    echo "test: elevating with sudo: the kernel tests load BPF programs" >&2
    exec sudo -E "$0" "$@"
fi
"$ROOT/scripts/setup.sh"
cd "$ROOT"
export BPFOPA_STRICT="${BPFOPA_STRICT:-1}"
export PATH="$ROOT/.bin:$PATH"
echo "lint: ruff" >&2
.venv/bin/ruff check bpfopa tests benchmarks build_backend
.venv/bin/ruff format --check bpfopa tests benchmarks build_backend
echo "lint: mypy --strict" >&2
.venv/bin/mypy
echo "lint: opa fmt, opa check --strict" >&2
.bin/opa fmt --fail --list policies
.bin/opa check --strict policies
exec .venv/bin/python -m pytest "$@"
