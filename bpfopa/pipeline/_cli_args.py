"""The command-line options of ``bpfopa run`` and ``bpfopa replay``: defined here, read by the
commands in ``_cli``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bpfopa.output import ALERT_DOCUMENT_MODES, priority_rank
from bpfopa.pipeline._channel import QueuePolicy
from bpfopa.pipeline._kernel_filter import KERNEL_FILTER_MODES
from bpfopa.pipeline._pipeline import PREFILTER_MODES, PROJECTION_MODES
from bpfopa.runtime import DEFAULT_SOCKETS

DEFAULT_SPOOL = Path(os.environ.get("BPFOPA_STATE_DIR", "/var/lib/bpfopa")) / "webhook-spool"


def priority_argument(text: str) -> str:
    try:
        priority_rank(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_pipeline_arguments(parser: argparse.ArgumentParser, metrics_default: str) -> None:
    """What `bpfopa run` and `bpfopa replay` both take: policy engine, pipeline, outputs."""
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
        "--min-priority",
        type=priority_argument,
        default="DEBUG",
        help="drop alerts below this priority",
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


def add_run_arguments(run: argparse.ArgumentParser) -> None:
    """What only a live run takes: the capture's and the container runtime's options."""
    from bpfopa.capture._cli import add_capture_arguments

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
