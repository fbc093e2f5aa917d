"""JSON from the outside world, with its nesting bounded.

`json.loads` recurses once per level: 50,000 nested brackets (a few hundred kilobytes) raise
RecursionError, which every caller saw as a 500; a few hundred levels get through the parser
and then break whatever walks the value recursively later (masking, encryption, the flow
engine). No message, flow or API body needs anything like that, so deeper input is refused as
bad input, with a message saying so.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class TooDeep(ValueError):
    """Nested deeper than MAX_DEPTH: bad input (a ValueError, like a JSON syntax error)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the JSON is nested too deeply (more than {limit} levels)")


def loads(data: str | bytes, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """json.loads that refuses nesting deeper than max_depth (TooDeep, a ValueError)."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise TooDeep(max_depth) from None
    check_depth(value, max_depth=max_depth)
    return value


def check_depth(value: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Walks without recursion, so the check itself cannot overflow the stack."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= max_depth:
            raise TooDeep(max_depth)
        stack.extend((child, depth + 1) for child in children)
