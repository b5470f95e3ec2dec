"""``bpfopa run`` (live capture) and ``bpfopa replay FILE.jsonl`` (a recording)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import orjson

from bpfopa._paths import POLICIES_DIR
from bpfopa.decode import escape_for_terminal
from bpfopa.errors import BpfopaError, OpaBinaryError, PolicyEngineError
from bpfopa.metrics import MetricsServer, PipelineMetrics, parse_listen_address
from bpfopa.output import (
    AlertSink,
    FileSink,
    StdoutSink,
    WebhookSink,
)
from bpfopa.pipeline._channel import QueuePolicy
from bpfopa.pipeline._cli_args import add_pipeline_arguments, add_run_arguments
from bpfopa.pipeline._gc import release_freed_heap_periodically, tune_garbage_collector
from bpfopa.pipeline._pipeline import Pipeline, PipelineConfig
from bpfopa.pipeline._reload import PolicyReloader
from bpfopa.pipeline._source import STDIN, EventSource, ReplaySource
from bpfopa.policy import (
    DeadLetterFile,
    ManagedOpa,
    OpaClient,
    OpaClientConfig,
    PolicyRefusedError,
    validate_policies,
)
from bpfopa.runtime import DEFAULT_SOCKETS, ContainerMetadata

__all__ = ["register"]

log = logging.getLogger("bpfopa")

SourceFactory = Callable[[ManagedOpa | None], EventSource]
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="capture syscalls live and evaluate them with OPA")
    add_pipeline_arguments(run, "127.0.0.1:9464")
    add_run_arguments(run)
    run.set_defaults(handler=run_command)
    replay = sub.add_parser("replay", help="evaluate a JSONL recording of event documents")
    replay.add_argument(
        "file",
        type=Path,
        help="JSONL event documents (bpfopa capture output): a file, a FIFO, or - for stdin",
    )
    add_pipeline_arguments(replay, "0")
    replay.set_defaults(handler=replay_command)


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="bpfopa: %(levelname)s: %(message)s"
    )


def replay_command(args: argparse.Namespace) -> int:
    _setup_logging()
    if args.file != STDIN:
        if not args.file.exists():
            print(f"bpfopa replay: {args.file}: no such file", file=sys.stderr)
            return EXIT_USAGE
        if args.file.is_dir():
            print(f"bpfopa replay: {args.file}: is a directory", file=sys.stderr)
            return EXIT_USAGE
    return _run_async(args, lambda _opa: ReplaySource(args.file), select_syscalls=False)


def run_command(args: argparse.Namespace) -> int:
    _setup_logging()
    if os.geteuid() != 0:
        # Said first: every later failure (tracefs, BPF, perf buffers) follows from this one.
        print(
            "bpfopa run: needs root (loading BPF programs and reading tracefs); "
            "run it with sudo or as the systemd service",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        from bpfopa.capture import open_live_source  # type: ignore[attr-defined,unused-ignore]
    except ImportError as exc:
        print(
            f"bpfopa run: the live capture is not available in this build ({exc}); "
            "use 'bpfopa replay FILE.jsonl' for recordings",
            file=sys.stderr,
        )
        return EXIT_USAGE
    syscalls: list[str] | None = None
    if args.syscalls:
        syscalls = [s.strip() for s in args.syscalls.split(",") if s.strip()]

    def factory(opa: ManagedOpa | None) -> EventSource:
        excluded: Collection[int] = [*args.exclude_pid] + (
            [opa.pid] if opa is not None and opa.pid else []
        )
        source: EventSource = open_live_source(
            syscalls, excluded, attach=args.attach, target_pid=args.pid
        )
        return source

    return _run_async(args, factory, select_syscalls=syscalls is None)


def _run_async(args: argparse.Namespace, factory: SourceFactory, *, select_syscalls: bool) -> int:
    try:
        import uvloop

        return uvloop.run(_main(args, factory, select_syscalls))
    except ImportError:  # uvloop is a dependency, but the pipeline works without it
        return asyncio.run(_main(args, factory, select_syscalls))


def _config(args: argparse.Namespace, select_syscalls: bool) -> PipelineConfig:
    return PipelineConfig(
        batch_size=args.batch_size,
        batch_age_ms=args.batch_age_ms,
        inflight=args.inflight,
        dedup_window_ms=args.dedup_window_ms,
        queue_policy=QueuePolicy(args.queue_policy),
        outage_buffer=args.outage_buffer,
        min_priority=args.min_priority,
        drain_timeout_s=args.drain_timeout,
        max_attempts=args.max_attempts,
        select_syscalls=select_syscalls,
        opa_projection=args.opa_projection,
        prefilter=args.prefilter,
        alert_document=args.alert_document,
        kernel_filter=args.kernel_filter,
        container_wait_ms=getattr(args, "container_wait_ms", 50.0),
        container_exec_wait_ms=getattr(args, "container_exec_wait_ms", 500.0),
        # The managed OPA loads the bundled policies plus --policies; a remote OPA's files
        # are known only when --policies names them.
        policy_dirs=tuple(args.policies if args.opa_url else [POLICIES_DIR, *args.policies]),
    )


def _sinks(args: argparse.Namespace) -> tuple[list[AlertSink], FileSink | None]:
    sinks: list[AlertSink] = []
    if not args.quiet:
        sinks.append(StdoutSink())
    sync = args.fsync_interval
    file_sink = FileSink(args.output_file, sync) if args.output_file else None
    if file_sink is not None:
        sinks.append(file_sink)
    if args.webhook_url:
        sinks.append(
            WebhookSink(
                args.webhook_url,
                args.webhook_spool,
                max_spool=args.webhook_spool_max,
                timeout_s=args.webhook_timeout,
                idempotent_receiver=args.webhook_idempotent,
                poison_after=args.webhook_max_failures,
                fsync_interval_s=sync,
            )
        )
    return sinks, file_sink


async def _main(args: argparse.Namespace, factory: SourceFactory, select_syscalls: bool) -> int:
    prog = f"bpfopa {args.command}" if getattr(args, "command", None) else "bpfopa"
    try:
        config = _config(args, select_syscalls)
        metrics_addr = parse_listen_address(args.metrics_addr)
        token = args.opa_token_file.read_text().strip() if args.opa_token_file else None
    except (ValueError, OSError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    managed: ManagedOpa | None = None
    metrics = PipelineMetrics()
    exit_code = EXIT_OK
    async with contextlib.AsyncExitStack() as stack:
        try:
            if args.opa_url:
                url = args.opa_url
            else:
                managed = ManagedOpa(extra_policies=args.policies, authentication=True)
                # Refused with file:line and the reason before anything loads them.
                await asyncio.to_thread(validate_policies, managed.sources)
                await managed.start()
                stack.push_async_callback(managed.aclose)
                url, token = managed.url, managed.token
            client = OpaClient(
                OpaClientConfig(
                    url=url,
                    token=token,
                    ca_file=args.opa_ca_file,
                    max_inflight=args.inflight,
                    timeout_s=args.opa_timeout,
                ),
                dead_letter=DeadLetterFile(
                    args.dead_letter,
                    fsync_interval_s=args.fsync_interval,
                    document=args.alert_document,
                ),
                on_latency=metrics.observe_opa_latency,
            )
            await stack.enter_async_context(client)
            await client.health()
            await client.check_policies()
            source = factory(managed)
            containers = _container_metadata(args)
            if containers is not None:
                await containers.start()
                stack.push_async_callback(containers.aclose)
            source_aclose = getattr(source, "aclose", None)
            if source_aclose is not None:  # the live source releases its probes here
                stack.push_async_callback(source_aclose)
        except PolicyRefusedError as exc:
            for line in str(exc).splitlines():
                print(f"{prog}: {escape_for_terminal(line)}", file=sys.stderr)
            return EXIT_USAGE
        except (OpaBinaryError, PolicyEngineError, OSError, ValueError) as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except BpfopaError as exc:
            print(f"{prog}: {exc}", file=sys.stderr)
            return EXIT_FAILED
        sinks, file_sink = _sinks(args)
        opa = managed

        def exclude_managed_opa() -> None:
            # Restarts give OPA a new pid; the capture must keep ignoring it.
            if opa is not None:
                opa.set_pid_callback(source.exclude_pid)

        pipeline = Pipeline(
            source,
            client,
            sinks,
            config,
            on_batch=metrics.observe_batch_size,
            on_source_started=exclude_managed_opa,
            containers=containers,
        )
        metrics.bind(pipeline)
        if managed is not None:
            managed.on_url_change(client.set_url)
        reloader = PolicyReloader(pipeline, managed)
        stack.push_async_callback(reloader.aclose)
        if metrics_addr is not None:
            server = MetricsServer(metrics, *metrics_addr, ready=lambda: pipeline.ready)
            try:
                await server.start()
            except OSError as exc:
                print(f"{prog}: metrics endpoint {args.metrics_addr}: {exc}", file=sys.stderr)
                return EXIT_USAGE
            stack.push_async_callback(server.aclose)
        tune_garbage_collector()
        trimmer = asyncio.create_task(release_freed_heap_periodically(), name="heap-trim")
        stack.callback(trimmer.cancel)
        exit_code = await _run_pipeline(pipeline, prog, file_sink, args.duration, reloader)
    return exit_code


def _container_metadata(args: argparse.Namespace) -> ContainerMetadata | None:
    """The runtime metadata for live capture (a recording's documents are kept as they are)."""
    if getattr(args, "command", None) != "run":
        return None
    sockets: list[Path] = getattr(args, "runtime_socket", None) or list(DEFAULT_SOCKETS)
    return ContainerMetadata([p for p in sockets if str(p) != "none"])


async def _run_pipeline(
    pipeline: Pipeline,
    prog: str,
    file_sink: FileSink | None,
    duration: float | None,
    reloader: PolicyReloader | None = None,
) -> int:
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    signals_seen = 0
    stoppers: set[asyncio.Task[None]] = set()

    def request_stop() -> None:
        task = loop.create_task(pipeline.stop())
        stoppers.add(task)
        task.add_done_callback(stoppers.discard)

    def on_stop_signal(signum: int) -> None:
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen == 1:
            log.warning("%s: stopping on %s (again to abort)", prog, signal.Signals(signum).name)
            request_stop()
        elif main is not None:
            main.cancel()

    def on_hangup() -> None:
        # logrotate's reopen, and the policies' hot reload.
        if file_sink is not None:
            file_sink.request_reopen()
        if reloader is not None:
            log.warning("%s: reloading the policies on SIGHUP", prog)
            reloader.request()

    handled = [signal.SIGINT, signal.SIGTERM]
    for signum in handled:
        loop.add_signal_handler(signum, on_stop_signal, signum)
    if file_sink is not None or reloader is not None:
        loop.add_signal_handler(signal.SIGHUP, on_hangup)
        handled.append(signal.SIGHUP)
    timer = (
        loop.call_later(duration, lambda: loop.create_task(pipeline.stop())) if duration else None
    )
    code = EXIT_OK
    try:
        summary: dict[str, Any] = await pipeline.run()
    except asyncio.CancelledError:
        print(f"{prog}: aborted", file=sys.stderr)
        summary = pipeline.snapshot()
        code = 130
    except Exception as exc:  # a stage or the capture crashed: fail loudly, systemd restarts
        reason = str(exc) if isinstance(exc, BpfopaError) else f"crashed: {exc!r}"
        print(f"{prog}: {reason}", file=sys.stderr)
        summary = pipeline.snapshot()
        code = EXIT_FAILED
    finally:
        if timer is not None:
            timer.cancel()
        for signum in handled:
            loop.remove_signal_handler(signum)
    sys.stderr.write(f"{prog}: summary {orjson.dumps(summary, default=str).decode()}\n")
    return code
