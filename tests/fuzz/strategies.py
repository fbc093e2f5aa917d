"""Hypothesis strategies shared by the fuzz targets."""

from __future__ import annotations

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
