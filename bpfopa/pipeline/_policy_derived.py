"""What the pipeline derives from the policies OPA serves: the field projection and the
prefilter, each with the reason it is off when it is.

Apart from the pipeline's assembly and run loop: both are recomputed whenever the policies
change (``PolicyReloader``), and both fall back to sending every document, whole, when they
cannot be proved safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from bpfopa.errors import BpfopaError, OpaUnavailableError, PolicyEngineError
from bpfopa.pipeline._config import PipelineConfig
from bpfopa.pipeline._stages import DedupStage
from bpfopa.policy import OpaClient, ProjectionPlan, derive_plan, load_prefilter

__all__ = ["PolicyDerived"]

log = logging.getLogger(__name__)


class PolicyDerived:
    """The projection and the prefilter of the loaded policies (never fatal: when either
    cannot be had, every document goes to OPA, whole, and the reason is kept)."""

    def __init__(self, client: OpaClient, config: PipelineConfig, dedup_stage: DedupStage) -> None:
        self._client = client
        self._config = config
        self._dedup_stage = dedup_stage
        #: Why documents go to OPA unprojected, when they do.
        self.projection_off_reason: str | None = "not started"
        #: Why every document goes to OPA, when it does.
        self.prefilter_off_reason: str | None = "not started"
        #: What the local policy files read (None: not derived, see ``_plan_error``).
        self.plan: ProjectionPlan | None = None
        self._plan_error = "not derived"
        #: Set while the policies are being swapped: the periodic prefilter refresh waits.
        self.swapping = False

    async def before_swap(self) -> None:
        """Send every document, whole, until :meth:`rederive`."""
        self.swapping = True  # the periodic prefilter refresh must wait
        self._dedup_stage.prefilter = None
        self.prefilter_off_reason = "policies are being reloaded"
        if self._config.opa_projection != "off":
            await self._client.set_projection_plan(None)
            self.projection_off_reason = "policies are being reloaded"

    async def rederive(self, policy_dirs: Sequence[Path] | None = None) -> None:
        """OPA serves other policies now (``policy_dirs``: their files): derive both again."""
        self.swapping = True
        self._plan_error = "not derived"
        await self.derive(policy_dirs)
        self.swapping = False
        await self.load_prefilter()
        await self.setup_projection()

    async def derive(self, policy_dirs: Sequence[Path] | None = None) -> None:
        """What the local policy files read: the field projection's input, and the proof the
        prefilter needs that every rule sees documents only through lib/events.by_syscall."""
        self.plan = self._client.projection_plan  # derived by the caller
        if self.plan is not None:
            return
        dirs = tuple(policy_dirs) if policy_dirs is not None else self._config.policy_dirs
        if not dirs:
            self._plan_error = "no local policy files"
            return
        try:
            self.plan = await asyncio.to_thread(derive_plan, dirs)
        except (BpfopaError, OSError, ValueError, KeyError, TypeError) as exc:
            self._plan_error = f"derivation failed: {exc}"

    def _prefilter_unsound(self) -> str | None:
        """Why the prefilter could drop a document some rule reads, or None."""
        plan = self.plan
        if plan is None:
            return (
                "cannot check that every rule reads documents through lib/events.by_syscall "
                f"({self._plan_error}; give the server's policy files with --policies)"
            )
        if plan.unscoped_rules:
            return "rule packages read documents outside lib/events.by_syscall: " + ", ".join(
                plan.unscoped_rules
            )
        return None

    async def load_prefilter(self) -> None:
        """(Re-)read the prefilter's constants from OPA; never fatal: every document is sent."""
        stage = self._dedup_stage
        if self.swapping:
            return
        if self._config.prefilter == "off":
            self.prefilter_off_reason = "--prefilter off"
            stage.prefilter = None
            return
        unsound = self._prefilter_unsound()
        if unsound is not None:
            if self.prefilter_off_reason != unsound:
                log.warning("policy prefilter off, sending every document to OPA: %s", unsound)
            self.prefilter_off_reason = unsound
            stage.prefilter = None
            return
        try:
            prefilter = await load_prefilter(self._client)
        except OpaUnavailableError as exc:
            # OPA is down (the policy stage buffers meanwhile): keep what we have, retry later.
            log.debug("policy prefilter not refreshed: %s", exc)
            if stage.prefilter is None:
                self.prefilter_off_reason = f"OPA unavailable: {exc}"
            return
        except PolicyEngineError as exc:
            if stage.prefilter is not None or self.prefilter_off_reason == "not started":
                log.warning("policy prefilter off, sending every document to OPA: %s", exc)
            stage.prefilter = None
            self.prefilter_off_reason = str(exc)
            return
        if stage.prefilter is None and self.prefilter_off_reason != "not started":
            log.warning("policy prefilter on again")
        stage.prefilter = prefilter
        self.prefilter_off_reason = None

    async def setup_projection(self) -> None:
        """Apply the projection derived from the policy files (never fatal: full documents)."""
        cfg = self._config
        if cfg.opa_projection == "off":
            self.projection_off_reason = "--opa-projection off"
            await self._client.set_projection_plan(None)
            return
        if self._client.projection_plan is not None:  # derived by the caller
            self.projection_off_reason = None
            return
        plan = self.plan
        if plan is None:
            self.projection_off_reason = self._plan_error
            if cfg.policy_dirs:
                log.warning("field projection off, sending full documents: %s", self._plan_error)
            else:
                log.warning(
                    "field projection off: the policy files of the OPA at %s are unknown "
                    "(give them with --policies DIR); sending full documents",
                    self._client.config.url,
                )
            return
        for site in plan.keep_sites:
            log.warning(
                "field projection: %s:%d uses %s whole (%s)",
                site.file,
                site.row,
                site.path or "the whole document",
                site.reason,
            )
        await self._client.set_projection_plan(plan)
        self.projection_off_reason = None
