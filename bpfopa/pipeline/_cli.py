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
    ALERT_DOCUMENT_MODES,
    AlertSink,
    FileSink,
    StdoutSink,
    WebhookSink,
    priority_rank,
)
from bpfopa.pipeline._channel import QueuePolicy
from bpfopa.pipeline._gc import tune_garbage_collector
from bpfopa.pipeline._kernel_filter import KERNEL_FILTER_MODES
from bpfopa.pipeline._pipeline import PREFILTER_MODES, PROJECTION_MODES, Pipeline, PipelineConfig
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
DEFAULT_SPOOL = Path(os.environ.get("BPFOPA_STATE_DIR", "/var/lib/bpfopa")) / "webhook-spool"


def _priority(text: str) -> str:
    try:
        priority_rank(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _add_common(parser: argparse.ArgumentParser, metrics_default: str) -> None:
    opa = parser.add_argument_group("policy engine")
    opa.add_argument("--opa-url", help="use this OPA server instead of starting one")
    opa.add_argument("--opa-token-file", type=Path, help="file holding a bearer token for OPA")
    opa.add_argument("--opa-ca-file", type=Path, help="CA bundle to verify OPA's TLS certificate")
    opa.add_argument(
        "--policies",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="extra policy directory for the managed OPA (repeatable); with --opa-url: the "
        "policy files that OPA loaded, read only to derive the field projection and to check "
        "that the prefilter is sound (without them, both are off)",
    )
    opa.add_argument(
        "--opa-projection",
        choices=PROJECTION_MODES,
        default="auto",
        help="auto: send OPA only the document fields the policies read (alerts keep the full "
        "document); off: full documents (auto)",
    )
    opa.add_argument(
        "--prefilter",
        choices=PREFILTER_MODES,
        default="auto",
        help="auto: documents no rule can flag (the policies' own prefilter, read from OPA, and "
        "syscalls no rule declares) are judged here and not sent, once the policy files show "
        "that every rule reads documents through lib/events.by_syscall; off: send all (auto)",
    )
    opa.add_argument(
        "--kernel-filter",
        choices=KERNEL_FILTER_MODES,
        default="on",
        help="on: the probes drop, and count, opens no rule can flag (data.bpfopa.kernel_filter, "
        "derived from the policies' prefilter); off: every captured record reaches userspace (on)",
    )
    opa.add_argument("--inflight", type=int, default=4, help="OPA requests in flight (4)")
    opa.add_argument(
        "--opa-timeout",
        type=float,
        default=5.0,
        help="seconds an OPA request may take; the first one past it declares the outage (5)",
    )
    opa.add_argument(
        "--max-attempts",
        type=int,
        default=3,
        help="evaluations a batch may fail while OPA evaluates others before it is split and "
        "dead-lettered document by document (3)",
    )
    opa.add_argument(
        "--dead-letter", type=Path, help="JSONL file for documents OPA rejects (else only logged)"
    )
    flow = parser.add_argument_group("pipeline")
    flow.add_argument("--batch-size", type=int, default=500, help="events per OPA request (500)")
    flow.add_argument(
        "--batch-age-ms", type=float, default=50.0, help="close a batch after this long (50)"
    )
    flow.add_argument(
        "--dedup-window-ms",
        type=float,
        default=100.0,
        help="merge identical events within this window; 0 disables (100)",
    )
    flow.add_argument(
        "--queue-policy",
        choices=[p.value for p in QueuePolicy],
        default="block",
        help="when a stage queue is full: block (with a deadline) or drop; both are counted",
    )
    flow.add_argument(
        "--outage-buffer",
        type=int,
        default=100_000,
        help="events kept while OPA is unavailable; the excess is dropped and counted (100000)",
    )
    flow.add_argument(
        "--drain-timeout", type=float, default=30.0, help="seconds to drain at stop (30)"
    )
    flow.add_argument("--duration", type=float, help="stop gracefully after S seconds")
    out = parser.add_argument_group("output")
    out.add_argument(
        "--min-priority", type=_priority, default="DEBUG", help="drop alerts below this priority"
    )
    out.add_argument("--output-file", type=Path, help="append alerts as JSONL (reopened on SIGHUP)")
    out.add_argument("--webhook-url", help="POST every alert here (falcosidekick compatible)")
    out.add_argument(
        "--webhook-spool",
        type=Path,
        default=DEFAULT_SPOOL,
        help=f"spool directory while the webhook is down ({DEFAULT_SPOOL})",
    )
    out.add_argument(
        "--webhook-timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the webhook's answer; a request that times out is resent "
        "from the spool with a 4x longer timeout, never at once (30)",
    )
    out.add_argument(
        "--webhook-idempotent",
        action="store_true",
        help="the receiver honours the Idempotency-Key header (the alert's uuid): timeouts "
        "and POSTs cut at shutdown are resent, for exactly-once delivery",
    )
    out.add_argument(
        "--webhook-spool-max",
        type=int,
        default=10_000,
        help="alerts kept in the webhook spool; when full the oldest is dropped and counted",
    )
    out.add_argument(
        "--webhook-max-failures",
        type=int,
        default=10,
        help="5xx answers to one spooled alert after which it is dead-lettered instead of "
        "holding up the alerts behind it (10)",
    )
    out.add_argument(
        "--fsync-interval",
        type=float,
        default=1.0,
        help="seconds between fsyncs of alert, dead-letter and spool files; 0: every write (1)",
    )
    out.add_argument("--quiet", action="store_true", help="no alerts on stdout")
    out.add_argument(
        "--alert-document",
        choices=ALERT_DOCUMENT_MODES,
        default="summary",
        help="summary: alerts carry their rule's output fields and a process summary; full: "
        "also the whole event document (environment secrets masked either way) (summary)",
    )
    out.add_argument(
        "--metrics-addr",
        default=metrics_default,
        help=f"Prometheus endpoint HOST:PORT, 0 disables ({metrics_default})",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bpfopa.capture._cli import add_capture_arguments

    run = sub.add_parser("run", help="capture syscalls live and evaluate them with OPA")
    _add_common(run, "127.0.0.1:9464")
    run.add_argument(
        "--syscalls",
        help="comma-separated syscalls to capture (default: what the policies ask for)",
    )
    run.add_argument("--pid", type=int, help="only this process (tgid): for measuring one workload")
    run.add_argument(
        "--attach",
        default="tracepoint",
        choices=("tracepoint", "raw"),
        help="how probes attach (see bpfopa capture)",
    )
    add_capture_arguments(run)
    runtime = run.add_argument_group("container runtime")
    runtime.add_argument(
        "--runtime-socket",
        type=Path,
        action="append",
        metavar="PATH",
        help="container runtime socket to ask for container and pod metadata: a Docker Engine "
        "API one (Docker, podman, cri-dockerd nodes) or a CRI one (containerd, CRI-O), told "
        "apart by asking (repeatable; default: "
        + ", ".join(str(p) for p in DEFAULT_SOCKETS)
        + "); --runtime-socket none: cgroup-derived container ids only",
    )
    runtime.add_argument(
        "--container-wait-ms",
        type=float,
        default=50.0,
        help="how long an event of a container not known yet waits for its metadata before "
        "it goes on marked late (50)",
    )
    runtime.add_argument(
        "--container-exec-wait-ms",
        type=float,
        default=500.0,
        help="the same for execs, which include a container's first process: its engine "
        "answers only once it has started the container (500)",
    )
    run.set_defaults(handler=run_command)
    replay = sub.add_parser("replay", help="evaluate a JSONL recording of event documents")
    replay.add_argument(
        "file",
        type=Path,
        help="JSONL event documents (bpfopa capture output): a file, a FIFO, or - for stdin",
    )
    _add_common(replay, "0")
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
