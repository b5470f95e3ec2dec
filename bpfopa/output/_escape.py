"""Escaping event data for a terminal: it is attacker-controlled (file names, argv, comm).

Interim copy until ``bpfopa.decode.escape_for_terminal`` lands; the lead dedupes them.
"""

from __future__ import annotations

import unicodedata

__all__ = ["escape_for_terminal"]

# Categories that can move the cursor, hide text or reorder it: controls, format characters
# (bidi overrides, zero-width joiners), separators other than the plain space, unassigned.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def escape_for_terminal(text: str) -> str:
    """Replace every character a terminal would interpret with a visible ``\\x..``/``\\u....``."""
    if text.isascii() and text.isprintable():
        return text.replace("\\", "\\\\")
    out: list[str] = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif unicodedata.category(char) in _UNSAFE_CATEGORIES:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{{{code:x}}}")
        else:
            out.append(char)
    return "".join(out)
