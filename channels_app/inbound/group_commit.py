"""The group-commit writer of the ASGI receive path: many requests, one INSERT, one COMMIT.

Concurrent receive requests share one multi-row INSERT and one COMMIT on psycopg's async pool;
every request's future resolves only once its row (or the row it duplicates, by provider id) is
committed, so the adapter answers 200 only for a message that is stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from channels_app import spool, wakes
from channels_app.models import Msg

logger = logging.getLogger(__name__)

MAX_BATCH = 500

# Columns written for an inbound message; a test checks they cover every NOT NULL column.
MSG_COLUMNS = (
    "uuid", "workspace_id", "channel_id", "urn", "direction", "status", "text", "attachments", "external_id",
    "error", "attempts", "parts", "metadata", "created_on", "modified_on",
)  # fmt: skip
_INSERT_PREFIX = f"INSERT INTO {Msg._meta.db_table} ({', '.join(MSG_COLUMNS)}) VALUES "
_ROW = "(" + ", ".join(["%s"] * len(MSG_COLUMNS)) + ")"
_ON_CONFLICT = (
    " ON CONFLICT (channel_id, external_id) WHERE direction = 'in' AND external_id IS NOT NULL"
    " DO NOTHING RETURNING uuid"
)


def conninfo() -> str:
    """The libpq conninfo of Django's default database (the test database under pytest)."""
    db = connections["default"].settings_dict
    parts = {
        "dbname": db["NAME"],
        "user": db.get("USER") or "",
        "password": db.get("PASSWORD") or "",
        "host": db.get("HOST") or "",
        "port": str(db.get("PORT") or ""),
    }
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


class GroupCommitWriter:
    """Inserts inbound rows for many concurrent requests in shared transactions."""

    def __init__(self, conninfo: str, writers: int = 2) -> None:
        # A short wait for a connection: while PostgreSQL is down a request is spooled to disk
        # (channels_app.spool) instead of hanging until the aggregator gives up.
        self.pool = AsyncConnectionPool(
            conninfo, min_size=1, max_size=writers + 2, open=False, max_idle=30, timeout=3
        )
        self.pending: asyncio.Queue[tuple[Msg, asyncio.Future[tuple[str, bool]]]] = asyncio.Queue()
        self.writers = writers
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.pool.open()
        self.tasks = [asyncio.create_task(self._run()) for _ in range(self.writers)]

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pool.close()

    async def insert(self, msg: Msg) -> tuple[str, bool]:
        """Returns (uuid, duplicate) once the row (or the row it duplicates) is committed."""
        future: asyncio.Future[tuple[str, bool]] = asyncio.get_running_loop().create_future()
        await self.pending.put((msg, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self.pending.get()]
            while len(batch) < MAX_BATCH and not self.pending.empty():
                batch.append(self.pending.get_nowait())
            try:
                results: list[tuple[str, bool] | BaseException] = list(
                    await self._write([msg for msg, _ in batch])
                )
            except Exception as exc:
                if spool.is_outage(exc) or len(batch) == 1:  # the database is down: every request gets a 503
                    logger.log(
                        logging.WARNING if len(batch) == 1 else logging.ERROR,
                        "group commit of %d inbound messages failed: %s", len(batch), exc,
                    )  # fmt: skip
                    results = [exc] * len(batch)
                else:
                    # A row the database refuses despite prepare()'s checks must not fail the
                    # other tenants' messages that shared its transaction: each row alone.
                    results = await self._write_one_by_one([msg for msg, _ in batch])
            # Wake the handlers before any request is answered: a provider (or a test) that got
            # its 200 finds the handle job already queued. A Redis round trip: off the event loop.
            for workspace_id in {msg.workspace_id for msg, _ in batch}:
                try:
                    await asyncio.to_thread(wakes.wake_handler_now, workspace_id)
                except Exception:  # the sweeper re-wakes handlers for anything left pending
                    logger.warning("could not wake the inbound handler", exc_info=True)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def _write_one_by_one(self, batch: list[Msg]) -> list[tuple[str, bool] | BaseException]:
        results: list[tuple[str, bool] | BaseException] = []
        for msg in batch:
            try:
                results.extend(await self._write([msg]))
            except Exception as exc:
                logger.warning("inbound message %s refused by the database: %s", msg.uuid, exc)
                results.append(exc)
        return results

    async def _write(self, batch: list[Msg]) -> list[tuple[str, bool]]:
        now = time.time()
        params: list[Any] = []
        for msg in batch:
            params.extend(
                (
                    msg.uuid, msg.workspace_id, msg.channel_id, msg.urn, msg.direction, msg.status, msg.text,
                    Jsonb(msg.attachments), msg.external_id, "", 0, 1, Jsonb(msg.metadata), msg.created_on,
                    _utc(now),
                )
            )  # fmt: skip
        async with self.pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                _INSERT_PREFIX + ", ".join([_ROW] * len(batch)) + _ON_CONFLICT, params
            )
            inserted = {row[0] for row in await cursor.fetchall()}
            conflicts = [m for m in batch if m.uuid not in inserted]
            existing: dict[tuple[int, str], str] = {}
            if conflicts:
                cursor = await conn.execute(
                    f"SELECT channel_id, external_id, uuid FROM {Msg._meta.db_table} "
                    "WHERE direction = 'in' AND channel_id = ANY(%s) AND external_id = ANY(%s)",
                    [list({m.channel_id for m in conflicts}), list({m.external_id for m in conflicts})],
                )
                existing = {(row[0], row[1]): str(row[2]) for row in await cursor.fetchall()}
        results: list[tuple[str, bool]] = []
        for msg in batch:
            if msg.uuid in inserted:
                results.append((str(msg.uuid), False))
            else:
                results.append((existing.get((msg.channel_id, msg.external_id or ""), str(msg.uuid)), True))
        return results


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)
