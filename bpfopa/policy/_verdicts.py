"""What one evaluation returns: alerts, rejected documents and rule faults, and the reading
of OPA's alerts set into them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from bpfopa.errors import PolicyEngineError
from bpfopa.output import PRIORITY_ORDER

__all__ = ["Evaluation", "PolicyAlert", "Rejection", "RuleFault", "parse_alert", "parse_alerts"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PolicyAlert:
    """One element of ``data.bpfopa.main.alerts``; ``index`` points into the evaluated batch."""

    index: int
    rule: str
    id: str
    priority: str
    output: str
    tags: tuple[str, ...]
    #: The rule's METADATA custom.output_fields: registry names its alerts carry besides the
    #: default ones.
    output_fields: tuple[str, ...] = ()

    def shifted(self, offset: int) -> PolicyAlert:
        return replace(self, index=self.index + offset)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A document OPA would not evaluate, and why."""

    document: Any
    reason: str
    status: int


@dataclass(frozen=True, slots=True)
class RuleFault:
    """One rule could not evaluate one document (every other rule did)."""

    rule: str
    document: Any
    reason: str


@dataclass(slots=True)
class Evaluation:
    """The verdicts for one batch: alerts (indices into the batch), isolated rejections, and
    the (rule, document) pairs a faulty rule could not evaluate."""

    alerts: list[PolicyAlert] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    requests: int = 0
    malformed_verdicts: int = 0
    rule_faults: list[RuleFault] = field(default_factory=list)

    def merge(self, other: Evaluation, offset: int = 0) -> None:
        """Add ``other``'s verdicts, whose indices start at ``offset`` of this batch."""
        self.alerts.extend(a.shifted(offset) if offset else a for a in other.alerts)
        self.rejected.extend(other.rejected)
        self.requests += other.requests
        self.malformed_verdicts += other.malformed_verdicts
        self.rule_faults.extend(other.rule_faults)


def parse_alert(item: Any, batch_size: int) -> PolicyAlert | None:
    """One element of the alerts set, or None when it does not keep the contract."""
    if not isinstance(item, dict):
        return None
    index, rule, priority = item.get("index"), item.get("rule"), item.get("priority")
    if not isinstance(index, int) or not 0 <= index < batch_size:
        return None
    if not isinstance(rule, str) or not isinstance(priority, str):
        return None
    priority = priority.upper()
    if priority not in PRIORITY_ORDER:
        return None
    tags = item.get("tags")
    fields = item.get("output_fields")
    return PolicyAlert(
        index=index,
        rule=rule,
        id=str(item.get("id", "")),
        priority=priority,
        output=str(item.get("output", "")),
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        output_fields=tuple(str(f) for f in fields) if isinstance(fields, list) else (),
    )


def parse_alerts(result: Any, batch_size: int, context: str) -> tuple[list[PolicyAlert], int]:
    """``data.bpfopa.main.alerts``'s value for a batch of ``batch_size``: the alerts that keep
    the contract, and how many did not (each logged). Raises :class:`PolicyEngineError` when
    it is not a set at all."""
    if not isinstance(result, list):
        raise PolicyEngineError(
            f"{context}: data.bpfopa.main.alerts is a {type(result).__name__}, not a set"
        )
    alerts: list[PolicyAlert] = []
    malformed = 0
    for item in result:
        alert = parse_alert(item, batch_size)
        if alert is None:
            malformed += 1
            log.warning("ignoring a malformed verdict from the policies: %r", item)
        else:
            alerts.append(alert)
    return alerts, malformed
