"""``python -m bpfopa.pipeline run|replay ...``: the pipeline commands without the full CLI."""

from __future__ import annotations

import argparse
import sys

from bpfopa.pipeline._cli import register


def main() -> int:
    parser = argparse.ArgumentParser(prog="bpfopa")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args()
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
