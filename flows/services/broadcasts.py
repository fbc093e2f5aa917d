"""A flow's send_broadcast action: one outbound message per recipient, in their language.

Recipients are the event's URNs, contacts and group members. Stopped and blocked contacts are
skipped here rather than recorded as failed messages, so a broadcast to a big group does not
write a row per person who opted out. Each message is linked to the inbound message that
triggered the run, when there is one, so the thread shows what caused it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from channels_app import urns as urn_util
from channels_app.models import Channel, Contact, ContactURN, Msg, Workspace
from channels_app.services.send import SendError, queue_message

logger = logging.getLogger(__name__)


@dataclass
class BroadcastResult:
    queued: list[Msg]
    skipped: int


def _uuids(refs: Any) -> list[str]:
    out = []
    for ref in refs or []:
        value = ref.get("uuid") if isinstance(ref, dict) else None
        try:
            out.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return out


class _Channels:
    """The channel for a URN scheme: the preferred (triggering) channel when it can send it."""

    def __init__(self, workspace: Workspace, preferred: Channel | None) -> None:
        active = list(Channel.objects.filter(workspace=workspace, is_active=True).order_by("id"))
        self.ordered = ([preferred] if preferred is not None else []) + [
            c for c in active if preferred is None or c.id != preferred.id
        ]

    @property
    def default(self) -> Channel | None:
        return self.ordered[0] if self.ordered else None

    def for_scheme(self, scheme: str) -> Channel | None:
        return next((c for c in self.ordered if scheme in c.type.schemes), None)


def _content(event: dict[str, Any], language: str) -> dict[str, Any]:
    translations = event.get("translations") or {}
    found = translations.get(language) or translations.get(event.get("base_language") or "")
    return found or next(iter(translations.values()), {})


def send_broadcast(
    *, workspace: Workspace, event: dict[str, Any], response_to: Msg | None, channel: Channel | None
) -> BroadcastResult:
    channels = _Channels(workspace, channel)
    recipients: dict[str, str] = {}  # URN identity -> the recipient's language
    skipped = 0

    contact_uuids, group_uuids = _uuids(event.get("contacts")), _uuids(event.get("groups"))
    if contact_uuids or group_uuids:
        contacts = (
            Contact.objects.filter(workspace=workspace)
            .filter(Q(uuid__in=contact_uuids) | Q(groups__uuid__in=group_uuids))
            .distinct()
            .prefetch_related("urns")
        )
        for contact in contacts:
            if contact.status != Contact.Status.ACTIVE:
                skipped += 1
                continue
            urn = next((u for u in contact.urns.all() if channels.for_scheme(u.scheme)), None)
            if urn is not None:
                recipients.setdefault(urn.identity, contact.language)

    default = channels.default
    for raw in event.get("urns") or []:
        raw = str(raw).split("?")[0].strip()
        if not raw or default is None:
            continue
        try:
            identity = urn_util.normalize(raw, default.country, default_scheme="tel")
        except urn_util.InvalidURN:
            logger.warning("broadcast URN %r is not valid", raw)
            continue
        known = (
            ContactURN.objects.filter(workspace=workspace, identity=identity)
            .select_related("contact")
            .first()
        )
        if known is not None and known.contact is not None:
            if known.contact.status != Contact.Status.ACTIVE:
                skipped += 1
                continue
            recipients.setdefault(identity, known.contact.language)
        else:
            recipients.setdefault(identity, "")

    queued = []
    for identity, language in recipients.items():
        target = channels.for_scheme(urn_util.split(identity)[0])
        if target is None:
            logger.warning("no channel can send the broadcast to %s", identity)
            continue
        content = _content(event, language)
        metadata: dict[str, Any] = {"source": "flow", "broadcast": True}
        if content.get("quick_replies"):
            metadata["quick_replies"] = content["quick_replies"]
        try:
            queued.append(
                queue_message(
                    channel=target,
                    to=identity,
                    text=content.get("text") or "",
                    attachments=content.get("attachments") or None,
                    response_to=response_to,
                    metadata=metadata,
                )
            )
        except SendError as exc:
            logger.warning("broadcast to %s not queued: %s", identity, exc)
    return BroadcastResult(queued=queued, skipped=skipped)
