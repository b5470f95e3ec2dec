"""``bpfopa capture``: every selected syscall as one JSON document per line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import IO, Any

import orjson

from bpfopa.capture._source import LiveSource
from bpfopa.decode import escape_for_terminal
from bpfopa.errors import BpfopaError
from bpfopa.schema import BY_NAME


def add_capture_arguments(parser: argparse.ArgumentParser) -> None:
    """Options every command that captures live shares (``capture`` and ``run``)."""
    parser.add_argument(
        "--exclude-pid",
        type=int,
        action="append",
        default=[],
        metavar="PID",
        help="never capture this process (repeatable): e.g. another bpfopa on the host",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("capture", help="print captured syscalls as JSON lines (or text)")
    parser.add_argument("--syscalls", help="comma-separated syscall names (default: all known)")
    parser.add_argument("--pid", type=int, help="only this process (tgid)")
    add_capture_arguments(parser)
    parser.add_argument("--container", help="only processes in this container (id prefix)")
    parser.add_argument("--duration", type=float, help="stop after S seconds")
    parser.add_argument(
        "--format",
        choices=("json", "text"),
        help="default: json when stdout is not a terminal, else text",
    )
    parser.add_argument(
        "--attach",
        choices=("tracepoint", "raw"),
        default="tracepoint",
        help="per-syscall tracepoints (default) or raw sys_enter/sys_exit",
    )
    parser.add_argument("--transport", choices=("ringbuf", "perf"), default="ringbuf")
    parser.set_defaults(handler=run)


def _parse_syscalls(value: str | None) -> set[str] | None:
    if value is None:
        return None
    names = {name.strip() for name in value.split(",") if name.strip()}
    unknown = names - BY_NAME.keys()
    if unknown:
        raise SystemExit(
            f"bpfopa capture: unknown syscalls: {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(BY_NAME))})"
        )
    return names


def text_line(doc: dict[str, Any]) -> str:
    """One readable line; every piece of event data is escaped for the terminal."""
    event, proc = doc["event"], doc["process"]
    what = event.get("path") or event.get("params", {})
    result = event["error"] or event["ret"]
    line = (
        f"{event['time']} {proc['name']}[{proc['pid']}] {event['name']} {what} = {result}"
        f" (parent {(proc.get('parent') or {}).get('name')})"
    )
    return escape_for_terminal(line)


def run(args: argparse.Namespace) -> int:
    syscalls = _parse_syscalls(args.syscalls)
    fmt = args.format or ("text" if sys.stdout.isatty() else "json")
    try:
        return asyncio.run(_capture(args, syscalls, fmt, sys.stdout.buffer))
    except BpfopaError as exc:
        print(f"bpfopa capture: {exc}", file=sys.stderr)
        return 1


async def _capture(
    args: argparse.Namespace, syscalls: set[str] | None, fmt: str, out: IO[bytes]
) -> int:
    source = LiveSource(
        syscalls=syscalls,
        attach=args.attach,
        transport=args.transport,
        target_pid=args.pid,
        exclude_pids=args.exclude_pid,
    )
    await source.start()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"bpfopa capture: attached ({len(source.probes.attached_syscalls)} syscalls, "
        f"{args.attach}, {args.transport})",
        file=sys.stderr,
        flush=True,
    )

    async def stopper() -> None:
        if args.duration is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), args.duration)
        else:
            await stop.wait()
        await source.stop()

    stop_task = asyncio.create_task(stopper())
    selected = syscalls
    container = args.container
    try:
        async for docs in source.batches():
            chunks: list[bytes] = []
            for doc in docs:
                if selected is not None and doc["event"]["name"] not in selected:
                    continue
                if container is not None:
                    found = doc["process"].get("container")
                    if not found or not found["full_id"].startswith(container):
                        continue
                if fmt == "json":
                    chunks.append(orjson.dumps(doc))
                else:
                    chunks.append(text_line(doc).encode())
            if chunks:
                chunks.append(b"")
                try:
                    out.write(b"\n".join(chunks))
                    out.flush()
                except BrokenPipeError:
                    break
    finally:
        stop_task.cancel()
        counters = source.counters()
        await source.aclose()
        summary = ", ".join(f"{k}={v}" for k, v in counters.items())
        print(f"bpfopa capture: summary: {summary}", file=sys.stderr, flush=True)
    return 0
