"""Alert output: Falco-shaped alert records and the sinks that deliver them."""

from bpfopa.output._alert import (
    FALCO_PRIORITY,
    PRIORITY_ORDER,
    build_alert,
    falco_time,
    internal_alert,
    output_fields,
    priority_rank,
)
from bpfopa.output._sinks import (
    AlertSink,
    CallbackSink,
    FileSink,
    StdoutSink,
    encode_alert,
    format_for_terminal,
)
from bpfopa.output._webhook import WebhookSink

__all__ = [
    "FALCO_PRIORITY",
    "PRIORITY_ORDER",
    "AlertSink",
    "CallbackSink",
    "FileSink",
    "StdoutSink",
    "WebhookSink",
    "build_alert",
    "encode_alert",
    "falco_time",
    "format_for_terminal",
    "internal_alert",
    "output_fields",
    "priority_rank",
]
