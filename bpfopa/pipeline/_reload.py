"""Hot reload of the policies (SIGHUP): validated first, swapped atomically, or refused while
the old rules keep running.

1. The policy files are copied to a private staging directory (edits made meanwhile cannot
   reach OPA half-done) and validated there (:func:`bpfopa.policy.validate_policies`:
   ``opa check --strict``, METADATA, syscall names, a strict dry evaluation).
2. A refused set is reported with file:line and the reason, in the log and as an internal
   alert; nothing else changes.
3. An accepted set is served by a new managed OPA, switched to once it answers
   (:meth:`ManagedOpa.swap_policies`); meanwhile documents go to OPA whole and unfiltered.
   The pipeline then derives its projection and prefilter again and captures the syscalls the
   new rules declare (and the kernel filter, where the source has one).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bpfopa.errors import OpaBinaryError, PolicyEngineError
from bpfopa.output import internal_alert
from bpfopa.pipeline._pipeline import Pipeline
from bpfopa.policy import ManagedOpa, PolicyRefusedError, validate_policies

__all__ = ["RULE_POLICY_REFUSED", "RULE_POLICY_RELOADED", "PolicyReloader"]

log = logging.getLogger(__name__)

RULE_POLICY_REFUSED = "bpfopa internal: policy reload refused"
RULE_POLICY_RELOADED = "bpfopa internal: policies reloaded"


class PolicyReloader:
    """Reloads ``managed``'s policies into ``pipeline``; one reload at a time."""

    def __init__(self, pipeline: Pipeline, managed: ManagedOpa | None) -> None:
        self.pipeline = pipeline
        self.managed = managed
        self._lock = asyncio.Lock()
        self.reloads = 0
        self.refusals = 0
        self._tasks: set[asyncio.Task[bool]] = set()

    def request(self) -> None:
        """Reload in the background (the SIGHUP handler)."""
        task = asyncio.get_running_loop().create_task(self.reload(), name="policy-reload")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reload(self) -> bool:
        """True when the new policies are being served, False when they were refused."""
        async with self._lock:
            managed = self.managed
            if managed is None:
                log.warning(
                    "policies are served by --opa-url: reload them there; re-deriving the "
                    "projection, prefilter and syscall set from its current policies"
                )
                await self.pipeline.policies_changed()
                return True
            staged, names = await asyncio.to_thread(managed.stage)
            try:
                await asyncio.to_thread(validate_policies, staged, rename=names)
            except PolicyRefusedError as exc:
                await self._refused([str(p) for p in exc.problems])
                return False
            except (PolicyEngineError, OSError) as exc:
                await self._refused([str(exc)])
                return False
            previous = managed.policies
            await self.pipeline.before_policy_swap()
            try:
                await managed.swap_policies(staged)
            except (PolicyEngineError, OpaBinaryError) as exc:
                await self.pipeline.policies_changed(previous)
                await self._refused([f"the new OPA did not start: {exc}"])
                return False
            await self.pipeline.policies_changed(staged)
            self.reloads += 1
            log.warning("policies reloaded from %s", ", ".join(names.values()))
            await self._publish(
                RULE_POLICY_RELOADED,
                "NOTICE",
                f"Policies reloaded from {', '.join(names.values())}",
                {"policies": list(names.values())},
            )
            return True

    async def _refused(self, problems: list[str]) -> None:
        self.refusals += 1
        log.error("policy reload refused; the old rules keep running:\n  %s", "\n  ".join(problems))
        await self._publish(
            RULE_POLICY_REFUSED,
            "CRITICAL",
            f"Policy reload refused, the previous rules keep running: {'; '.join(problems)}",
            {"problems": problems},
        )

    async def _publish(
        self, rule: str, priority: str, message: str, fields: dict[str, Any]
    ) -> None:
        hostname = self.pipeline.config.hostname
        publish: Callable[[list[dict[str, Any]]], Awaitable[None]] = self.pipeline.publish
        await publish([internal_alert(rule, priority, message, fields, hostname)])

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
