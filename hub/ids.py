"""Ids made from the words she gave ("Ann next door" -> ann_next_door): she never has to invent one."""

from __future__ import annotations

import re


def fresh_id(words: str, taken: set[str], *, fallback: str, limit: int = 32) -> str:
    """Lower-case letters, digits and _, starting with a letter, and distinct from every id in ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")[:limit] or fallback
    base = base if base[0].isalpha() else f"{fallback[0]}_{base}"[:limit]
    found, number = base, 2
    while found in taken:
        found, number = f"{base}_{number}", number + 1
    return found
