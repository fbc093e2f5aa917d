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
from channels_app.models import Contact, ContactURN, Msg, Workspace
from channels_app.services.routing import ChannelPool
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


def _content(event: dict[str, Any], language: str) -> dict[str, Any]:
    translations = event.get("translations") or {}
    found = translations.get(language) or translations.get(event.get("base_language") or "")
    return found or next(iter(translations.values()), {})


def send_broadcast(
    *, workspace: Workspace, event: dict[str, Any], response_to: Msg | None, pool: ChannelPool | None = None
) -> BroadcastResult:
    """Each recipient's channel is chosen by the selection rules (routing.py): the triggering
    contact gets the reply channel, everybody else their affinity or a channel of their country."""
    pool = pool or ChannelPool(workspace.id)
    sendable = {scheme for c in pool.channels for scheme in c.type.schemes}
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
            urn = next((u for u in contact.urns.all() if u.scheme in sendable), None)
            if urn is not None:
                recipients.setdefault(urn.identity, contact.language)

    country = pool.default_country()
    for raw in event.get("urns") or []:
        raw = str(raw).split("?")[0].strip()
        if not raw:
            continue
        try:
            identity = urn_util.normalize(raw, country, default_scheme="tel")
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
        content = _content(event, language)
        metadata: dict[str, Any] = {"source": "flow", "broadcast": True}
        if content.get("quick_replies"):
            metadata["quick_replies"] = content["quick_replies"]
        try:
            queued.append(
                queue_message(
                    workspace_id=workspace.id,
                    pool=pool,
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
