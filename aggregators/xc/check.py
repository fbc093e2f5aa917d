"""Asking the provider about one message now: the "Check status" button and
`POST /api/v1/messages/<uuid>/check_status`, with the connector's `<message_status>` request
(the same request automatic polling sends, see `polling`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from aggregators import services
from aggregators.xc.polling import _poll_all
from channels_app.models import Direction, Msg, MsgEvent, MsgStatus
from channels_app.services import status


class CheckError(Exception):
    """Why this message cannot be asked about (told to the user as is)."""


@dataclass(frozen=True)
class CheckResult:
    status: str  # the message's status afterwards
    provider_status: str | None  # what the provider answered, before <statuses> mapping
    outcome: str | None  # processing | delivered | failed, None when the provider gave no status
    error: str | None


def check_status(*, msg: Msg, transport: httpx.AsyncBaseTransport | None = None) -> CheckResult:
    channel = msg.channel
    if channel is None or channel.channel_type != "XC":
        raise CheckError("only messages sent through a connector channel can be checked")
    if msg.direction != Direction.OUT or not msg.external_id:
        raise CheckError("the provider has not given this message an id yet")
    try:
        resolved = services.resolve_cached(workspace_id=channel.workspace_id, ref=channel.config["connector"])
    except (services.ConnectorNotFound, KeyError):
        raise CheckError("the channel's connector is gone") from None
    if resolved.parsed.message_status is None:
        raise CheckError("this connector has no <message_status> request")
    outcome = asyncio.run(_poll_all(channel, resolved, [msg], transport))[0]
    data = {"raw_status": outcome.raw_status, "request": outcome.log}
    if outcome.status in ("delivered", "failed") and msg.status in (MsgStatus.WIRED, MsgStatus.SENT):
        new = MsgStatus.DELIVERED if outcome.status == "delivered" else MsgStatus.FAILED
        error = outcome.error or (f"provider status {outcome.raw_status}" if new == MsgStatus.FAILED else "")
        status.update_status(msg=msg, status=new, error=error, source="check", data=data)
        msg.metadata = {**(msg.metadata or {}), "xc_poll_done": outcome.status}
        Msg.objects.filter(id=msg.id).update(metadata=msg.metadata)
    else:
        description = (
            f"checked: provider status {outcome.raw_status}"
            if outcome.raw_status
            else f"checked: {outcome.error or 'no status'}"
        )
        MsgEvent.objects.create(
            msg=msg, event_type="check", status=msg.status, description=description, data=data
        )
    msg.refresh_from_db(fields=["status"])
    return CheckResult(str(msg.status), outcome.raw_status, outcome.status, outcome.error)
