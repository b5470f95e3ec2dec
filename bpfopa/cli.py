"""bpfopa: runtime threat detection, eBPF syscall capture evaluated by Open Policy Agent."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]
Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _registrars() -> list[Registrar]:
    from bpfopa import doctor
    from bpfopa.capture import _cli as capture_cli
    from bpfopa.pipeline import _cli as pipeline_cli
    from bpfopa.policy import _rules_cli as rules_cli

    return [doctor.register, capture_cli.register, pipeline_cli.register, rules_cli.register]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bpfopa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for register in _registrars():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
