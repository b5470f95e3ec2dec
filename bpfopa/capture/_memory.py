"""Giving back the memory BCC's in-process compiler leaves behind once the probes are loaded.

BCC compiles the probes with clang and LLVM inside this process. Afterwards two things stay
resident that the running service never touches again: the pages of the compiler libraries
(file-backed: the kernel reads them back from disk whenever a policy reload compiles again),
and the heap the compiler freed but malloc kept. Both count in the service's RSS, which is what
an operator sizes the DaemonSet's memory limit by.
"""

from __future__ import annotations

import ctypes
import errno
import logging
from dataclasses import dataclass
from pathlib import Path

from bpfopa._libc import LIBC, trim_heap

__all__ = ["CompilerMemory", "release_compiler_memory"]

log = logging.getLogger(__name__)

# madvise(2). DONTNEED unmaps pages from this process only; on a mapping with no private
# (copied-on-write) pages the file holds every byte, so nothing is lost. PAGEOUT asks the kernel
# to reclaim: it keeps private pages (no swap) and skips pages other processes map too.
_MADV_DONTNEED = 4
_MADV_PAGEOUT = 21
# The libraries BCC links for its compiler (names as Debian ships them, any LLVM version).
_COMPILER_LIBRARIES = ("libLLVM", "libclang")


@dataclass(frozen=True, slots=True)
class CompilerMemory:
    """What :func:`release_compiler_memory` did, for the log and the tests."""

    mappings: int  # compiler library mappings given back
    failed: int  # mappings the kernel refused (older kernels lack MADV_PAGEOUT)
    heap_trimmed: bool  # malloc returned freed memory to the kernel


def _compiler_mappings(smaps: Path) -> list[tuple[int, int, bool]]:
    """(start, end, has private pages) of each read-only mapping of the compiler libraries.
    Writable mappings hold data the libraries still use."""
    ranges: list[tuple[int, int, bool]] = []
    current: list[int] | None = None
    for line in smaps.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "Anonymous:":
            if current is not None:
                ranges.append((current[0], current[1], int(fields[1]) > 0))
            current = None
        elif len(fields) >= 6 and "-" in fields[0] and not fields[0].endswith(":"):
            current = None
            name = fields[5].rsplit("/", 1)[-1]
            if "w" not in fields[1] and name.startswith(_COMPILER_LIBRARIES):
                current = [int(bound, 16) for bound in fields[0].split("-")]
    return ranges


def release_compiler_memory(smaps: Path = Path("/proc/self/smaps")) -> CompilerMemory:
    """Give back the compiler's pages and trim malloc's free lists. Safe at any time: every page
    given back is read again from its file on demand; failures only leave memory where it was."""
    madvise = LIBC.madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    released = failed = 0
    for start, end, has_private in _compiler_mappings(smaps):
        advice = _MADV_PAGEOUT if has_private else _MADV_DONTNEED
        if madvise(start, end - start, advice) == 0:
            released += 1
        else:
            failed += 1
            reason = errno.errorcode.get(ctypes.get_errno(), "?")
            log.debug("madvise(%d) refused for %#x-%#x: %s", advice, start, end, reason)
    return CompilerMemory(mappings=released, failed=failed, heap_trimmed=trim_heap())
