from __future__ import annotations

from typing import Any

from channels_app.models import Msg
from channels_app.services.glossary import describe


def message_payload(msg: Msg, *, with_events: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "uuid": str(msg.uuid),
        "id": msg.id,
        "direction": msg.direction,
        "status": msg.status,
        "text": msg.text,
        "attachments": msg.attachments,
        "urn": msg.urn,
        "channel": str(msg.channel.uuid),
        "contact": str(msg.contact.uuid) if msg.contact else None,
        "external_id": msg.external_id,
        "error": msg.error,
        "status_description": describe(msg),
        "attempts": msg.attempts,
        "parts": msg.parts,
        "response_to": str(msg.response_to.uuid) if msg.response_to else None,
        "created_on": msg.created_on,
        "sent_on": msg.sent_on,
        "delivered_on": msg.delivered_on,
        "modified_on": msg.modified_on,
        "visibility": msg.visibility,
    }
    # labels only where the caller prefetched them (lists): no query per message elsewhere
    if "labels" in getattr(msg, "_prefetched_objects_cache", {}):
        payload["labels"] = [{"uuid": str(lb.uuid), "name": lb.name} for lb in msg.labels.all()]
    if with_events:
        payload["events"] = [
            {
                "type": e.event_type,
                "status": e.status,
                "description": e.description,
                "data": e.data,
                "created_on": e.created_on,
            }
            for e in msg.events.all()
        ]
    return payload
