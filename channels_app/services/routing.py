"""Which channel sends a message: the one selection rule every outbound path uses.

In order (DESIGN, "Channel selection"):
1. an explicit channel the caller named;
2. a reply goes out on the channel its inbound message came in on;
3. the URN's affinity: the channel it last wrote in on (or `set_contact_channel` chose);
4. an active sending channel of the URN's scheme in the number's country, the one whose
   address shares the longest prefix with the number first;
5. any active channel of the scheme;
6. none: the message fails with "no channel can send to <urn>".
Never "the first channel created": that sent every reply of a two-channel workspace through the
wrong number.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import phonenumbers

from channels_app import urns
from channels_app.models import Channel

if TYPE_CHECKING:
    from channels_app.models import ContactURN, Msg


class NoChannel(ValueError):
    """No active channel can send to the URN; the message fails with this reason."""


# Rule names, stored in the message's event log with a sentence saying why.
EXPLICIT, REPLY, AFFINITY, COUNTRY, SCHEME = "explicit", "reply", "affinity", "country", "scheme"


@dataclass(frozen=True)
class Route:
    channel: Channel
    rule: str
    why: str

    def event_data(self) -> dict[str, str]:
        return {"channel": str(self.channel.uuid), "channel_name": self.channel.name, "rule": self.rule}


def can_send(channel: Channel, scheme: str) -> bool:
    return channel.is_active and scheme in channel.type.schemes


def number_country(identity: str) -> str:
    """The ISO country of a tel URN's number ("" for other schemes and numbers without one)."""
    scheme, path = urns.split(identity)
    if scheme != "tel" or not path.startswith("+"):
        return ""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(path, None))
    except phonenumbers.NumberParseException:
        return ""
    return "" if region in (None, "ZZ", "001") else region


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


class ChannelPool:
    """A workspace's active channels, loaded once per batch of messages (a flow start, a broadcast)."""

    def __init__(self, workspace_id: int, channels: list[Channel] | None = None) -> None:
        self.workspace_id = workspace_id
        if channels is None:
            channels = list(Channel.objects.filter(workspace_id=workspace_id, is_active=True).order_by("id"))
        self.channels = [c for c in channels if c.is_active]
        self.by_id = {c.id: c for c in self.channels}

    def default_country(self) -> str:
        """The country `tel` numbers without a plus are read in: the workspace's channels' country."""
        return next((c.country for c in self.channels if c.country), "")

    def select(
        self,
        *,
        identity: str,
        explicit: Channel | None = None,
        response_to: Msg | None = None,
        urn: ContactURN | None = None,
        affinity_first: bool = False,
    ) -> Route:
        """The channel for a normalised URN identity; raises NoChannel with the reason.

        `affinity_first`: the flow just chose the contact's channel (set_contact_channel), so
        that choice beats replying on the inbound's channel.
        """
        scheme = urns.split(identity)[0]
        if explicit is not None:
            if not explicit.is_active:
                raise NoChannel(f"the channel {explicit.name!r} is not active")
            if scheme not in explicit.type.schemes:
                raise NoChannel(f"channel {explicit.name!r} cannot send to {scheme}: URNs")
            return Route(explicit, EXPLICIT, f"the sender chose the channel {explicit.name!r}")
        affinity_id = urn.channel_id if urn is not None and urn.identity == identity else None
        if affinity_first and affinity_id is not None:
            affine = self.by_id.get(affinity_id)
            if affine is not None and can_send(affine, scheme):
                return Route(affine, AFFINITY, f"the flow set {affine.name!r} as the contact's channel")
        if (
            response_to is not None
            and response_to.direction == "in"
            and _same_recipient(response_to, identity, urn)
        ):
            inbound_channel = self.by_id.get(response_to.channel_id)
            if inbound_channel is not None and can_send(inbound_channel, scheme):
                return Route(
                    inbound_channel,
                    REPLY,
                    f"a reply goes out on {inbound_channel.name!r}, where the message came in",
                )
        if affinity_id is not None:
            affine = self.by_id.get(affinity_id)
            if affine is not None and can_send(affine, scheme):
                return Route(affine, AFFINITY, f"{identity} last wrote in on {affine.name!r} (URN affinity)")
        of_scheme = [c for c in self.channels if scheme in c.type.schemes]
        country = number_country(identity)
        if country:
            same_country = [c for c in of_scheme if c.country == country]
            if same_country:
                number = _digits(urns.split(identity)[1])
                best = max(
                    same_country,
                    key=lambda c: (len(os.path.commonprefix([_digits(c.address), number])), -c.id),
                )
                return Route(best, COUNTRY, f"{best.name!r} sends in the number's country ({country})")
        if of_scheme:
            return Route(
                of_scheme[0], SCHEME, f"{of_scheme[0].name!r} is an active channel for {scheme}: URNs"
            )
        raise NoChannel(f"no channel can send to {identity}")


def _same_recipient(inbound: Msg, identity: str, urn: ContactURN | None) -> bool:
    """A reply is to the inbound's sender: a message to someone else that merely links to it
    (a broadcast a flow sent) is routed like any other message."""
    if inbound.urn == identity:
        return True
    return urn is not None and urn.contact_id is not None and urn.contact_id == inbound.contact_id


def select_channel(
    *,
    workspace_id: int,
    identity: str,
    explicit: Channel | None = None,
    response_to: Msg | None = None,
    urn: ContactURN | None = None,
    affinity_first: bool = False,
) -> Route:
    """One-off selection (loads the workspace's channels); batch callers keep a ChannelPool."""
    pool = ChannelPool(workspace_id)
    if explicit is not None and explicit.id not in pool.by_id:
        pool.by_id[explicit.id] = explicit
    return pool.select(
        identity=identity, explicit=explicit, response_to=response_to, urn=urn, affinity_first=affinity_first
    )
