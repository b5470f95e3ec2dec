#!/usr/bin/env bash
# Runs bpfopa from the project's virtualenv as root (BPF needs it); `make run` calls this.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "run: must run as root and sudo is not installed" >&2; exit 1; }
    echo "run: elevating with sudo: loading BPF programs needs root" >&2
    exec sudo -E "$0" "$@"
fi
export PATH="$ROOT/.bin:$PATH"
if [ "$#" -eq 0 ]; then set -- run; fi
exec "$ROOT/.venv/bin/bpfopa" "$@"
