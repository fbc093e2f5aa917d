"""A lean ASGI path for inbound `/c/<type>/<uuid>/receive` webhooks on PostgreSQL.

Inbound receive is the hottest path: aggregators post bursts and retry when we are slow. A
Django view spends most of its time in middleware, the ORM and a thread hop per request, and
commits once per message. This path parses with the channel type's own `parse_inbound` hook
(the same code the Django view runs, so both accept and refuse exactly the same input), then
hands the row to a group-commit writer: concurrent requests share one multi-row INSERT and
one COMMIT on psycopg's async pool. Every request still gets its 200 only after its row is
committed, so an accepted message is never lost.

Anything this path does not handle (another action, a multipart body, SQLite) goes to Django.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import psycopg
from django.conf import settings
from django.db import connections
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from channels_app import inbound_auth, queue, spool
from channels_app.inbound import InboundRequest
from channels_app.models import Channel, Msg
from channels_app.services import ingest
from channels_app.types.registry import UnknownChannelType, get_type_by_slug
from channels_app.urns import InvalidURN
from channels_app.views import BadRequest

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]

ROUTE = re.compile(r"^/c/(?P<slug>[a-z0-9-]+)/(?P<uuid>[0-9a-fA-F-]{36})/receive/?$")
CHANNEL_CACHE_SECONDS = 10.0
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


# Shared by every FastIngest in the process so channel changes can evict entries (forget_channel).
_channel_cache: dict[tuple[str, str], tuple[float, Channel | None]] = {}


def forget_channel(channel_uuid: str) -> None:
    for key in [k for k in _channel_cache if k[1] == channel_uuid.lower()]:
        _channel_cache.pop(key, None)


def enabled() -> bool:
    return getattr(settings, "FLOWGATE_FAST_INGEST", True) and connections["default"].vendor == "postgresql"


def _conninfo() -> str:
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
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
            for workspace_id in {msg.workspace_id for msg, _ in batch}:
                try:
                    queue.wake_now(
                        "handle",
                        "channels_app.jobs.handle_inbound",
                        workspace_id,
                        key=f"handle:{workspace_id}",
                    )
                except Exception:  # the sweeper re-wakes handlers for anything left pending
                    logger.warning("could not wake the inbound handler", exc_info=True)

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


def _utc(timestamp: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, tz=UTC)


class FastIngest:
    """ASGI middleware answering receive webhooks of types that implement `parse_inbound`."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[Any]]) -> None:
        self.app = app
        self.writers: dict[asyncio.AbstractEventLoop, GroupCommitWriter] = {}
        self.channels = _channel_cache
        if enabled():
            spool.start_replayer_if_pending()  # messages a previous run spooled and did not replay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = ROUTE.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope["method"] not in ("GET", "POST") or not enabled():
            return await self.app(scope, receive, send)
        try:
            channel_type = get_type_by_slug(match["slug"])
        except UnknownChannelType:
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        content_type = headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() == "multipart/form-data":
            return await self.app(scope, receive, send)

        limit = settings.FLOWGATE_MAX_BODY_BYTES
        declared = headers.get("content-length", "0")
        if not declared.isdigit():
            return await _json(send, 400, {"error": "invalid Content-Length header"})
        if int(declared) > limit:
            return await _json(
                send, 413, {"error": f"request body too large: {declared} bytes, the limit is {limit}"}
            )
        body = await _read_body(receive, limit)
        if body is None:
            return await _json(send, 413, {"error": f"request body too large, the limit is {limit}"})

        try:
            channel = await self._channel(channel_type.code, match["uuid"])
        except spool.UnknownDuringOutage as exc:
            return await _json(send, 503, {"error": str(exc)}, retry_after=spool.RETRY_AFTER_SECONDS)
        if channel is None:
            return await _json(
                send, 404, {"error": f"no active {channel_type.name} channel with uuid {match['uuid']}"}
            )
        denied = await inbound_auth.check_asgi(channel, scope, headers, body)  # before anything is stored
        if denied is not None:
            return await inbound_auth.send_denied(send, denied)
        request = InboundRequest(
            method=scope["method"],
            content_type=content_type.lower(),
            query=dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)),
            body=body,
        )
        try:
            fields = channel_type.parse_inbound(channel, request)
            if fields is None:
                return await self.app(scope, _replay(body), send)
            prepared = ingest.prepare(
                channel=channel, sender=fields.sender, text=fields.text, external_id=fields.external_id,
                received_on=fields.received_on, attachments=fields.attachments,
            )  # fmt: skip
        except (BadRequest, InvalidURN, ingest.InvalidInbound) as exc:
            return await _json(send, 400, {"error": str(exc)})

        if prepared.duplicate_of:
            received = ingest.Received(uuid=prepared.duplicate_of, urn=prepared.msg.urn, duplicate=True)
        else:
            try:
                received = await self._store(prepared)
            except psycopg.DataError as exc:  # this row can never be stored: retrying will not help
                with contextlib.suppress(Exception):
                    ingest.release(prepared)
                return await _json(send, 400, {"error": f"the message cannot be stored: {exc}".strip()})
            except Exception as exc:
                with contextlib.suppress(Exception):
                    ingest.release(prepared)
                logger.warning("inbound message not stored: %s", exc)
                return await _json(
                    send,
                    503,
                    {"error": "temporarily unable to store the message, retry"},
                    retry_after=spool.RETRY_AFTER_SECONDS,
                )
        status, response_type, payload = channel_type.inbound_response(channel, received, fields)
        await _respond(send, status, response_type, payload)

    async def _store(self, prepared: ingest.Prepared) -> ingest.Received:
        """Insert through the group-commit writer, or spool to disk while PostgreSQL is down."""
        if not spool.db_recently_down():
            try:
                msg_uuid, duplicate = await (await self._writer()).insert(prepared.msg)
            except Exception as exc:
                if not spool.is_outage(exc):
                    raise
                spool.mark_db_down()
            else:
                if duplicate:
                    ingest.release(prepared)
                return ingest.Received(uuid=msg_uuid, urn=prepared.msg.urn, duplicate=duplicate)
        # fsync blocks: off the event loop. Raises SpoolUnavailable (full, disk error) -> 503.
        return await asyncio.to_thread(ingest.spool_prepared, prepared)

    async def _writer(self) -> GroupCommitWriter:
        loop = asyncio.get_running_loop()
        writer = self.writers.get(loop)
        if writer is None:
            writer = self.writers[loop] = GroupCommitWriter(_conninfo())
            await writer.start()
        return writer

    async def _channel(self, code: str, channel_uuid: str) -> Channel | None:
        key = (code, channel_uuid.lower())
        now = time.monotonic()
        cached = self.channels.get(key)
        if cached and cached[0] > now:
            return cached[1]
        try:
            parsed = uuid.UUID(channel_uuid)
        except ValueError:
            return None
        if spool.db_recently_down():
            return spool.recall_channel(code, channel_uuid)
        try:
            writer = await self._writer()
            async with writer.pool.connection() as conn:
                cursor = await conn.execute(
                    f"SELECT id, workspace_id, name, address, country, config FROM {Channel._meta.db_table} "
                    "WHERE uuid = %s AND channel_type = %s AND is_active",
                    [parsed, code],
                )
                row = await cursor.fetchone()
        except Exception as exc:
            if not spool.is_outage(exc):
                raise
            spool.mark_db_down()  # answer from the channels this process has seen (or 503)
            return spool.recall_channel(code, channel_uuid)
        channel = None
        if row is not None:
            channel = Channel(id=row[0], uuid=parsed, workspace_id=row[1], channel_type=code, name=row[2],
                              address=row[3], country=row[4], config=row[5], is_active=True)  # fmt: skip
            spool.remember_channel(channel)
        if len(self.channels) > 10_000:
            self.channels.clear()
        self.channels[key] = (now + CHANNEL_CACHE_SECONDS, channel)
        return channel

    def close_sync(self, timeout: float = 5.0) -> None:
        """Close the pools from another thread (tests stopping a server before dropping the DB)."""
        for loop, writer in list(self.writers.items()):
            if loop.is_running():
                asyncio.run_coroutine_threadsafe(writer.close(), loop).result(timeout)
        self.writers.clear()
        self.channels.clear()


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # like a client that stays connected
        return {"type": "http.disconnect"}

    return receive


async def _respond(
    send: Send, status: int, content_type: str, body: bytes, retry_after: int | None = None
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, status: int, payload: dict[str, Any], retry_after: int | None = None) -> None:
    await _respond(send, status, "application/json", json.dumps(payload).encode(), retry_after)
