"""The bit-set decoder every flag table uses.

A :class:`BitNames` maps single bits to names and decodes a value a byte at a time through
tables precomputed for all 256 values of each byte that has named bits, lowest bit first. Bits
without a name are gathered into one trailing ``"0x…"`` string: nothing is silently dropped.
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

# Per byte of a value: for each of its 256 values, the names of its named bits and the bits
# left without a name. None for a byte that has no named bit at all.
_ByteTable = tuple[tuple[tuple[str, ...], int], ...] | None


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
    _byte_tables: tuple[_ByteTable, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for bit in self.bits:
            if bit <= 0 or bit & (bit - 1):
                raise ValueError(f"{self.bits[bit]}: {bit:#x} is not a single bit")
        # Read-only views: the tables are shared by every caller.
        object.__setattr__(self, "bits", MappingProxyType(dict(self.bits)))
        object.__setattr__(self, "composites", MappingProxyType(dict(self.composites)))
        object.__setattr__(self, "_byte_tables", self._build_byte_tables())

    def _build_byte_tables(self) -> tuple[_ByteTable, ...]:
        tables: list[_ByteTable] = []
        for byte_index in range(8):
            shift = byte_index * 8
            named = {bit >> shift: name for bit, name in self.bits.items() if (bit >> shift) < 256}
            named = {b: n for b, n in named.items() if b}
            if not named:
                tables.append(None)
                continue
            # Each value extends the entry of itself without its lowest bit (lowest name first).
            entries: list[tuple[tuple[str, ...], int]] = [((), 0)] * 256
            for value in range(1, 256):
                low = value & -value
                names, rest = entries[value ^ low]
                name = named.get(low)
                entries[value] = ((name, *names), rest) if name else (names, rest | low)
            tables.append(tuple(entries))
        return tuple(tables)

    def decode(self, value: int, out: list[str]) -> int:
        """Append the names of ``value``'s set bits to ``out`` (lowest bit first).

        Returns the bits that have no name, for the caller to report (see :func:`hex_rest`).
        """
        value &= U64_MASK
        composites = self.composites
        if composites:
            for mask, _ in composites.values():
                if value & mask == mask:
                    return self._decode_with_composites(value, out)
        unknown = 0
        shift = 0
        for table in self._byte_tables:
            if not value:
                break
            byte = value & 0xFF
            if byte:
                if table is None:
                    unknown |= byte << shift
                else:
                    names, rest = table[byte]
                    out.extend(names)
                    unknown |= rest << shift
            value >>= 8
            shift += 8
        return unknown

    def _decode_with_composites(self, value: int, out: list[str]) -> int:
        # Rare (O_SYNC, O_TMPFILE): walk the set bits one by one.
        rest = value
        composites = self.composites
        for anchor, (mask, _) in composites.items():
            if value & mask == mask:
                rest &= ~(mask ^ anchor)
        bits = self.bits
        unknown = 0
        while rest:
            low = rest & -rest
            rest ^= low
            name = bits.get(low)
            if low in composites:
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
