"""The message log's words (services.message_words): each query word is the start of a word of
the text, all of them required, in any order and case; the query is data, never tsquery syntax.
On PostgreSQL through the full-text index, elsewhere as substrings (a superset)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from channels_app.models import Msg
from channels_app.services import message_words
from channels_app.services.message_search import MessageFilter, search_messages
from tests.web.dashboard.conftest import make_msg

TEXTS = {
    "vaccine": "Vaccination day at the Kigali clinic",
    "day_off": "Day off tomorrow",
    "mail": "Send your e-mail to ada@example.org",
    "quote": "It's 3.5kg, don't worry",
    "accents": "Réunion à Gisenyi",
    "pending": "vaccination question",  # still pending: found through msg_inbox, not the index
}


@pytest.fixture
def texts(workspace: Any, ex_channel: Any) -> dict[str, int]:
    made = {
        key: make_msg(ex_channel, text=text, status="handled")
        for key, text in TEXTS.items()
        if key != "pending"
    }
    made["pending"] = make_msg(ex_channel, text=TEXTS["pending"], status="pending")
    made["outbound"] = make_msg(
        ex_channel, direction="out", status="queued", text="Your vaccination card is ready"
    )
    return {key: m.id for key, m in made.items()}


def _found(workspace: Any, query: str) -> set[str]:
    return set(
        search_messages(workspace=workspace, filters=MessageFilter(query=query)).values_list(
            "text", flat=True
        )
    )


def _keys(texts: dict[str, int], workspace: Any, query: str) -> set[str]:
    by_id = {v: k for k, v in texts.items()}
    ids = search_messages(workspace=workspace, filters=MessageFilter(query=query)).values_list(
        "id", flat=True
    )
    return {by_id[i] for i in ids}


def test_every_word_is_required_as_the_start_of_a_word_in_any_order_and_case(
    texts: dict[str, int], workspace: Any
) -> None:
    assert _keys(texts, workspace, "vaccination") == {"vaccine", "pending", "outbound"}  # every status
    assert _keys(texts, workspace, "VACC") == {"vaccine", "pending", "outbound"}  # a prefix, any case
    assert _keys(texts, workspace, "kigali vacc") == {"vaccine"}  # every word, any order
    assert _keys(texts, workspace, "day") == {"vaccine", "day_off"}
    assert _keys(texts, workspace, "day tomorrow") == {"day_off"}
    assert _keys(texts, workspace, "e-mail") == {"mail"}
    assert _keys(texts, workspace, "ada@example.org") == {"mail"}
    assert _keys(texts, workspace, "it's") == {"quote"}
    assert _keys(texts, workspace, "réunion") == {"accents"}
    assert _keys(texts, workspace, "kigali nowhere") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the full-text index is PostgreSQL's")
def test_the_middle_of_a_word_is_not_a_word_on_postgresql(texts: dict[str, int], workspace: Any) -> None:
    assert _keys(texts, workspace, "ccination") == set()
    assert _keys(texts, workspace, "igali") == set()


@pytest.mark.parametrize(
    "query",
    [
        "'",
        "\\",
        "a:* | b",
        "!day",
        "day & !off",
        "(day",
        "<->",
        "''; DROP TABLE channels_app_msg; --",
        "!!!",
        "   ",
    ],
)
def test_query_syntax_is_data_never_an_error(texts: dict[str, int], workspace: Any, query: str) -> None:
    found = _keys(texts, workspace, query)
    words = message_words._WORD.findall(query)
    if not words:
        assert found == set() or query.strip() == ""  # no word: nothing by text ("   " is no filter at all)
    if query == "day & !off":  # "&" and "!" are not operators: "day" and "off" are both required
        assert found == {"day_off"}
    assert Msg.objects.count() == len(texts)


def test_the_fallback_finds_what_postgresql_finds_and_substrings_too(
    texts: dict[str, int], workspace: Any
) -> None:
    """The SQLite arm (substrings), run here on whatever database the suite has."""

    def fallback(query: str) -> set[str]:
        return set(Msg.objects.filter(workspace=workspace).filter(message_words.substring_words(query))
                   .values_list("text", flat=True))  # fmt: skip

    for query in ("vaccination", "VACC", "kigali vacc", "day tomorrow", "it's", "réunion", "kigali nowhere"):
        assert fallback(query) >= _found(workspace, query), query
    assert fallback("igali") == {TEXTS["vaccine"]}  # a substring finds the middle of a word
    assert fallback("!!!") == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's parser")
def test_the_tsquery_quotes_every_lexeme(db: None) -> None:
    assert message_words.query_lexemes("Kigali, VACC kigali") == ["kigali", "vacc"]
    assert message_words.prefix_tsquery(["it", "o'neil", "a\\b"]) == "'it':* & 'o''neil':* & 'a\\\\b':*"
    with connection.cursor() as cursor:  # PostgreSQL reads it back as those lexemes, each a prefix
        cursor.execute("SELECT %s::tsquery::text", [message_words.prefix_tsquery(["o'neil", "a\\b"])])
        assert cursor.fetchone()[0] == "'o''neil':* & 'a\\\\b':*"
