"""Architecture names accepted by the per-architecture tables.

Only a few Linux values differ between x86_64 and arm64 (some open flags, some ptrace requests);
everything else in :mod:`bpfopa.decode` is the same on both and takes no ``arch``.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["DEFAULT_ARCH", "Arch", "normalize_arch"]

Arch = Literal["x86_64", "arm64"]

DEFAULT_ARCH: Final[Arch] = "x86_64"

# uname -m spellings and the Debian/Go ones, so `platform.machine()` can be passed as is.
_ALIASES: Final[dict[str, Arch]] = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "arm64": "arm64",
    "aarch64": "arm64",
}


def normalize_arch(machine: str) -> Arch:
    """Map an architecture name (``uname -m``: ``x86_64``, ``aarch64``, …) to an :data:`Arch`.

    Raises :class:`ValueError` for an architecture whose tables bpfopa does not have: guessing
    would silently mislabel flags whose values differ between architectures.
    """
    try:
        return _ALIASES[machine.lower()]
    except KeyError:
        known = ", ".join(sorted(_ALIASES))
        raise ValueError(f"unsupported architecture {machine!r} (known: {known})") from None
