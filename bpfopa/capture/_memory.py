"""Giving back the memory BCC's in-process compiler leaves behind once the probes are loaded.

BCC compiles the probes with clang and LLVM inside this process. Afterwards two things stay
resident that the running service never touches again: the code pages of the compiler
libraries (file-backed, clean: the kernel can read them back from disk whenever a policy
reload compiles again), and the heap the compiler freed but malloc kept. Both count in the
service's RSS, which is what an operator sizes the DaemonSet's memory limit by.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CompilerMemory", "release_compiler_memory"]

log = logging.getLogger(__name__)

# madvise(2): reclaim these pages now; clean file pages are dropped, never written anywhere.
_MADV_PAGEOUT = 21
# The libraries BCC links for its compiler (names as Debian ships them, any LLVM version).
_COMPILER_LIBRARIES = ("libLLVM", "libclang")


@dataclass(frozen=True, slots=True)
class CompilerMemory:
    """What :func:`release_compiler_memory` did, for the log and the tests."""

    mappings: int  # compiler library mappings paged out
    failed: int  # mappings the kernel refused (older kernels lack MADV_PAGEOUT)
    heap_trimmed: bool  # malloc returned freed memory to the kernel


def _compiler_mappings(maps: Path) -> list[tuple[int, int]]:
    """Read-only mappings of the compiler libraries: writable ones hold relocated data that
    must stay as it is."""
    ranges = []
    for line in maps.read_text().splitlines():
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or "w" in fields[1]:
            continue
        name = fields[5].rsplit("/", 1)[-1]
        if name.startswith(_COMPILER_LIBRARIES):
            start, end = (int(bound, 16) for bound in fields[0].split("-"))
            ranges.append((start, end))
    return ranges


def release_compiler_memory(maps: Path = Path("/proc/self/maps")) -> CompilerMemory:
    """Page out the compiler's code and trim malloc's free lists. Safe at any time: every page
    given back is read again on demand; failures only leave the memory where it was."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    libc.madvise.restype = ctypes.c_int
    paged = failed = 0
    for start, end in _compiler_mappings(maps):
        if libc.madvise(start, end - start, _MADV_PAGEOUT) == 0:
            paged += 1
        else:
            failed += 1
            reason = errno.errorcode.get(ctypes.get_errno(), "?")
            log.debug("madvise(MADV_PAGEOUT) refused for %#x-%#x: %s", start, end, reason)
    trimmed = bool(libc.malloc_trim(0)) if hasattr(libc, "malloc_trim") else False
    return CompilerMemory(mappings=paged, failed=failed, heap_trimmed=trimmed)
