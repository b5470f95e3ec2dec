"""Absolute forms of syscall path arguments, computed lexically (no filesystem access)."""

from __future__ import annotations

import posixpath
from typing import Final

__all__ = ["AT_FDCWD", "resolve_at", "resolve_path"]

AT_FDCWD: Final = -100
_AT_FDCWD_U32: Final = AT_FDCWD & 0xFFFFFFFF
_AT_FDCWD_U64: Final = AT_FDCWD & 0xFFFFFFFFFFFFFFFF


def _normalize(path: str) -> str:
    normalized = posixpath.normpath(path)
    # POSIX lets an implementation give a leading "//" a meaning, so normpath keeps exactly two
    # slashes; Linux gives it none.
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    return normalized


def resolve_path(path: str, base: str | None) -> str | None:
    """Absolute, normalised form of ``path`` relative to ``base`` (the cwd, or the path of the
    directory fd of an ``*at`` call).

    Purely lexical, like Falco's ``fd.name``: ``.``, ``..`` and repeated slashes are folded
    without reading the filesystem (no realpath), so ``..`` after a symlink is resolved against
    the link's name, not its target, and the result may differ from what the kernel opened.
    Returns ``None`` for an empty path, or for a relative path when ``base`` is unknown or not
    absolute.
    """
    if not path:
        return None
    if path[0] == "/":
        return _normalize(path)
    if not base or base[0] != "/":
        return None
    return _normalize(base + "/" + path)


def resolve_at(
    dirfd: int,
    path: str,
    *,
    cwd: str | None,
    dirfd_path: str | None = None,
    empty_path: bool = False,
) -> str | None:
    """:func:`resolve_path` for an ``*at`` syscall: ``path`` is relative to ``cwd`` when
    ``dirfd`` is ``AT_FDCWD`` (-100, also accepted as its 32/64-bit unsigned form) and to
    ``dirfd_path`` otherwise. With ``empty_path`` (``AT_EMPTY_PATH`` set) an empty ``path``
    names the directory fd itself."""
    base = cwd if dirfd in (AT_FDCWD, _AT_FDCWD_U32, _AT_FDCWD_U64) else dirfd_path
    if not path and empty_path:
        return _normalize(base) if base and base[0] == "/" else None
    return resolve_path(path, base)
