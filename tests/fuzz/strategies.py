"""Hypothesis strategies shared by the fuzz targets."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st


def json_trees(
    leaves: st.SearchStrategy[Any],
    *,
    keys: st.SearchStrategy[str] | None = None,
    width: int = 3,
    max_leaves: int = 8,
) -> st.SearchStrategy[Any]:
    """JSON values: null, booleans, numbers and the target's own `leaves`, nested in lists and objects."""
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), leaves
    )
    keys = keys if keys is not None else st.text(max_size=8)
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=width), st.dictionaries(keys, inner, max_size=width)
        ),
        max_leaves=max_leaves,
    )


# Around the bound (channels_app.jsonlimits.MAX_DEPTH), around Python's recursion limit, and the
# 50,000 levels of the outside attack (issue 16).
DEPTHS = [63, 64, 65, 100, 999, 1001, 5_000, 50_000]


@st.composite
def deep_json(draw: st.DrawFn, *, keys: st.SearchStrategy[str] | None = None) -> str:
    """JSON text nested far deeper than any real body, possibly unbalanced or inside an object.

    Text, not a value: json.dumps itself cannot write what these parsers must refuse.
    """
    depth = draw(st.sampled_from(DEPTHS))
    leaf = draw(st.sampled_from(['"x"', '"\\u0000"', "1", "null", "{}", "[]"]))
    kind = draw(st.sampled_from(["array", "object", "mixed"]))
    if kind == "array":
        opening, closing = "[" * depth, "]" * depth
    elif kind == "object":
        opening, closing = '{"a":' * depth, "}" * depth
    else:
        opening = "".join("[" if i % 2 else '{"a":' for i in range(depth))
        closing = "".join("]" if i % 2 else "}" for i in reversed(range(depth)))
    if draw(st.booleans()):
        closing = closing[: draw(st.integers(0, len(closing)))]  # unbalanced: cut short
    text = opening + leaf + closing
    if keys is not None and draw(st.booleans()):
        text = "{" + json.dumps(draw(keys)) + ": " + text + ', "text": "hi"}'
    return text


def with_nul(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Text with a NUL byte somewhere (PostgreSQL cannot store one in text or jsonb)."""
    return st.tuples(text, st.integers(0, 40)).map(lambda t: t[0][: t[1]] + "\x00" + t[0][t[1] :])
