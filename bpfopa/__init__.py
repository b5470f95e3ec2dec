"""bpfopa: eBPF syscall capture evaluated by Open Policy Agent."""

from bpfopa.errors import BpfopaError

__all__ = ["BpfopaError", "__version__"]
__version__ = "0.1.0"
