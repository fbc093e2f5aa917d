"""Click-to-call: ring the agent's phone through the provider, then dial the contact.

The call row is committed before the provider is asked, so a callback racing the provider's
answer still finds it (our answer/status URLs carry its uuid).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from django.conf import settings

from aggregators import services as connectors
from aggregators.connector import (
    BuildError,
    build_outgoing_call_request,
    map_outgoing_call_response,
)
from aggregators.connector.model import Connector as ParsedConnector
from aggregators.exchange import log_entry
from aggregators.voice import services
from channels_app import realtime, urns
from channels_app.crypto import reveal
from channels_app.models import Call, CallEvent, Channel, Membership
from channels_app.services.ingest import get_or_create_contact
from channels_app.urlguard import outbound_client


def uses_variable(connector: ParsedConnector, name: str) -> bool:
    """Whether the outgoing-call request needs ``@name`` (so a missing value is an input error)."""
    section = connector.outgoing_call
    if section is None:
        return False
    request = section.request
    templates = [request.url, *(h.value for h in request.headers)]
    stack = list(request.params)
    while stack:
        param = stack.pop()
        templates.append(param.value)
        stack.extend(param.children)
    return any(t is not None and any(ref == name for ref, _ in t.refs("var")) for t in templates)


def _check_member(channel: Channel, user: Any) -> None:
    if (
        user is not None
        and not Membership.objects.filter(workspace_id=channel.workspace_id, user=user).exists()
    ):
        raise services.CallError("that user is not a member of this workspace")


def _number(channel: Channel, to: str) -> str:
    try:
        identity = urns.normalize(to, channel.country, "tel")
    except urns.InvalidURN as exc:
        raise services.CallError(f"'to': {exc}") from None
    scheme, path = urns.split(identity)
    if scheme != "tel":
        raise services.CallError(f"'to' must be a phone number or tel: URN, not a {scheme}: URN")
    return identity


def create_outgoing(*, channel: Channel, to: str, user: Any = None, extension: str = "") -> Call:
    """Validate and commit the call row (status queued) with what the request will need."""
    resolved = services.phone_connector(channel)
    if resolved.parsed.outgoing_call is None:
        raise services.CallError(f"the connector {resolved.slug!r} cannot place calls")
    _check_member(channel, user)
    identity = _number(channel, to)
    phone = services.agent_phone(user)
    extension = (extension or (phone.extension if phone else "")).strip()
    if len(extension) > 64:
        raise services.CallError("'extension' is limited to 64 characters")
    if not extension and uses_variable(resolved.parsed, "extension"):
        raise services.CallError(
            "no extension: give 'extension' (the agent's phone) or set one on the user's agent phone"
        )
    fields = services.channel_fields(channel, resolved)
    callerid = str(fields.get("callerid") or channel.address or "")
    contact, _urn = get_or_create_contact(workspace_id=channel.workspace_id, identity=identity)
    call = Call.objects.create(
        workspace_id=channel.workspace_id,
        channel=channel,
        contact=contact,
        user=user,
        direction=Call.Direction.OUT,
        status=Call.Status.QUEUED,
        from_number=callerid[:64],
        to_number=urns.split(identity)[1],
        data={
            "extension": extension,
            "callerid": callerid,
            "user_phone_home": phone.phone_home if phone else "",
        },
    )
    CallEvent.objects.create(
        call=call, event_type="requested", status=call.status, data={"to": identity, "extension": extension}
    )
    return call


def place_call(
    *,
    channel: Channel,
    to: str,
    user: Any = None,
    extension: str = "",
    transport: httpx.BaseTransport | None = None,
) -> Call:
    """Ask the provider to place the call; the returned call is ``failed`` with ``error`` if refused."""
    call = create_outgoing(channel=channel, to=to, user=user, extension=extension)
    resolved = services.phone_connector(channel)
    connector = resolved.parsed
    fields = services.channel_fields(channel, resolved)
    secrets = connectors.secret_values(connector, reveal(channel.config.get("fields") or {}))
    try:
        request = build_outgoing_call_request(
            connector, fields, services.call_context(call=call, channel=channel)
        )
    except BuildError as exc:
        return _finish(call, None, Call.Status.FAILED, f"cannot build the request: {exc}", {})
    started = time.monotonic()
    try:
        with outbound_client(transport=transport, timeout=settings.FLOWGATE_SEND_TIMEOUT_SECONDS) as client:
            response = client.send(request)
    except httpx.HTTPError as exc:
        entry = log_entry(request, None, secrets, time.monotonic() - started, error=repr(exc))
        return _finish(call, None, Call.Status.FAILED, f"provider unreachable: {exc}", entry)
    result = map_outgoing_call_response(connector, response)
    entry = log_entry(
        request,
        response,
        secrets,
        time.monotonic() - started,
        raw_status=result.raw_status,
        call_id=result.call_id,
    )
    if not result.ok:
        error = result.error or f"provider answered HTTP {response.status_code}"
        return _finish(call, result.call_id, Call.Status.FAILED, error, entry)
    return _finish(call, result.call_id, result.call_status or Call.Status.QUEUED, "", entry)


def _finish(call: Call, call_id: str | None, status: str, error: str, entry: dict[str, Any]) -> Call:
    call.refresh_from_db(fields=["status", "external_id"])  # a fast callback may have moved it on
    if call_id and not call.external_id:
        call.external_id = call_id
    if call.status == Call.Status.QUEUED or status == Call.Status.FAILED:
        call.status = status
    call.error = error[:2000]
    call.save(update_fields=["status", "external_id", "error", "modified_on"])
    CallEvent.objects.create(call=call, event_type="placed", status=status, data=entry)
    realtime.publish(call.workspace_id, services.popup_event(call, "placed"))
    return call
