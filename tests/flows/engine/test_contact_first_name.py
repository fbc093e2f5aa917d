"""@contact.first_name is the first word of the name, as the word functions tokenize it."""

from __future__ import annotations

import pytest

from flows.engine.assets import Assets
from flows.engine.contact import Contact
from flows.engine.context import contact_context
from flows.engine.environment import Environment


@pytest.mark.parametrize(
    ("name", "first_name"),
    [
        ("Amina Uwase", "Amina"),
        ("Solo", "Solo"),
        ("  Amina Uwase", "Amina"),  # a leading space does not make an empty first name
        ("Dr. Amina Uwase", "Dr"),  # punctuation ends a word
        ("Jean-Paul Habimana", "Jean"),
        ("O'Neil Smith", "O'Neil"),  # an apostrophe inside a word keeps it whole
        ("Amina\tUwase", "Amina"),
        ("", None),
        ("   ", None),
    ],
)
def test_first_name_is_the_first_word(name: str, first_name: str | None) -> None:
    contact = Contact.from_json({"uuid": "5d76d86b-3bb9-4d5a-b822-c9d86f5d8e4c", "name": name})
    ctx = contact_context(contact, Assets.from_json({}), Environment.from_json({}))
    assert ctx.get("first_name") == first_name
