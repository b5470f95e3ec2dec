"""``bpfopa doctor``: is this host ready to run bpfopa?"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("doctor", help="check that this host can run bpfopa")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return 1
