"""Every documented example of goflow's expression language, evaluated in goflow's docgen session.

The examples (template -> exact output, ERROR when evaluation must fail) are the language's
specification for each function, operator, type and router test; the fixture in docgen/ keeps
only those pairs and the session they are evaluated in, so this runs without ../shared. Each
item gets a fresh scope: the seeded random source makes rand() depend on what ran before.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows.engine.conformance import INFORMATIVE, docgen_scope
from flows.engine.context import TOP_LEVELS
from flows.engine.template import evaluate_template

DOCGEN = Path(__file__).parent / "docgen"
ITEMS: dict[str, list[dict[str, str]]] = {
    key: item["examples"]
    for key, item in json.loads((DOCGEN / "extracted" / "excellent_examples.json").read_text())[
        "items"
    ].items()
    # rand_between's outputs depend on goflow's random generator, which we don't reproduce
    if key not in INFORMATIVE
}


def test_the_fixture_covers_the_whole_language() -> None:
    tags = {key.split(":")[0] for key in ITEMS}
    assert tags == {"function", "operator", "test", "type"}
    assert sum(len(examples) for examples in ITEMS.values()) == 488


@pytest.mark.parametrize("key", sorted(ITEMS))
def test_documented_examples(key: str) -> None:
    scope = docgen_scope(DOCGEN)
    got = []
    for example in ITEMS[key]:
        text, errors = evaluate_template(example["template"], scope, TOP_LEVELS)
        got.append((example["template"], "ERROR" if errors else text))
    assert got == [(e["template"], e["expected"]) for e in ITEMS[key]]
