"""Flow expressions come from flow authors and, through @input and @results, from contacts.

Property: parsing and evaluating any expression or template never raises; failures are XError
values, as the engine documents. Inputs are drawn from the expression grammar (every builtin
function, operators, literals, context paths, lambdas), plus raw text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from flows.engine import Environment, FixedClock, evaluate, evaluate_template_with
from flows.engine.functions import FUNCTIONS
from tests.fuzz.conftest import fuzz_settings, tried

ENV = Environment(now=FixedClock(dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)))
CONTEXT: dict[str, Any] = {
    "contact": {"name": "Amina", "age": 31, "fields": {"district": "Gasabo"}, "urns": ["tel:+250788123123"]},
    "input": {"text": "Yes 42 please", "attachments": []},
    "results": {"age": {"value": "31", "category": "Valid"}},
    "items": ["x", "y", 3],
}
PATHS = [
    "contact",
    "contact.name",
    "contact.age",
    "contact.fields.district",
    "input.text",
    "results.age.value",
    "items",
]
OPERATORS = ["+", "-", "*", "/", "^", "&", "=", "!=", "<", "<=", ">", ">="]

literals = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.text(max_size=12).map(lambda s: '"' + s.replace('"', '""') + '"'),
    st.sampled_from(
        [
            "true",
            "false",
            "null",
            "0",
            "-0",
            "1e309",
            "9" * 29,
            "1" + "0" * 40 + ".5",
            '"2024-02-29"',
            '"99:99"',
        ]
    ),
)


def expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        call = st.tuples(st.sampled_from(sorted(FUNCTIONS)), st.lists(inner, max_size=4)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        )
        return st.one_of(
            call,
            st.tuples(inner, st.sampled_from(OPERATORS), inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
            inner.map(lambda e: f"({e})"),
            inner.map(lambda e: f"-{e}"),
            st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
            inner.map(lambda e: f"(v) => {e}"),
        )

    leaves = st.one_of(literals, st.sampled_from(PATHS), st.just("v"))
    return st.recursive(leaves, extend, max_leaves=12)


noise = st.text(alphabet=st.sampled_from(list('@()[]{}".,=<>&+-*/^ abc_019\\')), max_size=40)


@fuzz_settings
@given(st.one_of(expressions(), noise))
def test_expressions_never_raise(expression: str) -> None:
    tried("flows.expression")
    evaluate(expression, CONTEXT, ENV)


@fuzz_settings
@given(st.lists(st.one_of(st.text(max_size=10), expressions().map(lambda e: f"@({e})"), noise), max_size=4))
def test_templates_never_raise(parts: list[str]) -> None:
    tried("flows.template")
    text, errors = evaluate_template_with(" ".join(parts), CONTEXT, ENV)
    assert isinstance(text, str)
    assert all(e.message for e in errors)
