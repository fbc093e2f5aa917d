"""Search through indexes (issue 27): a number is an exact normalised URN match; words are the
starts of words of the text, or a substring of the contact's name or URN; the same answers on
SQLite and PostgreSQL, and on PostgreSQL the plans use the words, trigram and URN indexes
instead of walking every row."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from channels_app.models import Contact, ContactURN, Msg
from channels_app.services import message_search, search_terms
from channels_app.services.contact_screens import search_contacts
from channels_app.services.contacts import create_contact
from channels_app.services.message_search import MessageFilter, search_messages
from channels_app.services.message_words import text_has_words
from tests.web.dashboard.conftest import make_msg


@pytest.fixture
def people(workspace: Any, ex_channel: Any) -> dict[str, Any]:
    # ex_channel is in RW: local numbers ("0788…") normalise to +250.
    ann = create_contact(workspace=workspace, name="Ann Mukamana", urn_list=["tel:+250788100001"])
    bob = create_contact(
        workspace=workspace, name="Bob Habimana", urn_list=["tel:+250788100002", "telegram:55501234"]
    )
    cy = create_contact(workspace=workspace, name="Cyiza", urn_list=["tel:+250788200003"])
    return {
        "ann": ann,
        "bob": bob,
        "cy": cy,
        "ann_in": make_msg(ex_channel, text="I want to JOIN", urn="tel:+250788100001", contact=ann),
        "ann_out": make_msg(
            ex_channel, direction="out", status="sent", text="Welcome", urn="tel:+250788100001", contact=ann
        ),  # fmt: skip
        "bob_in": make_msg(ex_channel, text="stop", urn="tel:+250788100002", contact=bob),
        "bob_tg": make_msg(ex_channel, text="hi from telegram", urn="telegram:55501234", contact=bob),
        "pending": make_msg(ex_channel, text="new here", urn="tel:+250788999999", status="pending"),
    }


def _msgs(workspace: Any, query: str) -> set[int]:
    return set(
        search_messages(workspace=workspace, filters=MessageFilter(query=query)).values_list("id", flat=True)
    )


def _ids(*msgs: Any) -> set[int]:
    return {m.id for m in msgs}


def test_number_is_an_exact_normalised_urn_match(workspace: Any, people: dict[str, Any]) -> None:
    expected = _ids(people["ann_in"], people["ann_out"])
    for query in ("+250788100001", "250788100001", "0788 100 001", "0788-100-001"):
        assert _msgs(workspace, query) == expected, query
    # Only that URN's messages, not the contact's other URN ones.
    assert _msgs(workspace, "0788100002") == _ids(people["bob_in"])
    # A message not linked to a contact yet (pending) is found by its own URN.
    assert _msgs(workspace, "0788999999") == _ids(people["pending"])
    # No URN is exactly this number: the URNs containing it.
    assert _msgs(workspace, "78810000") == _ids(
        people["ann_in"], people["ann_out"], people["bob_in"], people["bob_tg"]
    )
    assert _msgs(workspace, "0788777777") == set()


def test_words_match_text_name_or_urn(workspace: Any, people: dict[str, Any]) -> None:
    assert _msgs(workspace, "join") == _ids(people["ann_in"])  # text, any case
    assert _msgs(workspace, "HABIMANA") == _ids(people["bob_in"], people["bob_tg"])  # contact name
    assert _msgs(workspace, "telegram") == _ids(people["bob_tg"], people["bob_in"])  # text and URN scheme
    assert _msgs(workspace, "mana") == _ids(
        people["ann_in"], people["ann_out"], people["bob_in"], people["bob_tg"]
    )
    assert _msgs(workspace, "100%") == set()  # LIKE wildcards are literal


def test_contacts_search_by_number_name_and_urn_without_duplicates(
    workspace: Any, people: dict[str, Any], api: Any
) -> None:
    def screen(query: str) -> list[str]:
        return [c.name for c in search_contacts(workspace=workspace, query=query).rows]

    def via_api(query: str) -> list[str]:
        response = api.get("/api/v1/contacts", {"search": query})
        assert response.status_code == 200, response.content
        return [c["name"] for c in response.json()]

    for find in (screen, via_api):
        assert find("0788100002") == ["Bob Habimana"]
        assert find("+250 788 200 003") == ["Cyiza"]
        assert find("mana") == ["Bob Habimana", "Ann Mukamana"]  # newest first
        assert find("5550") == ["Bob Habimana"]  # a URN substring (telegram), once though it has 2 URNs
        assert find("2507881") == ["Bob Habimana", "Ann Mukamana"]  # no exact URN: substring
        assert find("nobody") == []


def test_common_queries_take_the_subquery_path_with_the_same_answers(
    workspace: Any, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    few = {q: _msgs(workspace, q) for q in ("mana", "78810000", "a")}
    contacts = [c.id for c in search_contacts(workspace=workspace, query="a").rows]
    monkeypatch.setattr(search_terms, "MAX_CONTACT_IDS", 1)
    assert not isinstance(search_terms.match_contacts(workspace_id=workspace.id, query="mana").contacts, list)
    assert {q: _msgs(workspace, q) for q in few} == few
    assert [c.id for c in search_contacts(workspace=workspace, query="a").rows] == contacts


def test_another_workspace_never_matches(
    workspace: Any, people: dict[str, Any], other_workspace: Any
) -> None:
    theirs = create_contact(workspace=other_workspace, name="Ann Other", urn_list=["tel:+250788100001"])
    make_msg(other_workspace.channels.get(), text="JOIN", urn="tel:+250788100001", contact=theirs)
    assert _msgs(workspace, "0788100001") == _ids(people["ann_in"], people["ann_out"])
    assert _msgs(workspace, "join") == _ids(people["ann_in"])
    assert [c.name for c in search_contacts(workspace=workspace, query="ann").rows] == ["Ann Mukamana"]


def _plan(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a Seq Scan left means no index fits
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL plans and trigram indexes")
def test_postgresql_plans_use_the_trigram_and_urn_indexes(workspace: Any, people: dict[str, Any]) -> None:
    # The messages' words index leaves out pending messages (migrations 0018, 0020).
    assert "msg_text_words" in _plan(Msg.objects.exclude(status="pending").filter(text_has_words("join")))
    assert "contact_name_trgm" in _plan(Contact.objects.filter(name__icontains="mana"))
    assert "urn_identity_trgm" in _plan(ContactURN.objects.filter(identity__icontains="5550"))
    by_number = search_messages(workspace=workspace, filters=MessageFilter(query="0788100001"))[:50]
    plan = _plan(by_number)
    assert f"Seq Scan on {Msg._meta.db_table}" not in plan, plan
    # Each arm of a number's condition has an index of its own: on a small table the planner
    # may walk the workspace's index instead, which hides an arm without one; at 10M messages
    # such an arm made it read every row (0.8 s). Without the workspace, only the arms' own
    # indexes are left.
    for number in ("0788100001", "0788999999", "788100"):
        arms = Msg.objects.filter(message_search._text_condition(workspace, number))
        assert f"Seq Scan on {Msg._meta.db_table}" not in _plan(arms), (number, _plan(arms))
    # (which index wins on a table this small is the planner's call; the big-database bench,
    # benchmarks.big, prints the plans at size)
    assert "msg_contact_known" in _plan(
        Msg.objects.filter(contact_id__in=[people["ann"].id]).order_by("-id")[:50]
    )
    by_word = search_messages(workspace=workspace, filters=MessageFilter(query="join"))[:50]
    assert f"Seq Scan on {Msg._meta.db_table}" not in _plan(by_word)
