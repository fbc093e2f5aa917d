"""The lean ASGI receive path answers exactly like the Django view, over real HTTP."""

from __future__ import annotations

import concurrent.futures
import uuid

import pytest
from django.db import connection

from channels_app import fastpath
from channels_app.inbound import group_commit
from channels_app.models import Msg


@pytest.fixture(params=["fast", "django"])
def path_mode(request, settings) -> str:
    settings.FLOWGATE_FAST_INGEST = request.param == "fast"
    return request.param


def _fast_writes() -> int:
    """Connections the running server's fast path took from its group-commit pool so far."""
    from web.asgi import fast_ingest

    return sum(w.pool.get_stats().get("requests_num", 0) for w in fast_ingest.writers.values())


def test_a_receive_takes_the_fast_path_on_postgresql(live_asgi, ex_channel, settings) -> None:
    """Observed, not restated: a post in fast mode goes through the group-commit writer of the
    live server (its pool hands out a connection); with the fast path off, or on SQLite, the
    same post is stored by the Django view and the writer is never used."""
    on_postgres = connection.vendor == "postgresql"
    with live_asgi.client() as web:
        settings.FLOWGATE_FAST_INGEST = False
        slow = web.post(f"/c/ex/{ex_channel.uuid}/receive", data={"from": "+250788123123", "text": "django"})
        assert slow.status_code == 200, slow.text
        assert _fast_writes() == 0
        settings.FLOWGATE_FAST_INGEST = True
        fast = web.post(f"/c/ex/{ex_channel.uuid}/receive", data={"from": "+250788123123", "text": "lean"})
        assert fast.status_code == 200, fast.text
    assert (_fast_writes() >= 1) == on_postgres
    assert fastpath.enabled() == on_postgres
    assert sorted(Msg.objects.values_list("text", flat=True)) == ["django", "lean"]


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"text": "no sender"}, 400, "missing required field 'from'"),
        ({"from": "+250788123123", "text": "x", "date": "yesterday"}, 400, "RFC 3339"),
        ({"from": "not a number!!", "text": "x"}, 400, "not a valid phone number"),
    ],
)
def test_bad_input_is_refused_the_same_way(live_asgi, ex_channel, path_mode, data, status, message) -> None:
    with live_asgi.client() as web:
        response = web.post(f"/c/ex/{ex_channel.uuid}/receive", data=data)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert not Msg.objects.exists()


def test_unknown_channel_bad_json_and_oversized_bodies(live_asgi, ex_channel, path_mode, settings) -> None:
    with live_asgi.client() as web:
        response = web.post(f"/c/ex/{uuid.uuid4()}/receive", data={"from": "+250788123123", "text": "x"})
        assert response.status_code == 404 and "no active External API channel" in response.json()["error"]
        response = web.post(
            f"/c/ex/{ex_channel.uuid}/receive", content=b"{oops", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400 and "invalid JSON" in response.json()["error"]
        big = b"from=%2B250788123123&text=" + b"x" * settings.FLOWGATE_MAX_BODY_BYTES
        response = web.post(
            f"/c/ex/{ex_channel.uuid}/receive",
            content=big,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 413
    assert not Msg.objects.exists()


def test_a_lone_surrogate_in_a_json_body_is_stored_as_the_replacement_character(
    live_asgi, ex_channel, path_mode
) -> None:
    """`"\\ud800"` is valid JSON and decodes to half a surrogate pair, which UTF-8 cannot
    encode: it once made a 500 (the dedupe key's hash) before anything was stored. The half
    becomes U+FFFD on both paths; the message is accepted, and a whole pair (an emoji) stays."""
    with live_asgi.client() as web:
        for body in (b'{"from": "+250788123123", "text": "a \\ud800 b \\ud83c\\udf89"}',
                     b'{"from": "+250788123124", "text": "c \\udc00", "id": "x\\udfff"}'):  # fmt: skip
            response = web.post(
                f"/c/ex/{ex_channel.uuid}/receive", content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 200, response.text
    stored = {m.urn: (m.text, m.external_id) for m in Msg.objects.all()}
    assert stored == {
        "tel:+250788123123": ("a \ufffd b 🎉", None),
        "tel:+250788123124": ("c \ufffd", "x\ufffd"),
    }


def test_concurrent_posts_are_all_committed_and_external_ids_deduped(
    live_asgi, ex_channel, path_mode
) -> None:
    def post(n: int) -> dict:
        with live_asgi.client() as web:
            # every third post repeats an external id already used: stored once
            data = {"from": f"+2507881231{n:02d}", "text": f"message {n}", "id": f"ext-{n - n % 3}"}
            response = web.post(f"/c/ex/{ex_channel.uuid}/receive", data=data)
            assert response.status_code == 200, response.text
            return response.json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(post, range(60)))
    by_external: dict[str, set[str]] = {}
    for n, answer in enumerate(answers):
        by_external.setdefault(f"ext-{n - n % 3}", set()).add(answer["uuid"])
    assert all(len(uuids) == 1 for uuids in by_external.values())  # one uuid per external id
    stored = Msg.objects.filter(direction="in")
    assert stored.count() == 20
    assert {str(m.uuid) for m in stored} == {u for uuids in by_external.values() for u in uuids}
    first = stored.order_by("id").first()
    assert first is not None and first.status == "pending" and first.urn.startswith("tel:+2507881231")


def test_fixed_response_body(live_asgi, ex_channel, path_mode) -> None:
    ex_channel.config.update({"mo_response": "<ok/>", "mo_response_content_type": "text/xml"})
    ex_channel.save()
    with live_asgi.client() as web:
        response = web.post(f"/c/ex/{ex_channel.uuid}/receive", data={"from": "+250788123123", "text": "hi"})
    assert response.status_code == 200 and response.text == "<ok/>"
    assert response.headers["content-type"].startswith("text/xml")
    assert Msg.objects.get().text == "hi"


def test_fast_path_writes_every_required_column(transactional_db) -> None:
    from django.db.models.fields import NOT_PROVIDED

    # a column the database fills itself (db_default) may be left out of the INSERT
    required = {
        f.column
        for f in Msg._meta.concrete_fields
        if not f.null and not f.primary_key and f.db_default is NOT_PROVIDED
    }
    assert required <= set(group_commit.MSG_COLUMNS), required - set(group_commit.MSG_COLUMNS)


def test_the_dedupe_window_holds_under_concurrent_resends(live_asgi, ex_channel, path_mode, settings) -> None:
    """The fast path claims the window in batches (one Redis pipeline per group commit): ten
    racing copies of one message still store one row and all answer with its uuid."""
    settings.FLOWGATE_INBOUND_DEDUPE_SECONDS = 5

    def post(_: int) -> dict:
        with live_asgi.client() as web:
            response = web.post(
                f"/c/ex/{ex_channel.uuid}/receive", data={"from": "+250788123123", "text": "again"}
            )
            assert response.status_code == 200, response.text
            return response.json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(post, range(10)))
    assert len({a["uuid"] for a in answers}) == 1
    assert sorted(a["data"][0]["duplicate"] for a in answers) == [False] + [True] * 9
    assert Msg.objects.filter(direction="in").count() == 1


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the group commit is the PostgreSQL fast path"
)
def test_the_writer_keeps_the_claim_of_a_stored_row_and_gives_back_the_others(live_asgi, ex_channel) -> None:
    """A row stored keeps its dedupe claim (a resend is a duplicate); a row the database refuses
    and a provider-id duplicate give theirs back, so the provider's retry is not swallowed."""
    import asyncio

    from django.utils import timezone

    from channels_app import queue
    from channels_app.services import ingest

    def row(text: str, external_id: str | None) -> ingest.InboundRow:
        return ingest.InboundRow(uuid=uuid.uuid4(), workspace_id=ex_channel.workspace_id, channel_id=ex_channel.id,
                                 urn="tel:+250788123123", text=text, attachments=[], external_id=external_id,
                                 metadata={}, created_on=timezone.now())  # fmt: skip

    stored, refused, first, again = (
        row("kept", None),
        row("bad\x00row", None),
        row("a", "p-1"),
        row("b", "p-1"),
    )
    keys = {id(m): f"flowgate:test:claim:{m.text}" for m in (stored, refused, first, again)}

    async def run() -> list:
        writer = group_commit.GroupCommitWriter(group_commit.conninfo(), writers=1)
        await writer.start()
        try:
            results = await asyncio.gather(
                *(writer.insert(m, keys[id(m)], 5) for m in (stored, refused, first)), return_exceptions=True
            )
            results.append(await writer.insert(again, keys[id(again)], 5))  # after `first` is committed
            results.append(await writer.insert(row("kept", None), keys[id(stored)], 5))  # a resend
            return results
        finally:
            await writer.close()

    results = asyncio.run(run())
    assert results[0] == (str(stored.uuid), False) and isinstance(results[1], Exception)
    assert results[2] == (str(first.uuid), False)
    assert results[3] == (str(first.uuid), True)  # the provider id dedupes in the database
    assert results[4] == (str(stored.uuid), True)  # the window dedupes before the database
    redis = queue.connection()
    assert redis.get(keys[id(stored)]) == str(stored.uuid).encode()
    assert redis.get(keys[id(first)]) == str(first.uuid).encode()
    assert redis.get(keys[id(refused)]) is None and redis.get(keys[id(again)]) is None
    assert sorted(Msg.objects.values_list("text", flat=True)) == ["a", "kept"]


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the group commit is the PostgreSQL fast path"
)
def test_the_writer_stores_each_row_exactly_and_in_queue_order(live_asgi, ex_channel) -> None:
    """A batch travels as one JSON parameter: every character, attachment, metadata value and
    microsecond comes back as given, and ids follow the order the rows were queued in."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from channels_app.services import ingest

    texts = [
        "quotes \" and ' and \\ backslash",
        "emoji 🎉 and non-BMP 𝄞, tab\tnewline\nend",
        'line separator \u2028 and a json-looking {"a": [1]}',
        "",
        "x" * 5000,
    ]
    base = datetime(2026, 12, 7, 10, 11, 12, 345678, tzinfo=UTC)
    rows = [
        ingest.InboundRow(
            uuid=uuid.uuid4(),
            workspace_id=ex_channel.workspace_id,
            channel_id=ex_channel.id,
            urn=f"tel:+25078812310{i}",
            text=text,
            attachments=[f"image/png:https://example.org/{i}.png"],
            external_id=f"ext-{i}" if i % 2 else None,
            metadata={"n": i, "nested": {"ok": True}},
            created_on=base + timedelta(microseconds=i),
        )  # fmt: skip
        for i, text in enumerate(texts)
    ]

    async def run() -> list:
        writer = group_commit.GroupCommitWriter(group_commit.conninfo())
        await writer.start()
        try:
            # Queued before the writer task looks, so the rows share one batch.
            return await asyncio.gather(*(writer.insert(row) for row in rows))
        finally:
            await writer.close()

    assert asyncio.run(run()) == [(str(row.uuid), False) for row in rows]
    stored = list(Msg.objects.order_by("id"))
    assert [m.uuid for m in stored] == [row.uuid for row in rows]
    for msg, row in zip(stored, rows, strict=True):
        assert (msg.text, msg.urn, msg.external_id) == (row.text, row.urn, row.external_id)
        assert (msg.attachments, msg.metadata, msg.created_on) == (
            row.attachments,
            row.metadata,
            row.created_on,
        )
        assert (msg.direction, msg.status, msg.channel_id) == ("in", "pending", ex_channel.id)
    assert len({m.modified_on for m in stored}) == 1  # one statement
