"""The messages table at a national programme's size (issue 27): few indexes, and every hot query
of the work queues and the screens is served by one of them (no sequential scan of messages)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from channels_app.models import Direction, Msg, MsgStatus
from channels_app.services import contact_screens
from channels_app.services.message_search import MessageFilter, search_messages
from channels_app.services.message_words import text_has_words

MSG_TABLE = Msg._meta.db_table
pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL catalog and plans")


def _indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [MSG_TABLE])
        return dict(cursor.fetchall())


def test_no_single_column_index_a_composite_covers_and_no_status_index(transactional_db: None) -> None:
    indexes = _indexes()
    # Written on every insert: 12 full indexes before issue 27, now 4 (id, uuid, created_on,
    # workspace + id); the rest are partial, written only for the rows in them (work queues,
    # replies, polling, text not pending, messages with a contact, outbound provider ids).
    full = sorted(name for name, definition in indexes.items() if " WHERE " not in definition)
    assert len(full) <= 4, full
    assert "contact_urn_id" not in "\n".join(indexes.values())
    defs = "\n".join(indexes.values())
    full_defs = "\n".join(d for d in indexes.values() if " WHERE " not in d)
    # The foreign keys are served by composites that start with the same column (the contact's
    # by its partial index, below), not by Django's full single-column ones.
    for column in ("workspace_id", "channel_id", "contact_id"):
        assert f"btree ({column})" not in full_defs, defs
    # status only appears in the predicates of the small work-queue indexes, never as a key.
    assert not [d for d in indexes.values() if "(status" in d.split(" WHERE ")[0]], defs
    assert "msg_outbox" in indexes and "msg_inbox" in indexes


def test_contact_links_take_no_row_lock_on_contacts(transactional_db: None) -> None:
    """A foreign key check locks the referenced row (a WAL record on a random contacts page for
    every message); the contact and URN links are kept by Django, not by the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT confrelid::regclass::text FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [MSG_TABLE],
        )
        referenced = {row[0] for row in cursor.fetchall()}
    assert "channels_app_contact" not in referenced and "channels_app_contacturn" not in referenced
    assert "channels_app_channel" in referenced  # the others stay


def _plan(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # Sequential scans priced out: a plan that still has one proves no index fits the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_work_queue_and_screen_queries_use_an_index(workspace: Any, ex_channel: Any) -> None:
    now = timezone.now()
    due = Q(status=MsgStatus.QUEUED) | Q(status=MsgStatus.ERRORED, next_attempt_on__lte=now)
    contact = workspace.contacts.create(name="Ann")
    queries: dict[str, list[Any]] = {
        "msg_outbox": [
            Msg.objects.filter(channel=ex_channel, direction=Direction.OUT).filter(due).order_by("id")[:100],
            Msg.objects.filter(direction=Direction.OUT).filter(due).values("channel_id").distinct(),
            Msg.objects.filter(direction=Direction.OUT, status=MsgStatus.WIRED, modified_on__lt=now),
        ],
        "msg_inbox": [
            Msg.objects.filter(
                workspace=workspace, direction=Direction.IN, status=MsgStatus.PENDING
            ).order_by("id")[:100],
            Msg.objects.filter(direction=Direction.IN, status=MsgStatus.PENDING)
            .values("workspace_id")
            .distinct(),
        ],
        "msg_ws_id": [search_messages(workspace=workspace, filters=MessageFilter())[:50]],
        # (which index a contact's newest page takes is the planner's call at size: the contact's
        # index and a sort, or the workspace's newest messages for a contact with a large share;
        # benchmarks.big prints it at 10M)
        "msg_contact_known": [Msg.objects.filter(contact=contact).values("id", "text")],
        # a status callback's lookup (status.find_outbound) and the inbound dedupe's
        "msg_out_external_id": [
            Msg.objects.filter(channel=ex_channel, direction=Direction.OUT, external_id="abc").order_by(
                "-id"
            )[:1]
        ],
        "unique_inbound_external_id": [
            Msg.objects.filter(channel=ex_channel, direction=Direction.IN, external_id="abc")[:1]
        ],
    }
    for index, querysets in queries.items():
        for queryset in querysets:
            plan = _plan(queryset)
            assert index in plan, plan
            assert f"Seq Scan on {MSG_TABLE}" not in plan, plan
    # The contact page reads through the history service with the same index.
    assert contact_screens.message_history(contact=contact).rows == []


def test_busy_tables_vacuum_by_row_counts_not_fractions(transactional_db: None) -> None:
    """Migration 0011: the default 20% scale factor waits for 2M dead rows at 10M messages."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [MSG_TABLE])
        row = cursor.fetchone()
    assert row is not None
    options = dict(option.split("=", 1) for option in row[0])
    assert options["autovacuum_vacuum_scale_factor"] == "0"
    assert int(options["autovacuum_vacuum_threshold"]) <= 100_000


def test_every_claim_query_of_a_sender_reads_the_outbox_index(ex_channel: Any) -> None:
    """Claim, wire, renew and give back: each statement the sender runs per batch finds its rows
    through an index. Giving claims back by token alone scanned all 10M messages (3-6 s per send
    batch in `make bench-big`), which is what made the end-to-end rate fall at that size."""
    from django.test.utils import CaptureQueriesContext

    from channels_app.services import send

    for n in range(3):
        Msg.objects.create(workspace=ex_channel.workspace, channel=ex_channel, direction=Direction.OUT,
                           status=MsgStatus.QUEUED, urn=f"tel:+25078800000{n}", text="hi", created_on=timezone.now())  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        claimed = send.claim_batch(ex_channel, 2, token="t1")
        send.renew_lease([m.id for m in claimed], token="t1")
        send.wire(claimed[:1], token="t1")
        assert send.release_claims(token="t1") == 1  # the claimed one that was never wired
    statements = [q["sql"] for q in captured.captured_queries if q["sql"].startswith(("SELECT", "UPDATE"))]
    assert any(s.startswith("UPDATE") and 'lease_until" = NULL' in s for s in statements), statements
    for sql in statements:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert f"Seq Scan on {MSG_TABLE}" not in plan, (sql, plan)
    assert Msg.objects.filter(claimed_by="t1", lease_until__isnull=False).count() == 0


def test_the_contact_index_keys_on_the_contact_alone_so_its_entries_deduplicate(
    workspace: Any, ex_channel: Any
) -> None:
    """Migration 0021: on (contact_id, id) every entry was unique, one on a random leaf per
    handled message; on contact_id alone a contact's messages share a posting list (a third of
    the leaves at 10M messages, so a third of the full-page images after a checkpoint)."""
    definition = _indexes()["msg_contact_known"]
    assert "btree (contact_id) WHERE (contact_id IS NOT NULL)" in definition, definition
    assert "msg_contact_id_known" not in _indexes()
    contact = workspace.contacts.create(name="Ann")
    made = [
        Msg.objects.create(
            workspace=workspace,
            channel=ex_channel,
            contact=contact,
            direction=Direction.IN,
            status=MsgStatus.HANDLED,
            urn="tel:+250788000001",
            created_on=timezone.now(),
            text=f"m{n}",
        )  # fmt: skip
        for n in range(30)
    ]
    # the history is newest first however the index orders it, and pages by id
    page = contact_screens.message_history(contact=contact).rows
    assert [m.id for m in page] == [m.id for m in reversed(made)][: len(page)] and len(page) > 1
    older = Msg.objects.filter(contact=contact, id__lt=made[10].id).order_by("-id")
    assert [m.id for m in older] == [m.id for m in reversed(made[:10])]
    with connection.cursor() as cursor:  # deduplication is on (the B-tree default)
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'msg_contact_known'")
        assert "deduplicate_items=off" not in str(cursor.fetchone()[0])


def test_the_text_index_holds_words_and_leaves_out_pending_messages(transactional_db: None) -> None:
    """Migration 0020: the text is indexed by words, not trigrams (one GIN entry per word, not
    per three-character run: about five times less WAL per message). As since 0018, pending
    inbound messages are left out (every status change rewrites the entries: not a HOT update);
    the word search reaches them through msg_inbox."""
    indexes = _indexes()
    definition = indexes["msg_text_words"]
    assert (
        "gin (to_tsvector('simple'::regconfig, text)) WHERE ((status)::text <> 'pending'::text)" in definition
    ), definition
    assert not {"msg_text_trgm", "msg_text_trgm_not_pending"} & set(indexes)  # no trigrams of the text left
    with connection.cursor() as cursor:  # the words' frequencies, which a partial index lacks
        cursor.execute("SELECT stxname FROM pg_statistic_ext WHERE stxrelid = %s::regclass", [MSG_TABLE])
        assert {row[0] for row in cursor.fetchall()} == {"msg_text_words"}


def test_a_word_finds_messages_in_every_status_through_indexes(workspace: Any, ex_channel: Any) -> None:
    now = timezone.now()
    made = {}
    for status in MsgStatus:
        direction = Direction.IN if status in (MsgStatus.PENDING, MsgStatus.HANDLED) else Direction.OUT
        made[status] = Msg.objects.create(workspace=workspace, channel=ex_channel, direction=direction,
                                          status=status, urn="tel:+250788000001", created_on=now,
                                          text=f"Vaccination day, {status} message")  # fmt: skip
    Msg.objects.create(workspace=workspace, channel=ex_channel, direction=Direction.IN, status=MsgStatus.PENDING,
                       urn="tel:+250788000002", created_on=now, text="something else")  # fmt: skip
    found = search_messages(workspace=workspace, filters=MessageFilter(query="vaccination"))
    assert set(found.values_list("id", flat=True)) == {m.id for m in made.values()}
    # Each arm of the text condition can be read through an index (no sequential scan).
    plan = _plan(found[:50])
    assert f"Seq Scan on {MSG_TABLE}" not in plan, plan
    not_pending = Msg.objects.exclude(status=MsgStatus.PENDING).filter(text_has_words("day"))
    assert "msg_text_words" in _plan(not_pending)
