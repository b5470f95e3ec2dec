"""What one evaluation returns: alerts, rejected documents and rule faults."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Evaluation", "PolicyAlert", "Rejection", "RuleFault"]


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
