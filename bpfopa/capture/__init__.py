"""Kernel capture: BCC probes, BTF offsets, transports and the live event source."""

from bpfopa.capture._btf import KernelBtf, TaskOffsets
from bpfopa.capture._probes import ProbeConfig, Probes, load_probes
from bpfopa.capture._source import LiveSource, open_live_source

__all__ = [
    "KernelBtf",
    "LiveSource",
    "ProbeConfig",
    "Probes",
    "TaskOffsets",
    "load_probes",
    "open_live_source",
]
