"""Keeping the probes' kernel filter equal to the loaded policies' data.bpfopa.kernel_filter."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any, Literal, Protocol, runtime_checkable

from bpfopa.capture._kfilter import CompiledFilter, KernelFilter, compile_filter
from bpfopa.errors import OpaUnavailableError, PolicyEngineError

__all__ = ["KERNEL_FILTER_MODES", "FilterTarget", "KernelFilterControl", "KernelFilterMode"]

log = logging.getLogger(__name__)

KernelFilterMode = Literal["on", "off"]
KERNEL_FILTER_MODES: tuple[KernelFilterMode, ...] = ("on", "off")
#: The document's path in OPA's data API.
KERNEL_FILTER_PATH = "bpfopa/kernel_filter/syscalls"


@runtime_checkable
class FilterTarget(Protocol):
    """A source whose probes can filter in the kernel (the live source)."""

    @property
    def open_pass_flags(self) -> int: ...

    def set_kernel_filter(self, compiled: CompiledFilter | None) -> None: ...


class DataReader(Protocol):
    async def get_data(self, path: str) -> Any: ...


class KernelFilterControl:
    """Reads the filter from OPA and loads it into the probes when it changed."""

    def __init__(self, mode: KernelFilterMode) -> None:
        self.mode = mode
        self.current: KernelFilter | None = None
        #: Why nothing is filtered in the kernel, when nothing is.
        self.off_reason: str | None = "not started"
        self._document: Any = None
        self._unscoped: tuple[str, ...] | None = None

    async def reload(
        self, client: DataReader, source: object, unscoped_rules: Collection[str] | None
    ) -> None:
        """Read ``data.bpfopa.kernel_filter`` and load it if it (or the set of rules that read
        documents outside by_syscall) changed. ``unscoped_rules``: rule package names
        (``bpfopa.rules.<id>``), None when the policy files could not be analysed. Never fatal:
        on any doubt the probes filter nothing."""
        if not isinstance(source, FilterTarget):
            self.off_reason = "the source does not capture from the kernel"
            return
        if self.mode == "off":
            if self.off_reason != "--kernel-filter off":
                source.set_kernel_filter(None)
            self.off_reason = "--kernel-filter off"
            return
        try:
            document = await client.get_data(KERNEL_FILTER_PATH)
        except OpaUnavailableError as exc:
            log.debug("kernel filter not refreshed: %s", exc)
            return
        unscoped = (
            None
            if unscoped_rules is None
            else tuple(
                sorted(name.split(".")[2] for name in unscoped_rules if name.count(".") >= 2)
            )
        )
        if document == self._document and unscoped == self._unscoped and self.current is not None:
            return
        try:
            new = compile_filter(
                document, pass_flags=source.open_pass_flags, unscoped_rules=unscoped
            )
        except PolicyEngineError as exc:
            log.warning("kernel filter off, every record goes to userspace: %s", exc)
            source.set_kernel_filter(None)
            self.current, self.off_reason = None, str(exc)
            self._document = None
            return
        source.set_kernel_filter(new.compiled if new.filtered else None)
        self.current, self._document, self._unscoped = new, document, unscoped
        self.off_reason = None if new.filtered else "no syscall can be filtered"
        if new.filtered:
            log.info("kernel filter on for %s", ", ".join(sorted(new.filtered)))

    def summary(self) -> dict[str, Any]:
        current = self.current
        return {
            "mode": self.mode,
            "enabled": self.off_reason is None,
            "off_reason": self.off_reason,
            "filtered_syscalls": sorted(current.filtered) if current else [],
            "turned_off": dict(current.off) if current else {},
        }
