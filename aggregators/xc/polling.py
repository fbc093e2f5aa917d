"""Status polling for providers without (or with unreliable) delivery callbacks.

Each sent message whose connector has a ``<message_status>`` is asked about with exponential
backoff until the provider reports a final status or the message is older than the expiry.
The schedule lives in ``Msg.metadata`` (``xc_poll_at`` epoch seconds, ``xc_polls`` count) so a
restart loses nothing and no extra table is needed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from aggregators import services
from aggregators.connector import BuildError, build_status_request, map_status_response
from aggregators.exchange import log_entry
from aggregators.xc.sender import refusal_of
from channels_app.crypto import reveal
from channels_app.models import Channel, Direction, Msg, MsgEvent, MsgStatus
from channels_app.services import status
from channels_app.urlguard import async_outbound_client

logger = logging.getLogger(__name__)

POLL_BATCH = 200
POLL_CONCURRENCY = 10


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def first_delay() -> float:
    # Callbacks usually arrive within seconds: polling starts later so it is only a fallback.
    return _setting("FLOWGATE_XC_POLL_FIRST_SECONDS", 30)


def backoff(polls: int) -> float:
    base = _setting("FLOWGATE_XC_POLL_BACKOFF_SECONDS", 30)
    return min(base * (2**polls), _setting("FLOWGATE_XC_POLL_MAX_INTERVAL_SECONDS", 3600))


def expiry() -> timedelta:
    return timedelta(seconds=_setting("FLOWGATE_XC_POLL_EXPIRY_SECONDS", 2 * 86400))


def connector_channel_ids() -> list[int]:
    """Active XC channels: the only ones whose messages are polled (a handful of rows)."""
    return list(Channel.objects.filter(channel_type="XC", is_active=True).values_list("id", flat=True))


def _candidates(channel_ids: list[int]) -> Any:
    # Exactly the predicate of the partial index `msg_xc_poll` (channel_id, sent_on): sent
    # outbound messages with a provider id whose polling has not finished. Filtering by channel
    # id (not joining on the channel type) lets PostgreSQL range-scan that small index instead
    # of walking the whole messages table every tick.
    return (
        Msg.objects.filter(
            channel_id__in=channel_ids,
            direction=Direction.OUT,
            status=MsgStatus.SENT,
            external_id__isnull=False,
        )
        .exclude(external_id="")
        .exclude(metadata__has_key="xc_poll_done")
    )


def due_messages(*, now: Any = None, limit: int = POLL_BATCH, channel_id: int | None = None) -> Any:
    now = now or timezone.now()
    channel_ids = [channel_id] if channel_id is not None else connector_channel_ids()
    if not channel_ids:
        return Msg.objects.none()
    first_before = now - timedelta(seconds=first_delay())
    qs = _candidates(channel_ids).filter(sent_on__gte=now - expiry())
    never = Q(sent_on__lte=first_before) & ~Q(metadata__has_key="xc_poll_at")
    return qs.filter(never | Q(metadata__xc_poll_at__lte=now.timestamp())).order_by("id")[:limit]


def expire(*, now: Any = None, channel_ids: list[int] | None = None) -> int:
    """Stop polling messages past the expiry; they stay `sent` (no final word from the provider)."""
    now = now or timezone.now()
    channel_ids = connector_channel_ids() if channel_ids is None else channel_ids
    if not channel_ids:
        return 0
    stale = list(_candidates(channel_ids).filter(sent_on__lt=now - expiry()).only("id", "metadata")[:1000])
    for msg in stale:
        _set_meta(msg, xc_poll_done="expired")
        MsgEvent.objects.create(
            msg=msg, event_type="poll", status=MsgStatus.SENT, description="polling stopped: no final status"
        )
    return len(stale)


def due_channels(*, now: Any = None, channel_ids: list[int] | None = None) -> list[int]:
    """Channels with at least one due message: one indexed probe per connector channel."""
    channel_ids = connector_channel_ids() if channel_ids is None else channel_ids
    return [
        channel_id
        for channel_id in sorted(channel_ids)
        if due_messages(now=now, limit=1, channel_id=channel_id).exists()
    ]


def _set_meta(msg: Msg, **values: Any) -> None:
    msg.metadata = {**(msg.metadata or {}), **values}
    Msg.objects.filter(id=msg.id).update(metadata=msg.metadata)


@dataclass
class _Outcome:
    msg: Msg
    status: str | None = None  # processing | delivered | failed, None: no answer
    raw_status: str | None = None
    error: str | None = None
    log: dict[str, Any] | None = None


async def _poll_all(
    channel: Channel,
    resolved: services.ResolvedConnector,
    msgs: list[Msg],
    transport: httpx.AsyncBaseTransport | None,
) -> list[_Outcome]:
    fields = reveal(channel.config.get("fields") or {})
    secrets = services.secret_values(resolved.parsed, fields)
    semaphore = asyncio.Semaphore(POLL_CONCURRENCY)
    timeout = httpx.Timeout(settings.FLOWGATE_SEND_TIMEOUT_SECONDS)

    async with async_outbound_client(transport=transport, timeout=timeout) as client:

        async def poll_one(msg: Msg) -> _Outcome:
            try:
                request = build_status_request(
                    resolved.parsed, fields, {"messageid": msg.external_id, "from": channel.address}
                )
            except BuildError as exc:
                return _Outcome(msg, error=f"cannot build the status request: {exc}")
            if request is None:
                return _Outcome(msg)
            refusal = await refusal_of(str(request.url))
            if refusal:
                return _Outcome(msg, error=f"request refused: {refusal}")
            async with semaphore:
                started = time.monotonic()
                try:
                    response = await client.send(request)
                except httpx.TransportError as exc:
                    entry = log_entry(request, None, secrets, time.monotonic() - started, error=repr(exc))
                    return _Outcome(msg, error=f"transport error: {exc!r}", log=entry)
            result = map_status_response(resolved.parsed, response)
            entry = log_entry(
                request, response, secrets, time.monotonic() - started, raw_status=result.raw_status
            )
            if result.retryable or (response.status_code >= 400 and result.status == "failed"):
                # An error answering the poll says nothing about the message: ask again later.
                return _Outcome(msg, error=result.error, raw_status=result.raw_status, log=entry)
            return _Outcome(msg, result.status, result.raw_status, result.error, entry)

        return await asyncio.gather(*(poll_one(m) for m in msgs))


def poll_channel(*, channel_id: int, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Poll this channel's due messages once; returns how many reached a final status."""
    channel = Channel.objects.filter(id=channel_id, channel_type="XC", is_active=True).first()
    if channel is None:
        return 0
    msgs = list(due_messages(channel_id=channel_id))
    if not msgs:
        return 0
    try:
        resolved = services.resolve_cached(workspace_id=channel.workspace_id, ref=channel.config["connector"])
    except (services.ConnectorNotFound, KeyError):
        resolved = None
    if resolved is None or resolved.parsed.message_status is None:
        for msg in msgs:  # nothing to ask: stop selecting them every tick
            _set_meta(msg, xc_poll_done="no status request")
        return 0
    outcomes = asyncio.run(_poll_all(channel, resolved, msgs, transport))
    return _record(outcomes)


def _record(outcomes: list[_Outcome]) -> int:
    final = 0
    now = time.time()
    for outcome in outcomes:
        msg = outcome.msg
        data = {"raw_status": outcome.raw_status, "request": outcome.log}
        if outcome.status in ("delivered", "failed"):
            new = MsgStatus.DELIVERED if outcome.status == "delivered" else MsgStatus.FAILED
            error = outcome.error or (
                f"provider status {outcome.raw_status}" if new == MsgStatus.FAILED else ""
            )
            status.update_status(msg=msg, status=new, error=error, source="poll", data=data)
            _set_meta(msg, xc_poll_done=outcome.status)
            final += 1
            continue
        polls = int((msg.metadata or {}).get("xc_polls", 0)) + 1
        _set_meta(msg, xc_polls=polls, xc_poll_at=now + backoff(polls))
        description = (
            f"provider status {outcome.raw_status}" if outcome.raw_status else (outcome.error or "no status")
        )
        MsgEvent.objects.create(
            msg=msg, event_type="poll", status=MsgStatus.SENT, description=description, data=data
        )
    return final
