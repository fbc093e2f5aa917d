"""Cutting a long message into parts for providers that take one part a request.

The rule is courier's, so parts look the same as after a move from RapidPro: a part ends at
the first space once it is within six characters of the limit, else at the limit itself.
Each part is trimmed; the text is never rewritten otherwise.
"""

from __future__ import annotations

NEAR_THE_END = 6


def split_parts(text: str, limit: int) -> list[str]:
    if limit <= 0 or len(text) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    for ch in text:
        current.append(ch)
        if len(current) == limit or (len(current) > limit - NEAR_THE_END and ch == " "):
            parts.append("".join(current).strip())
            current = []
    if current:
        parts.append("".join(current).strip())
    return [p for p in parts if p] or [text]
