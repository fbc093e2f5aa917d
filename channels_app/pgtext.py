"""Values PostgreSQL can store as text and jsonb."""

from __future__ import annotations

from typing import Any


def storable(value: Any) -> Any:
    """The value with every string made storable, in lists and dicts too: U+0000 dropped, a
    lone surrogate replaced by U+FFFD.

    PostgreSQL text and jsonb cannot hold U+0000, and UTF-8 cannot encode a surrogate that is
    not half of a pair (a JSON body may carry one as a `\\ud800` escape, which Python decodes as
    is). One such character from a sender or a provider's answer would fail a shared INSERT or
    COPY, and with it a whole batch, or fail the message's own encoding before it is stored.
    Neither carries meaning: the NUL is dropped, the broken half becomes the replacement
    character, as other decoders (Go's, for one) do.
    """
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, list):
        return [storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    return value


def _storable_text(text: str) -> str:
    text = text.replace("\x00", "")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Through UTF-16 with surrogatepass, a lone half decodes as U+FFFD (pairs stay whole).
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
