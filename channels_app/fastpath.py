"""A lean ASGI path for inbound `/c/<type>/<uuid>/receive` webhooks on PostgreSQL.

Inbound receive is the hottest path: aggregators post bursts and retry when we are slow. A
Django view spends most of its time in middleware, the ORM and a thread hop per request, and
commits once per message. This adapter reads the body, resolves the channel through the shared
resolver (channels_app.inbound.resolver), parses with the channel type's own `parse_inbound`
hook (the same code the Django view runs, so both accept and refuse exactly the same input) and
hands the row to the group-commit writer (channels_app.inbound.group_commit). Every request
still gets its 200 only after its row is committed, so an accepted message is never lost.
Refusals come from the same table as the Django view's (channels_app.inbound.errors).

Nothing blocking runs on the event loop. Parsing and validation (`ingest.validate`) are pure CPU:
a webhook of a few hundred bytes is parsed on the loop, since a thread hop costs more than the
parse itself (and contends for the GIL); a large body goes to a worker thread so it cannot stall
the other requests. The dedupe window (a Redis SET NX per message) is claimed by the group-commit
writer, one pipelined round trip per batch on the loop; the channel row is read on the async pool.

Anything this path does not handle (another action, a multipart body, SQLite) goes to Django.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import psycopg
from django.conf import settings
from django.db import connections

from channels_app import inbound_auth, spool
from channels_app.inbound import errors, resolver
from channels_app.inbound.group_commit import GroupCommitWriter, conninfo
from channels_app.inbound.request import InboundFields, InboundRequest
from channels_app.models import Channel
from channels_app.services import ingest
from channels_app.types.base import ChannelType
from channels_app.types.registry import UnknownChannelType, get_type_by_slug

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]

ROUTE = re.compile(r"^/c/(?P<slug>[a-z0-9-]+)/(?P<uuid>[0-9a-fA-F-]{36})/receive/?$")


# Bodies up to this size are parsed on the event loop (tens of microseconds); larger ones in a thread.
INLINE_PARSE_BYTES = 16 * 1024


def enabled() -> bool:
    return getattr(settings, "FLOWGATE_FAST_INGEST", True) and _on_postgresql()


@functools.cache
def _on_postgresql() -> bool:
    # The vendor of a process's default database never changes; looking it up goes through
    # Django's per-context connection handler on every request otherwise.
    return connections["default"].vendor == "postgresql"


def _parse(
    channel_type: ChannelType, channel: Channel, request: InboundRequest
) -> tuple[InboundFields, ingest.Prepared] | None:
    """The type's parser, then validation (no I/O: the dedupe claim is the writer's)."""
    fields = channel_type.parse_inbound(channel, request)
    if fields is None:
        return None
    prepared = ingest.validate(
        channel=channel, sender=fields.sender, text=fields.text, external_id=fields.external_id,
        received_on=fields.received_on, attachments=fields.attachments,
    )  # fmt: skip
    return fields, prepared


def _claim_and_spool(prepared: ingest.Prepared) -> ingest.Received:
    """In a thread, while PostgreSQL is down: the dedupe claim, then the disk spool."""
    ingest.claim(prepared)
    own = str(prepared.row.uuid)
    if prepared.duplicate_of and prepared.duplicate_of != own:  # own: the writer claimed it already
        return ingest.Received(uuid=prepared.duplicate_of, urn=prepared.row.urn, duplicate=True)
    prepared.duplicate_of = None
    return ingest.spool_prepared(prepared)


class FastIngest:
    """ASGI middleware answering receive webhooks of types that implement `parse_inbound`."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[Any]]) -> None:
        self.app = app
        self.writers: dict[asyncio.AbstractEventLoop, GroupCommitWriter] = {}
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
            channel = await resolver.aresolve(channel_type.code, match["uuid"], self._fetch_channel)
        except spool.UnknownDuringOutage as exc:
            return await _refuse(send, exc)
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
            if len(body) <= INLINE_PARSE_BYTES:
                parsed = _parse(channel_type, channel, request)
            else:
                parsed = await asyncio.to_thread(_parse, channel_type, channel, request)
        except Exception as exc:
            return await _refuse(send, exc)
        if parsed is None:
            return await self.app(scope, _replay(body), send)
        fields, prepared = parsed

        try:
            received = await self._store(prepared)
        except psycopg.DataError as exc:  # this row can never be stored: retrying will not help
            return await _json(send, 400, {"error": f"the message cannot be stored: {exc}".strip()})
        except Exception as exc:  # the writer gave the dedupe claim back (a retry is accepted)
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
        """Claim and insert through the group-commit writer, or spool to disk while PostgreSQL is down."""
        if not spool.db_recently_down():
            window = settings.FLOWGATE_INBOUND_DEDUPE_SECONDS
            try:
                writer = await self._writer()
                msg_uuid, duplicate = await writer.insert(prepared.row, prepared.dedupe_key, window)
            except Exception as exc:
                if not spool.is_outage(exc):
                    raise
                spool.mark_db_down()
            else:
                return ingest.Received(uuid=msg_uuid, urn=prepared.row.urn, duplicate=duplicate)
        # Redis and fsync block: off the event loop. Raises SpoolUnavailable (full, disk error) -> 503.
        return await asyncio.to_thread(_claim_and_spool, prepared)

    async def _writer(self) -> GroupCommitWriter:
        loop = asyncio.get_running_loop()
        writer = self.writers.get(loop)
        if writer is None:
            writer = self.writers[loop] = GroupCommitWriter(conninfo())
            await writer.start()
        return writer

    async def _fetch_channel(self, code: str, channel_uuid: uuid.UUID) -> Channel | None:
        """The channel row on the async pool (the resolver caches it and handles outages)."""
        writer = await self._writer()
        async with writer.pool.connection() as conn:
            cursor = await conn.execute(
                f"SELECT id, workspace_id, name, address, country, config FROM {Channel._meta.db_table} "
                "WHERE uuid = %s AND channel_type = %s AND is_active",
                [channel_uuid, code],
            )
            row = await cursor.fetchone()
        if row is None:
            return None
        return Channel(id=row[0], uuid=channel_uuid, workspace_id=row[1], channel_type=code, name=row[2],
                       address=row[3], country=row[4], config=row[5], is_active=True)  # fmt: skip

    def close_sync(self, timeout: float = 5.0) -> None:
        """Close the pools from another thread (tests stopping a server before dropping the DB)."""
        for loop, writer in list(self.writers.items()):
            if loop.is_running():
                asyncio.run_coroutine_threadsafe(writer.close(), loop).result(timeout)
        self.writers.clear()
        resolver.forget_all()


async def _refuse(send: Send, exc: Exception) -> None:
    refusal = errors.refusal_for(exc)
    if refusal is None:
        raise exc
    headers = [(k.lower().encode(), v.encode()) for k, v in refusal.headers.items()]
    await _respond(send, refusal.status, "application/json", refusal.body(), extra_headers=headers)


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
    send: Send,
    status: int,
    content_type: str,
    body: bytes,
    retry_after: int | None = None,
    extra_headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    headers += extra_headers or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _json(send: Send, status: int, payload: dict[str, Any], retry_after: int | None = None) -> None:
    await _respond(send, status, "application/json", json.dumps(payload).encode(), retry_after)
