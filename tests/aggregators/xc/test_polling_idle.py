"""The periodic poll tick reads only what it needs: nothing of the messages table when there is no
connector channel, and only the partial index `msg_xc_poll` when there is one (issue 27)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aggregators.xc import jobs, polling
from channels_app.models import Channel, Msg

MSG_TABLE = Msg._meta.db_table


def _sent_messages(channel: Any, count: int, status: str = "sent") -> None:
    now = timezone.now()
    Msg.objects.bulk_create(
        Msg(
            workspace_id=channel.workspace_id,
            channel=channel,
            urn=f"tel:+25078800{i:04d}",
            direction="out",
            status=status,
            external_id=f"ext-{i}",
            created_on=now - timedelta(days=i % 5),
            sent_on=now - timedelta(days=i % 5),
        )
        for i in range(count)
    )


def test_idle_tick_without_connector_channels_never_queries_messages(ex_channel: Any) -> None:
    _sent_messages(ex_channel, 50)  # sent messages on a channel that is not polled
    with CaptureQueriesContext(connection) as queries:
        assert jobs.poll_statuses() == {"poll_wakeups": 0, "poll_expired": 0}
    assert queries.captured_queries, "the tick looks up the connector channels"
    touching = [q["sql"] for q in queries.captured_queries if MSG_TABLE in q["sql"]]
    assert touching == []
    assert len(queries.captured_queries) <= 2


def _plan(queryset: Any) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # With sequential scans priced out, a plan that still has one proves no index fits.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's")
def test_tick_queries_use_the_partial_poll_index(ex_channel: Any) -> None:
    from django.db import transaction

    xc = Channel.objects.create(
        workspace_id=ex_channel.workspace_id, channel_type="XC", name="connector", config={"connector": "x"}
    )
    _sent_messages(ex_channel, 200)
    _sent_messages(xc, 20)
    # As on a live channel, most of its messages with a provider id are past polling
    # (delivered): the provider-id index holds them, the poll index does not, and the planner
    # must know it (on a table this small and without statistics, either index costs the same;
    # the statistics are gathered below, inside a block that is rolled back).
    _sent_messages(xc, 400, status="delivered")
    now = timezone.now()
    ids = polling.connector_channel_ids()
    assert ids == [xc.id]
    queries = [
        polling.due_messages(now=now, channel_id=xc.id),
        polling._candidates(ids).filter(sent_on__lt=now - polling.expiry()).only("id", "metadata")[:1000],
    ]
    for queryset in queries:
        with transaction.atomic():
            # statistics for this plan only: rolled back with the block, so that the planner of
            # later tests on the same database does not see this test's table
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {MSG_TABLE}")
            plan = _plan(queryset)
            transaction.set_rollback(True)
        assert "msg_xc_poll" in plan, plan
        assert f"Seq Scan on {MSG_TABLE}" not in plan, plan
    # And the answers are right: messages of other channels are never candidates.
    assert polling.due_channels(now=now) == [xc.id]
    assert set(
        polling.due_messages(now=now, channel_id=xc.id, limit=100).values_list("channel_id", flat=True)
    ) == {xc.id}
