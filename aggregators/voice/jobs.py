"""Jobs of phone calls: start the flows of incoming_call / missed_call triggers."""

from __future__ import annotations

import logging

from django.db import transaction

from channels_app.models import Call

logger = logging.getLogger(__name__)


def call_trigger(call_id: int, trigger_type: str) -> bool:
    """Run by a worker after the call row committed; False when no trigger matched."""
    try:
        from flows.services.inbound import fire_contact_trigger
    except ImportError:  # the flows app is optional for telephony
        return False
    call = Call.objects.filter(id=call_id).select_related("contact", "channel").first()
    if call is None or call.contact is None:
        return False
    # The flow runner locks the contact's waiting session (select_for_update): one transaction.
    with transaction.atomic():
        started = fire_contact_trigger(contact=call.contact, trigger_type=trigger_type, channel=call.channel)
    if started:
        logger.info("call %s started a %s flow", call.uuid, trigger_type)
    return started
