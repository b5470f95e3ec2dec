"""Every exception bpfopa raises on purpose derives from :class:`BpfopaError`.

    BpfopaError
    ├── CaptureError              kernel side: compiling, loading or attaching probes
    │   ├── ProbeCompileError     BCC could not compile the probe sources
    │   ├── BtfError              the running kernel's BTF lacks a struct member we need
    │   └── AttachError           a tracepoint could not be attached
    ├── DecodeError               a kernel record does not match the wire layout
    ├── PolicyEngineError         talking to OPA
    │   ├── OpaUnavailableError   connection refused/reset, 5xx, 429  (retriable)
    │   │   └── OpaTimeoutError   no answer within the timeout (not retried: an outage at once)
    │   ├── OpaRejectedError      4xx: the request or one of its documents is bad (not retriable)
    │   ├── PolicyMissingError    OPA answers but the bpfopa policies are not loaded
    │   └── OpaBinaryError        the pinned opa binary is missing or the wrong version
    ├── BackpressureTimeout       a bounded queue stayed full past its deadline  (retriable)
    ├── StageFailedError          a pipeline stage's task crashed; its neighbours fail with it
    ├── RuntimeApiError           a container runtime's API (Docker, CRI) failed  (retriable)
    ├── SinkError                 an alert sink could not deliver  (retriable)
    │   └── SinkRejectedError     the receiver refused the alert for good (4xx: not retriable)
    └── FieldRegistryError        policies/fields.json is unreadable or inconsistent

``retriable`` tells the retry policy (tenacity) whether trying again can help.
"""

from __future__ import annotations

__all__ = [
    "AttachError",
    "BackpressureTimeout",
    "BpfopaError",
    "BtfError",
    "CaptureError",
    "DecodeError",
    "FieldRegistryError",
    "OpaBinaryError",
    "OpaRejectedError",
    "OpaTimeoutError",
    "OpaUnavailableError",
    "PolicyEngineError",
    "PolicyMissingError",
    "ProbeCompileError",
    "RuntimeApiError",
    "SinkError",
    "SinkRejectedError",
    "StageFailedError",
]


class BpfopaError(Exception):
    """Base of every error bpfopa raises on purpose."""

    retriable: bool = False


class CaptureError(BpfopaError):
    """The kernel side could not be set up."""


class ProbeCompileError(CaptureError):
    """BCC failed to compile the probe sources (often: missing kernel headers)."""


class BtfError(CaptureError):
    """The running kernel's BTF is missing, unreadable or lacks a struct member."""


class AttachError(CaptureError):
    """A tracepoint could not be attached."""


class DecodeError(BpfopaError):
    """A record from the kernel does not match the wire layout."""


class PolicyEngineError(BpfopaError):
    """Talking to the OPA server failed."""


class OpaUnavailableError(PolicyEngineError):
    """OPA did not answer usefully: refused, reset, timed out, 5xx or 429."""

    retriable = True


class OpaTimeoutError(OpaUnavailableError):
    """OPA did not answer within the request timeout.

    Not retried in place: a hung OPA would otherwise stay invisible for attempts x timeout.
    The pipeline declares the outage at the first one and probes with real evaluations.
    """

    retriable = False


class OpaRejectedError(PolicyEngineError):
    """OPA answered 4xx: the request (or one document in it) is bad; retrying cannot help."""

    def __init__(self, message: str, status: int, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class PolicyMissingError(PolicyEngineError):
    """OPA answers, but ``data.bpfopa.main`` is undefined: the policies are not loaded."""


class OpaBinaryError(PolicyEngineError):
    """The pinned ``opa`` binary is missing or reports another version."""


class BackpressureTimeout(BpfopaError):
    """A bounded queue stayed full for longer than its deadline."""

    retriable = True


class StageFailedError(BpfopaError):
    """A pipeline stage's task crashed; the stages waiting on its channels fail with this."""


class SinkError(BpfopaError):
    """An alert sink could not deliver."""

    retriable = True


class SinkRejectedError(SinkError):
    """The receiver answered that this alert will never be accepted (a 4xx such as 413)."""

    retriable = False

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class FieldRegistryError(BpfopaError):
    """The field registry (policies/fields.json) is unreadable or names unknown fields."""


class RuntimeApiError(BpfopaError):
    """A container runtime's API (Docker Engine, podman, the CRI) did not answer usefully."""

    retriable = True
