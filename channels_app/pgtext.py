"""Values PostgreSQL can store as text and jsonb."""

from __future__ import annotations

from typing import Any


def without_nul(value: Any) -> Any:
    """The value with U+0000 dropped from every string, in lists and dicts too.

    PostgreSQL text and jsonb cannot hold U+0000: one such character from a sender or a
    provider's answer would fail a shared INSERT or COPY, and with it a whole batch. It carries
    no meaning in a message, so it is dropped.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value
