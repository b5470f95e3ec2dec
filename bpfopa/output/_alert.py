"""Alerts in Falco's JSON shape, built from a policy verdict and the evaluated document.

An alert carries what its rule's output fields name and a process summary, never the whole
document by default: documents hold argv, environments and paths, and alerts leave the host.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bpfopa.output._fields import FieldRegistry, mask_env, scrub, secret_values

__all__ = [
    "ALERT_DOCUMENT_MODES",
    "FALCO_PRIORITY",
    "PRIORITY_ORDER",
    "AlertBuilder",
    "falco_time",
    "internal_alert",
    "priority_rank",
    "process_summary",
    "redact_document",
]

#: What an alert carries besides its output fields (``--alert-document``).
ALERT_DOCUMENT_MODES = ("summary", "full")

#: Contract priority (upper case) -> Falco's spelling in its JSON output.
FALCO_PRIORITY = {
    "EMERGENCY": "Emergency",
    "ALERT": "Alert",
    "CRITICAL": "Critical",
    "ERROR": "Error",
    "WARNING": "Warning",
    "NOTICE": "Notice",
    "INFORMATIONAL": "Informational",
    "DEBUG": "Debug",
}
#: Highest first; ``priority_rank`` 0 is the most severe.
PRIORITY_ORDER = tuple(FALCO_PRIORITY)
_ALIASES = {"INFO": "INFORMATIONAL", "WARN": "WARNING", "ERR": "ERROR", "CRIT": "CRITICAL"}


def priority_rank(priority: str) -> int:
    """0 for EMERGENCY ... 7 for DEBUG; accepts either spelling ("Warning", "WARNING", "warn")."""
    upper = priority.strip().upper()
    upper = _ALIASES.get(upper, upper)
    try:
        return PRIORITY_ORDER.index(upper)
    except ValueError:
        raise ValueError(
            f"unknown priority {priority!r}; one of {', '.join(PRIORITY_ORDER)}"
        ) from None


def _now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def falco_time(rfc3339: str) -> str:
    """``2026-11-28T09:30:00.123456789Z`` -> ``09:30:00.123456789`` (Falco's output prefix)."""
    _, _, clock = rfc3339.partition("T")
    clock = clock.rstrip("Z")
    if "+" in clock:
        clock = clock.split("+", 1)[0]
    seconds, _, fraction = clock.partition(".")
    return f"{seconds}.{(fraction + '000000000')[:9]}" if seconds else rfc3339


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def redact_document(doc: Any) -> Any:
    """The document with every environment's secret-looking values masked (a copy where it
    changes anything): what a full document in an alert or a dead letter may carry."""
    if not isinstance(doc, dict):
        return doc
    process = doc.get("process")
    if not isinstance(process, dict):
        return doc
    redacted = dict(process)
    if "env" in redacted:
        redacted["env"] = mask_env(redacted["env"])
    parent = redacted.get("parent")
    if isinstance(parent, dict) and "env" in parent:
        redacted["parent"] = {**parent, "env": mask_env(parent["env"])}
    return {**doc, "process": redacted}


_SUMMARY_KEYS = ("pid", "ppid", "tid", "name", "exe", "uid", "user")


def process_summary(doc: Any) -> dict[str, Any] | None:
    """Who did it, without arguments or environment: the process's ids and name, its
    container id, its parent's and ancestors' pids and names (what lets a reader, or a test,
    tie an alert to a process tree)."""
    process = _dict(_dict(doc).get("process"))
    if not process:
        return None
    summary = {key: process.get(key) for key in _SUMMARY_KEYS}
    container = process.get("container")
    summary["container_id"] = container.get("id") if isinstance(container, dict) else None
    parent = _dict(process.get("parent"))
    summary["parent"] = {"pid": parent.get("pid"), "name": parent.get("name")}
    ancestors = process.get("ancestors")
    summary["ancestors"] = [
        {"pid": a.get("pid"), "name": a.get("name")}
        for a in (ancestors if isinstance(ancestors, list) else [])
        if isinstance(a, dict)
    ]
    return summary


@dataclass(frozen=True, slots=True)
class AlertBuilder:
    """Builds alerts from verdicts through one field registry.

    ``document``: "summary" (default) puts only the output fields and
    :func:`process_summary` in an alert; "full" adds the evaluated document as ``input``
    (environment values still masked)."""

    registry: FieldRegistry
    hostname: str
    document: str = "summary"

    def __post_init__(self) -> None:
        if self.document not in ALERT_DOCUMENT_MODES:
            raise ValueError(
                f"alert document must be one of {ALERT_DOCUMENT_MODES}, not {self.document!r}"
            )

    def build(
        self,
        doc: dict[str, Any],
        *,
        rule: str,
        priority: str,
        output: str,
        tags: Sequence[str],
        rule_id: str = "",
        output_fields: Sequence[str] = (),
    ) -> dict[str, Any]:
        """One alert line, Falco-compatible (falcosidekick reads it)."""
        event = _dict(doc.get("event"))
        when = event.get("time")
        if not isinstance(when, str):
            when = _now_rfc3339()
        pretty = FALCO_PRIORITY.get(priority.upper(), priority)
        # A rule's message or a command line may quote an environment secret: hide it there
        # too, not only in proc.env.
        secrets = secret_values(doc)
        fields = scrub(self.registry.output_fields(doc, output_fields), secrets)
        context = self.registry.context_text(fields, output_fields)
        output = scrub(output, secrets)
        alert: dict[str, Any] = {
            "uuid": str(uuid.uuid4()),
            "time": when,
            "rule": rule,
            "priority": pretty,
            "source": "syscall",
            "hostname": self.hostname,
            "output": f"{falco_time(when)}: {pretty} {output} {context}",
            "output_fields": fields,
            "tags": sorted(tags),
            "rule_id": rule_id,
            "process": process_summary(doc),
        }
        if self.document == "full":
            alert["input"] = scrub(redact_document(doc), secrets)
        return alert


def internal_alert(
    rule: str, priority: str, message: str, fields: dict[str, Any], hostname: str
) -> dict[str, Any]:
    """Alerts about bpfopa itself (lost events, policy engine down), like Falco's internal ones."""
    when = _now_rfc3339()
    pretty = FALCO_PRIORITY.get(priority.upper(), priority)
    return {
        "uuid": str(uuid.uuid4()),
        "time": when,
        "rule": rule,
        "priority": pretty,
        "source": "internal",
        "hostname": hostname,
        "output": f"{falco_time(when)}: {pretty} {message}",
        "output_fields": fields,
        "tags": ["bpfopa_internal"],
        "rule_id": "",
    }
