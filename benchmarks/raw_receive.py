"""The baseline of benchmarks/receive.py: the fastest honest receive this machine allows.

A self-contained ASGI app (no Django, no Flowgate code) that takes the same form post as
`/c/ex/<uuid>/receive`, inserts the same row into the same table with a psycopg async pool and
group commit (concurrent requests share one INSERT and one COMMIT), and answers 200 only once its
row is committed. It skips what Flowgate must do on top (URN normalisation, the dedupe window,
signatures, the handler wake-up), so Flowgate's rate over this one is the share of the machine's
limit the fast path reaches.

    RAW_DATABASE_URL=postgres://... RAW_CHANNEL_UUID=<uuid> \
        python -m uvicorn benchmarks.raw_receive:app --workers 2 --port 8001
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

COLUMNS = (
    "uuid, workspace_id, channel_id, urn, direction, status, text, attachments, external_id, "
    "error, attempts, parts, metadata, created_on, modified_on"
)
ROW = "(" + ", ".join(["%s"] * 15) + ")"
MAX_BATCH = 500


class Writer:
    def __init__(self) -> None:
        # Autocommit: one INSERT statement per batch is its own transaction (no BEGIN/COMMIT trips).
        self.pool = AsyncConnectionPool(
            os.environ["RAW_DATABASE_URL"], min_size=2, max_size=4, open=False, kwargs={"autocommit": True}
        )
        self.queue: asyncio.Queue[tuple[tuple[Any, ...], asyncio.Future[None]]] = asyncio.Queue()
        self.channel: tuple[int, int] | None = None

    async def start(self) -> None:
        await self.pool.open()
        async with self.pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT id, workspace_id FROM channels_app_channel WHERE uuid = %s",
                [os.environ["RAW_CHANNEL_UUID"]],
            )
            row = await cursor.fetchone()
        assert row is not None, "no channel with RAW_CHANNEL_UUID"
        self.channel = (row[0], row[1])
        for _ in range(2):
            asyncio.get_running_loop().create_task(self.run())

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                async with self.pool.connection() as conn:
                    await conn.execute(
                        f"INSERT INTO channels_app_msg ({COLUMNS}) VALUES "
                        + ", ".join([ROW] * len(batch))
                        + " ON CONFLICT (channel_id, external_id) WHERE direction = 'in'"
                        " AND external_id IS NOT NULL DO NOTHING",
                        [value for row, _ in batch for value in row],
                    )
            except Exception as exc:
                for _, future in batch:
                    future.set_exception(exc)
            else:
                for _, future in batch:
                    future.set_result(None)


writer = Writer()
started: asyncio.Task[None] | None = None


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global started
    if scope["type"] != "http":
        return
    if started is None:
        started = asyncio.get_running_loop().create_task(writer.start())
    await started
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    form = dict(parse_qsl(body.decode()))
    assert writer.channel is not None
    msg_uuid = uuid.uuid4()
    now = datetime.now(UTC)
    row = (
        msg_uuid, writer.channel[1], writer.channel[0], "tel:" + form.get("from", ""), "in", "pending",
        form.get("text", ""), Jsonb([]), None, "", 0, 1, Jsonb({}), now, now,
    )  # fmt: skip
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    await writer.queue.put((row, future))
    try:
        await future
    except Exception:
        status, answer = 503, b'{"error": "not stored"}'
    else:
        status, answer = 200, json.dumps({"message": "Message Accepted", "uuid": str(msg_uuid)}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(answer)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer})
