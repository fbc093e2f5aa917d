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
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from psycopg_pool import AsyncConnectionPool

from channels_app import queue, spool, wakes
from channels_app.models import Msg
from channels_app.services.ingest import InboundRow

logger = logging.getLogger(__name__)

MAX_BATCH = 500

# Columns written for an inbound message; a test checks they cover every NOT NULL column.
MSG_COLUMNS = (
    "uuid", "workspace_id", "channel_id", "urn", "direction", "status", "text", "attachments", "external_id",
    "error", "attempts", "parts", "metadata", "created_on", "modified_on",
)  # fmt: skip
# One statement text whatever the batch size, and one parameter for the rows: a JSON array of
# arrays, encoded by the standard library's C encoder. (Eleven typed arrays cost psycopg about
# 50 us of Python per row to dump, a tenth of the request.) psycopg prepares the statement
# server-side after a few runs, PostgreSQL plans it once; rows go in in queue order (ordinality),
# so a contact's messages keep their arrival order in ids.
_INSERT = (
    f"INSERT INTO {Msg._meta.db_table} ({', '.join(MSG_COLUMNS)}) "
    "SELECT (r->>0)::uuid, (r->>1)::bigint, (r->>2)::bigint, r->>3, 'in', 'pending', r->>4, r->5, r->>6,"
    " '', 0, 1, r->7, (r->>8)::timestamptz, %s"
    " FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS v(r, n) ORDER BY n"
    " ON CONFLICT (channel_id, external_id) WHERE direction = 'in' AND external_id IS NOT NULL"
    " DO NOTHING RETURNING uuid"
)


@dataclass
class _Pending:
    row: InboundRow
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

    def __init__(self, conninfo: str, writers: int = 1) -> None:
        # One writer task per process: while its INSERT waits for the commit, the next requests
        # queue up for the next batch. Two tasks made the batches smaller (4.5 rows under the
        # receive bench's `wrk` load instead of 7.8), so each request paid a bigger share of what
        # a batch costs apart from its rows (the claim pipeline, the statement, the wake-up):
        # 0.56 against 0.40-0.47 ms of web CPU per request.
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

    async def insert(
        self, row: InboundRow, dedupe_key: str | None = None, window: int = 0
    ) -> tuple[str, bool]:
        """Returns (uuid, duplicate) once the row (or the row it duplicates) is committed.

        With a `dedupe_key` and a `window` (seconds), the key is claimed first (ingest.claim's
        rule, batched): a message repeating one claimed within the window is not inserted and
        answers with the uuid of the first. A row not stored gives its claim back."""
        future: asyncio.Future[tuple[str, bool]] = asyncio.get_running_loop().create_future()
        await self.pending.put(_Pending(row, future, dedupe_key if window else None, window))
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
                    results = list(await self._write([p.row for p in fresh]))
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
                        results = await self._write_one_by_one([p.row for p in fresh])
            answers = dict(zip((id(p) for p in fresh), results, strict=True))
            # Wake the handlers before any request is answered: a provider (or a test) that got
            # its 200 finds the handle job already queued.
            stored = {p.row.workspace_id for p in fresh if not isinstance(answers[id(p)], BaseException)}
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
                    pipe.set(p.dedupe_key, str(p.row.uuid), nx=True, ex=p.window)
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

    async def _write_one_by_one(self, batch: list[InboundRow]) -> list[tuple[str, bool] | BaseException]:
        results: list[tuple[str, bool] | BaseException] = []
        for row in batch:
            try:
                results.extend(await self._write([row]))
            except Exception as exc:
                logger.warning("inbound message %s refused by the database: %s", row.uuid, exc)
                results.append(exc)
        return results

    async def _write(self, batch: list[InboundRow]) -> list[tuple[str, bool]]:
        rows = json.dumps(
            [
                [str(row.uuid), row.workspace_id, row.channel_id, row.urn, row.text, row.attachments,
                 row.external_id, row.metadata, row.created_on.isoformat()]
                for row in batch
            ],
            separators=(",", ":"),
        )  # fmt: skip
        async with self.pool.connection() as conn:
            # Committed when it returns (autocommit): every row of the batch, or none of them.
            cursor = await conn.execute(_INSERT, [_utc(time.time()), rows])
            inserted = {row[0] for row in await cursor.fetchall()}
            # A conflicting row is committed: ON CONFLICT waits for a concurrent inserter's outcome.
            conflicts = [row for row in batch if row.uuid not in inserted]
            existing: dict[tuple[int, str], str] = {}
            if conflicts:
                cursor = await conn.execute(
                    f"SELECT channel_id, external_id, uuid FROM {Msg._meta.db_table} "
                    "WHERE direction = 'in' AND channel_id = ANY(%s) AND external_id = ANY(%s)",
                    [
                        list({row.channel_id for row in conflicts}),
                        list({row.external_id for row in conflicts}),
                    ],
                )
                existing = {(found[0], found[1]): str(found[2]) for found in await cursor.fetchall()}
        results: list[tuple[str, bool]] = []
        for row in batch:
            if row.uuid in inserted:
                results.append((str(row.uuid), False))
            else:
                results.append((existing.get((row.channel_id, row.external_id or ""), str(row.uuid)), True))
        return results


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)
