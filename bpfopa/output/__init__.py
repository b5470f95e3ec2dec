"""Alert output: Falco-shaped alert records and the sinks that deliver them."""

from bpfopa.output._alert import (
    ALERT_DOCUMENT_MODES,
    FALCO_PRIORITY,
    PRIORITY_ORDER,
    AlertBuilder,
    falco_time,
    internal_alert,
    priority_rank,
    process_summary,
    redact_document,
)
from bpfopa.output._books import sink_books
from bpfopa.output._fields import (
    DEFAULT_REGISTRY_FILE,
    MASK,
    FieldRegistry,
    FieldSpec,
    mask_env,
    scrub,
    secret_values,
)
from bpfopa.output._files import DeadLetterFile, FsyncCadence, open_private, private_dir
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
    "ALERT_DOCUMENT_MODES",
    "DEFAULT_REGISTRY_FILE",
    "FALCO_PRIORITY",
    "MASK",
    "PRIORITY_ORDER",
    "AlertBuilder",
    "AlertSink",
    "CallbackSink",
    "DeadLetterFile",
    "FieldRegistry",
    "FieldSpec",
    "FileSink",
    "FsyncCadence",
    "StdoutSink",
    "WebhookSink",
    "encode_alert",
    "falco_time",
    "format_for_terminal",
    "internal_alert",
    "mask_env",
    "open_private",
    "priority_rank",
    "private_dir",
    "process_summary",
    "redact_document",
    "scrub",
    "secret_values",
    "sink_books",
]
