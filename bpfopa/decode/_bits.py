"""The bit-set decoder every flag table uses.

A :class:`BitNames` maps single bits to names and decodes a value by walking only its set bits,
lowest first, so the cost is proportional to the number of flags actually set. Bits without a
name are gathered into one trailing ``"0x…"`` string: nothing is silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

__all__ = ["U64_MASK", "BitNames"]

# Syscall arguments are at most 64 bits. Masking also makes negative (sign-extended) Python ints
# finite, which the set-bit walk below needs to terminate.
U64_MASK: Final = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class BitNames:
    """Names of single bits, plus composite names that need several bits together.

    ``composites`` maps an *anchor* bit to ``(mask, name)``: when every bit of ``mask`` is set,
    the anchor bit is reported as ``name`` and the other bits of ``mask`` are not reported on
    their own (e.g. ``O_SYNC`` is ``__O_SYNC|O_DSYNC`` and is reported once, at ``__O_SYNC``'s
    position). Without the full mask the anchor bit gets its plain name from ``bits``.
    """

    bits: Mapping[int, str]
    composites: Mapping[int, tuple[int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for bit in self.bits:
            if bit <= 0 or bit & (bit - 1):
                raise ValueError(f"{self.bits[bit]}: {bit:#x} is not a single bit")
        # Read-only views: the tables are shared by every caller.
        object.__setattr__(self, "bits", MappingProxyType(dict(self.bits)))
        object.__setattr__(self, "composites", MappingProxyType(dict(self.composites)))

    @property
    def known_mask(self) -> int:
        """Every bit that has a name."""
        mask = 0
        for bit in self.bits:
            mask |= bit
        for composite_mask, _ in self.composites.values():
            mask |= composite_mask
        return mask

    def decode(self, value: int, out: list[str]) -> int:
        """Append the names of ``value``'s set bits to ``out`` (lowest bit first).

        Returns the bits that have no name, for the caller to report (see :func:`hex_rest`).
        """
        value &= U64_MASK
        rest = value
        composites = self.composites
        if composites:
            for anchor, (mask, _) in composites.items():
                if value & mask == mask:
                    rest &= ~(mask ^ anchor)
        bits = self.bits
        unknown = 0
        while rest:
            low = rest & -rest
            rest ^= low
            name = bits.get(low)
            if composites and low in composites:
                mask, composite_name = composites[low]
                if value & mask == mask:
                    name = composite_name
            if name is None:
                unknown |= low
            else:
                out.append(name)
        return unknown

    def names(self, value: int) -> list[str]:
        """Names of ``value``'s set bits, lowest first, then unnamed bits as one hex string."""
        out: list[str] = []
        unknown = self.decode(value, out)
        if unknown:
            out.append(hex(unknown))
        return out
