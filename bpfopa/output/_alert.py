"""Alerts in Falco's JSON shape, built from a policy verdict and the evaluated document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = [
    "FALCO_PRIORITY",
    "PRIORITY_ORDER",
    "build_alert",
    "falco_time",
    "internal_alert",
    "output_fields",
    "priority_rank",
]

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


def output_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """Falco's field names, flattened from the document (missing values are null)."""
    event = _dict(doc.get("event"))
    process = _dict(doc.get("process"))
    parent = _dict(process.get("parent"))
    container = process.get("container")
    fd = _dict(event.get("fd"))
    ret = event.get("ret")
    return {
        "evt.time": event.get("time"),
        "evt.type": event.get("name"),
        "evt.res": event.get("error") or ("SUCCESS" if isinstance(ret, int) and ret >= 0 else ret),
        "evt.rawres": ret,
        "evt.count": doc.get("repeat", 1),
        "fd.name": fd.get("name", event.get("path")),
        "fd.num": fd.get("num"),
        "fd.type": fd.get("type"),
        "proc.pid": process.get("pid"),
        "proc.tid": process.get("tid"),
        "proc.name": process.get("name"),
        "proc.exe": process.get("exe"),
        "proc.exepath": process.get("exe"),
        "proc.cmdline": process.get("cmdline"),
        "proc.cwd": process.get("cwd"),
        "proc.tty": process.get("tty"),
        "proc.ppid": process.get("ppid"),
        "proc.pname": parent.get("name"),
        "proc.pcmdline": parent.get("cmdline"),
        "user.name": process.get("user"),
        "user.uid": process.get("uid"),
        "user.loginuid": process.get("loginuid"),
        "group.gid": process.get("gid"),
        "container.id": container.get("id") if isinstance(container, dict) else "host",
    }


def build_alert(
    doc: dict[str, Any],
    *,
    rule: str,
    priority: str,
    output: str,
    tags: list[str] | tuple[str, ...],
    hostname: str,
    rule_id: str = "",
) -> dict[str, Any]:
    """One alert line, Falco-compatible (falcosidekick reads it), plus the evaluated ``input``."""
    event = _dict(doc.get("event"))
    when = event.get("time")
    if not isinstance(when, str):
        when = _now_rfc3339()
    pretty = FALCO_PRIORITY.get(priority.upper(), priority)
    return {
        "time": when,
        "rule": rule,
        "priority": pretty,
        "source": "syscall",
        "hostname": hostname,
        "output": f"{falco_time(when)}: {pretty} {output}",
        "output_fields": output_fields(doc),
        "tags": sorted(tags),
        "rule_id": rule_id,
        "input": doc,
    }


def internal_alert(
    rule: str, priority: str, message: str, fields: dict[str, Any], hostname: str
) -> dict[str, Any]:
    """Alerts about bpfopa itself (lost events, policy engine down), like Falco's internal ones."""
    when = _now_rfc3339()
    pretty = FALCO_PRIORITY.get(priority.upper(), priority)
    return {
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
