"""Creating and changing channels: config validated by the type, secrets never echoed."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.db import transaction

from channels_app import inbound_auth
from channels_app.inbound import resolver
from channels_app.models import Channel, Workspace
from channels_app.types.base import ConfigError
from channels_app.types.registry import UnknownChannelType, get_type


def _clean_inbound_auth(
    channel: Channel, auth: dict[str, Any], *, existing: dict[str, Any] | None
) -> dict[str, Any]:
    """The inbound-auth settings, common to every type (signature only where the provider declares one)."""
    cleaned = inbound_auth.clean(
        auth, existing=existing, signature_available=channel.type.inbound_signature(channel) is not None
    )
    return cleaned if cleaned.get("inbound_auth") != "none" else {}


def _clean_country(country: str) -> str:
    country = (country or "").strip().upper()
    if country and country not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError({"country": f"{country!r} is not an ISO 3166 country code"})
    return country


@transaction.atomic
def create_channel(
    *,
    workspace: Workspace,
    type_code: str,
    name: str,
    address: str = "",
    country: str = "",
    config: dict[str, Any] | None = None,
) -> Channel:
    try:
        channel_type = get_type(type_code)
    except UnknownChannelType:
        raise ConfigError({"type": f"unknown channel type {type_code!r}"}) from None
    if not channel_type.user_creatable:
        raise ConfigError({"type": f"{channel_type.name} channels are created by their app, not here"})
    if not name.strip():
        raise ConfigError({"name": "a channel needs a name"})
    own, auth = inbound_auth.split_config(config or {})
    channel = Channel(
        workspace=workspace,
        channel_type=type_code,
        name=name.strip(),
        address=address.strip(),
        country=_clean_country(country),
        config=channel_type.clean_config_for(own, workspace_id=workspace.id),
    )
    channel.config.update(_clean_inbound_auth(channel, auth, existing=None))
    channel.save()  # secrets are encrypted on save (Channel.save)
    return channel


@transaction.atomic
def update_channel(
    *,
    channel: Channel,
    name: str | None = None,
    address: str | None = None,
    country: str | None = None,
    config: dict[str, Any] | None = None,
    is_active: bool | None = None,
) -> Channel:
    if name is not None:
        if not name.strip():
            raise ConfigError({"name": "a channel needs a name"})
        channel.name = name.strip()
    if address is not None:
        channel.address = address.strip()
    if country is not None:
        channel.country = _clean_country(country)
    if config is not None:
        existing = channel.config
        own, auth = inbound_auth.split_config({**existing, **config})
        channel.config = channel.type.clean_config_for(
            own, workspace_id=channel.workspace_id, existing=existing
        )
        channel.config.update(_clean_inbound_auth(channel, auth, existing=existing))
    was_active = channel.is_active
    if is_active is not None:
        channel.is_active = is_active
    channel.save()
    if was_active and not channel.is_active:
        reroute_queued(channel=channel, reason="deactivated")
    transaction.on_commit(lambda: resolver.forget(channel.uuid))
    return channel


@transaction.atomic
def deactivate_channel(*, channel: Channel) -> dict[str, int]:
    """Release a channel. Channels are deactivated, not deleted: their messages stay in the log,
    their URLs answer 404, and what they had queued moves to another channel (or fails)."""
    channel.is_active = False
    channel.save(update_fields=["is_active", "modified_on"])
    moved = reroute_queued(channel=channel, reason="released")
    transaction.on_commit(lambda: resolver.forget(channel.uuid))
    return moved


def reroute_queued(*, channel: Channel, reason: str) -> dict[str, int]:
    """Queued (and retry-pending) messages of a channel that stopped sending: re-routed by the
    selection rules, or failed with the reason when no other channel can send them."""
    from channels_app.models import Direction, Msg, MsgEvent, MsgStatus
    from channels_app.services import routing
    from channels_app.wakes import wake_sender

    pool = routing.ChannelPool(channel.workspace_id)
    msgs = list(
        Msg.objects.select_for_update(of=("self",))
        .filter(channel=channel, direction=Direction.OUT, status__in=[MsgStatus.QUEUED, MsgStatus.ERRORED])
        .select_related("contact_urn")
    )
    events, moved, failed, woken = [], 0, 0, set()
    for msg in msgs:
        # A sender holding a lease on it must not send it any more: its wire() needs the claim.
        msg.claimed_by, msg.lease_until, msg.next_attempt_on = None, None, None
        try:
            route = pool.select(identity=msg.urn, urn=msg.contact_urn)
        except routing.NoChannel as exc:
            msg.status = MsgStatus.FAILED
            msg.error = f"its channel {channel.name!r} was {reason} and {exc}"
            events.append(MsgEvent(msg=msg, event_type="status", status=msg.status, description=msg.error))
            failed += 1
        else:
            msg.channel, msg.status = route.channel, MsgStatus.QUEUED
            why = f"its channel {channel.name!r} was {reason}: {route.why}"
            events.append(MsgEvent(msg=msg, event_type="channel", description=why, data=route.event_data()))
            woken.add(route.channel.id)
            moved += 1
    if msgs:
        Msg.objects.bulk_update(
            msgs,
            ["channel", "status", "error", "claimed_by", "lease_until", "next_attempt_on", "modified_on"],
        )
        MsgEvent.objects.bulk_create(events)
    for channel_id in sorted(woken):
        wake_sender(channel_id)
    return {"rerouted": moved, "failed": failed}


def channel_payload(channel: Channel) -> dict[str, Any]:
    channel_type = channel.type
    return {
        "uuid": str(channel.uuid),
        "type": channel.channel_type,
        "name": channel.name,
        "address": channel.address,
        "country": channel.country,
        "config": inbound_auth.mask(channel_type.public_config(channel)),
        "urls": channel_type.urls(channel),
        "is_active": channel.is_active,
        "created_on": channel.created_on,
        "live_status": channel_type.live_status(channel),
    }
