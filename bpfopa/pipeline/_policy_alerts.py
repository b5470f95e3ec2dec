"""The alerts the policy stage publishes: one per verdict at or above the minimum priority,
and the internal alerts for an unavailable or recovered OPA and for rules that fail.

Apart from the stage, which is about sending batches and outliving outages: this is what the
answers become, with the per-rule counts and the rate limit on rule-fault alerts.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bpfopa.output import AlertBuilder, internal_alert, priority_rank
from bpfopa.policy import Evaluation, OpaClient, RuleFault

__all__ = ["RULE_OPA_RECOVERED", "RULE_OPA_UNAVAILABLE", "RULE_RULE_FAULT", "PolicyAlerts"]

log = logging.getLogger(__name__)

Document = dict[str, Any]
Alert = dict[str, Any]

RULE_OPA_UNAVAILABLE = "bpfopa internal: policy engine unavailable"
RULE_OPA_RECOVERED = "bpfopa internal: policy engine recovered"
RULE_RULE_FAULT = "bpfopa internal: rule evaluation error"


class PolicyAlerts:
    """Builds the stage's alerts and counts them."""

    def __init__(
        self,
        client: OpaClient,
        builder: AlertBuilder,
        *,
        hostname: str,
        min_priority: str,
        rule_fault_alert_interval_s: float,
    ) -> None:
        self._client = client
        self._builder = builder
        self._hostname = hostname
        self._min_rank = priority_rank(min_priority)
        self._rule_fault_interval_s = rule_fault_alert_interval_s
        self._rule_alerted: dict[str, float] = {}
        #: Alerts built, by (rule, priority).
        self.alerts_by_rule: Counter[tuple[str, str]] = Counter()
        #: Verdicts below the minimum priority.
        self.filtered_alerts = 0

    def of_evaluation(
        self, docs: list[Document], evaluation: Evaluation, now: float
    ) -> list[Alert]:
        """The alerts of ``evaluation`` (of ``docs``), rule-fault alerts first."""
        alerts: list[Alert] = self._rule_faults(evaluation.rule_faults, now)
        for verdict in evaluation.alerts:
            if priority_rank(verdict.priority) > self._min_rank:
                self.filtered_alerts += 1
                continue
            self.alerts_by_rule[(verdict.rule, verdict.priority)] += 1
            alerts.append(
                self._builder.build(
                    docs[verdict.index],
                    rule=verdict.rule,
                    priority=verdict.priority,
                    output=verdict.output,
                    tags=verdict.tags,
                    rule_id=verdict.id,
                    output_fields=verdict.output_fields,
                )
            )
        return alerts

    def _rule_faults(self, faults: Sequence[RuleFault], now: float) -> list[Alert]:
        """One internal alert per faulty rule, at most every ``rule_fault_alert_interval_s``."""
        if not faults:
            return []
        reasons = {fault.rule: fault.reason for fault in faults}
        alerts = []
        for rule, count in Counter(fault.rule for fault in faults).items():
            last = self._rule_alerted.get(rule)
            if last is not None and now - last < self._rule_fault_interval_s:
                continue
            self._rule_alerted[rule] = now
            reason = reasons[rule][:500]
            log.error("rule %s could not evaluate %d documents: %s", rule, count, reason)
            alerts.append(
                internal_alert(
                    RULE_RULE_FAULT,
                    "ERROR",
                    f"bpfopa internal: rule {rule} could not evaluate {count} documents "
                    f"(every other rule judged them): {reason}",
                    {
                        "rule.id": rule,
                        "n_documents": count,
                        "n_total": self._client.rule_faults[rule],
                        "error": reason,
                    },
                    self._hostname,
                )
            )
        return alerts

    def unavailable(self, error: BaseException, outage_buffer: int) -> Alert:
        """OPA stopped evaluating; events are buffered up to ``outage_buffer``."""
        return internal_alert(
            RULE_OPA_UNAVAILABLE,
            "CRITICAL",
            f"Policy engine unavailable; events are buffered (up to "
            f"{outage_buffer}) until it evaluates again: {error}",
            {"opa.url": self._client.config.url, "error": str(error)},
            self._hostname,
        )

    def recovered(self, buffered: int, dropped: int) -> Alert:
        """OPA evaluates again; ``buffered`` events wait, ``dropped`` did not fit the buffer."""
        return internal_alert(
            RULE_OPA_RECOVERED,
            "NOTICE",
            f"Policy engine recovered; evaluating {buffered} buffered events",
            {"opa.url": self._client.config.url, "buffered": buffered, "dropped": dropped},
            self._hostname,
        )
