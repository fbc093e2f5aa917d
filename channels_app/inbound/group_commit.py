"""The group-commit writer of the ASGI receive path: many requests, one INSERT, one COMMIT.

Concurrent receive requests share one INSERT and one COMMIT on psycopg's async pool; every
request's future resolves only once its row (or the row it duplicates, by provider id) is
committed, so the adapter answers 200 only for a message that is stored.

The dedupe window (ingest.claim: SET NX per message text) is batched here too: one pipelined
Redis round trip per batch on the event loop instead of one blocking call per request in a
thread, and the handler wake-up after the commit is one more. Rows are inserted in queue order
(arrival order), so a contact's messages keep their order in ids.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from channels_app import queue, spool, wakes
from channels_app.models import Msg

logger = logging.getLogger(__name__)

MAX_BATCH = 500

# Columns written for an inbound message; a test checks they cover every NOT NULL column.
MSG_COLUMNS = (
    "uuid", "workspace_id", "channel_id", "urn", "direction", "status", "text", "attachments", "external_id",
    "error", "attempts", "parts", "metadata", "created_on", "modified_on",
)  # fmt: skip
# One statement text whatever the batch size (arrays, not N rows of placeholders): psycopg
# converts it once and prepares it server-side after a few runs, PostgreSQL plans it once.
_INSERT = (
    f"INSERT INTO {Msg._meta.db_table} ({', '.join(MSG_COLUMNS)}) "
    "SELECT u, w, c, urn, d, s, t, a, e, '', 0, 1, m, co, %s FROM unnest("
    "%s::uuid[], %s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::jsonb[], "
    "%s::text[], %s::jsonb[], %s::timestamptz[]) AS v(u, w, c, urn, d, s, t, a, e, m, co)"
    " ON CONFLICT (channel_id, external_id) WHERE direction = 'in' AND external_id IS NOT NULL"
    " DO NOTHING RETURNING uuid"
)


@dataclass
class _Pending:
    msg: Msg
    future: asyncio.Future[tuple[str, bool]]
    dedupe_key: str | None = None
    window: int = 0
    claimed: bool = False  # this row holds its dedupe key (released if it is not stored)
    duplicate_of: str | None = field(default=None)


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
        # Autocommit: a batch is one INSERT statement, atomic on its own and committed when its
        # result arrives; BEGIN and COMMIT would add two round trips to every batch's latency.
        self.pool = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=writers + 2,
            open=False,
            max_idle=30,
            timeout=3,
            kwargs={"autocommit": True},
        )
        self.pending: asyncio.Queue[_Pending] = asyncio.Queue()
        self.writers = writers
        self.tasks: list[asyncio.Task[None]] = []
        self.redis: Any = None

    async def start(self) -> None:
        await self.pool.open()
        self.redis = queue.async_connection()
        self.tasks = [asyncio.create_task(self._run()) for _ in range(self.writers)]

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pool.close()
        if self.redis is not None:
            await self.redis.aclose()

    async def insert(self, msg: Msg, dedupe_key: str | None = None, window: int = 0) -> tuple[str, bool]:
        """Returns (uuid, duplicate) once the row (or the row it duplicates) is committed.

        With a `dedupe_key` and a `window` (seconds), the key is claimed first (ingest.claim's
        rule, batched): a message repeating one claimed within the window is not inserted and
        answers with the uuid of the first. A row not stored gives its claim back."""
        future: asyncio.Future[tuple[str, bool]] = asyncio.get_running_loop().create_future()
        await self.pending.put(_Pending(msg, future, dedupe_key if window else None, window))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self.pending.get()]
            while len(batch) < MAX_BATCH and not self.pending.empty():
                batch.append(self.pending.get_nowait())
            await self._claim(batch)
            fresh = [p for p in batch if p.duplicate_of is None]
            results: list[tuple[str, bool] | BaseException] = []
            if fresh:
                try:
                    results = list(await self._write([p.msg for p in fresh]))
                except Exception as exc:
                    if (
                        spool.is_outage(exc) or len(fresh) == 1
                    ):  # the database is down: every request gets a 503
                        logger.log(
                            logging.WARNING if len(fresh) == 1 else logging.ERROR,
                            "group commit of %d inbound messages failed: %s", len(fresh), exc,
                        )  # fmt: skip
                        results = [exc] * len(fresh)
                    else:
                        # A row the database refuses despite validate()'s checks must not fail the
                        # other tenants' messages that shared its transaction: each row alone.
                        results = await self._write_one_by_one([p.msg for p in fresh])
            answers = dict(zip((id(p) for p in fresh), results, strict=True))
            # Wake the handlers before any request is answered: a provider (or a test) that got
            # its 200 finds the handle job already queued.
            stored = {p.msg.workspace_id for p in fresh if not isinstance(answers[id(p)], BaseException)}
            await self._after_commit(batch, answers, stored)
            for p in batch:
                if p.future.done():
                    continue
                result = answers.get(id(p)) if p.duplicate_of is None else (p.duplicate_of, True)
                if isinstance(result, BaseException):
                    p.future.set_exception(result)
                else:
                    assert result is not None
                    p.future.set_result(result)

    async def _claim(self, batch: list[_Pending]) -> None:
        """The dedupe window for the whole batch: one pipeline of SET NX, one of GET for the losers."""
        claims = [p for p in batch if p.dedupe_key]
        if not claims:
            return
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for p in claims:
                    pipe.set(p.dedupe_key, str(p.msg.uuid), nx=True, ex=p.window)
                won = await pipe.execute()
            lost = [p for p, ok in zip(claims, won, strict=True) if not ok]
            for p, ok in zip(claims, won, strict=True):
                p.claimed = bool(ok)
            if lost:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for p in lost:
                        pipe.get(p.dedupe_key)
                    existing = await pipe.execute()
                for p, value in zip(lost, existing, strict=True):
                    if value:  # expired in between: store it (provider ids still dedupe in the database)
                        p.duplicate_of = value.decode() if isinstance(value, bytes) else str(value)
        except Exception:
            # Redis down: store without the text window rather than refuse the messages.
            logger.warning("inbound dedupe window unavailable (Redis down)", exc_info=True)

    async def _after_commit(
        self, batch: list[_Pending], answers: dict[int, tuple[str, bool] | BaseException], stored: set[int]
    ) -> None:
        """Give back the claims of rows not stored (a provider-id duplicate, a refused row; not an
        outage: the adapter spools that message under its claim) and wake the handlers."""
        release = []
        for p in batch:
            answer = answers.get(id(p))
            if not p.claimed or answer is None:
                continue
            refused = isinstance(answer, BaseException) and not spool.is_outage(answer)
            if refused or (isinstance(answer, tuple) and answer[1]):
                release.append(p.dedupe_key)
        if release:
            try:
                await self.redis.delete(*release)
            except Exception:  # the claims expire with the window anyway
                logger.warning("could not release inbound dedupe claims", exc_info=True)
        for workspace_id in stored:
            await wakes.awake_handler_now(workspace_id, self.redis)

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
        columns: list[list[Any]] = [[] for _ in range(11)]
        for msg in batch:
            for column, value in zip(
                columns,
                (
                    msg.uuid, msg.workspace_id, msg.channel_id, msg.urn, msg.direction, msg.status, msg.text,
                    Jsonb(msg.attachments), msg.external_id, Jsonb(msg.metadata), msg.created_on,
                ),
                strict=True,
            ):  # fmt: skip
                column.append(value)
        async with self.pool.connection() as conn:
            # Committed when it returns (autocommit): every row of the batch, or none of them.
            cursor = await conn.execute(_INSERT, [_utc(time.time()), *columns])
            inserted = {row[0] for row in await cursor.fetchall()}
            # A conflicting row is committed: ON CONFLICT waits for a concurrent inserter's outcome.
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
