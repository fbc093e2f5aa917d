"""Issue 16 #3: one bad inbound row cannot fail the other tenants' messages in a group commit.

On main a NUL byte in one text (or an over-long `id`) failed the shared INSERT on the PostgreSQL
fast path: the other workspaces' concurrent messages got 503 and the bad one 503 forever.
Real PostgreSQL, real HTTP; the Django view (same prepare step) is checked as well.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from channels_app.inbound import group_commit
from channels_app.models import Channel, Direction, Msg
from channels_app.services import ingest
from channels_app.services.channels import create_channel
from channels_app.workspaces import create_workspace

pytestmark = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the group commit is the PostgreSQL fast path"
)

TENANTS = 40


def _channels(count: int) -> list[Channel]:
    channels = []
    for i in range(count):
        workspace, _ = create_workspace(name=f"Tenant {i}")
        channels.append(
            create_channel(
                workspace=workspace,
                type_code="EX",
                name="EX",
                address="+250788000000",
                country="RW",
                config={"send_url": "http://127.0.0.1:9/send"},
            )  # fmt: skip
        )
    return channels


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "django-view"])
def test_a_nul_byte_or_long_id_fails_only_its_own_message(live_asgi: Any, settings: Any, fast: bool) -> None:
    settings.FLOWGATE_FAST_INGEST = fast
    settings.FLOWGATE_INBOUND_DEDUPE_SECONDS = 0
    channels = _channels(TENANTS)
    bad = {
        0: {"from": "+250788100000", "text": "nul\x00inside", "id": "ok-0"},
        1: {"from": "+250788100001", "text": "long id", "id": "x" * 300},
        2: {"from": "+250788100002", "text": "nul in id", "id": "id\x00two"},
    }

    def post(i: int) -> tuple[int, int, Any]:
        data = bad.get(i, {"from": f"+2507881{i:05d}", "text": f"hello {i}", "id": f"ext-{i}"})
        with live_asgi.client() as web:
            answer = web.post(f"/c/ex/{channels[i].uuid}/receive", data=data)
        return i, answer.status_code, answer.json()

    with concurrent.futures.ThreadPoolExecutor(TENANTS) as pool:
        answers = {i: (status, body) for i, status, body in pool.map(post, range(TENANTS))}

    assert answers[1][0] == 400 and "id is too long" in answers[1][1]["error"]
    for i, (status, body) in answers.items():
        if i != 1:
            assert status == 200, (i, body)
    stored = {m.channel_id: m for m in Msg.objects.filter(direction=Direction.IN)}
    assert len(stored) == TENANTS - 1
    assert stored[channels[0].id].text == "nulinside"  # NUL dropped, the message kept
    assert stored[channels[2].id].external_id == "idtwo"
    assert stored[channels[5].id].text == "hello 5"


def test_a_batch_the_database_refuses_is_retried_row_by_row(live_asgi: Any) -> None:
    """Rows that got past prepare() and still fail: only that row's request fails."""
    channels = _channels(3)

    def row(channel: Channel, text: str) -> ingest.InboundRow:
        return ingest.InboundRow(uuid=uuid.uuid4(), workspace_id=channel.workspace_id, channel_id=channel.id,
                                 urn="tel:+250788123123", text=text, attachments=[], external_id=None,
                                 metadata={}, created_on=timezone.now())  # fmt: skip

    msgs = [row(channels[0], "good one"), row(channels[1], "bad\x00row"), row(channels[2], "good two")]

    async def run() -> list[Any]:
        writer = group_commit.GroupCommitWriter(group_commit.conninfo(), writers=1)
        await writer.start()
        try:
            # Queued before the writer task looks, so all three share one batch.
            return await asyncio.gather(*(writer.insert(m) for m in msgs), return_exceptions=True)
        finally:
            await writer.close()

    results = asyncio.run(run())
    assert results[0] == (str(msgs[0].uuid), False) and results[2] == (str(msgs[2].uuid), False)
    assert isinstance(results[1], Exception)
    assert sorted(Msg.objects.values_list("text", flat=True)) == ["good one", "good two"]
    assert connection.vendor == "postgresql"
