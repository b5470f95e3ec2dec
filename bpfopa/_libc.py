"""The process's C library, for the few calls Python's standard library lacks (mmap of a BPF
map at an offset, madvise, malloc_trim). One handle: each user declares the signatures of the
functions it calls."""

from __future__ import annotations

import ctypes

__all__ = ["LIBC", "trim_heap"]

LIBC = ctypes.CDLL(None, use_errno=True)


def trim_heap() -> bool:
    """Hand the pages malloc keeps free back to the kernel (glibc's ``malloc_trim``); False
    when nothing was given back or the C library has no such call."""
    trim = getattr(LIBC, "malloc_trim", None)
    return bool(trim(0)) if trim is not None else False
