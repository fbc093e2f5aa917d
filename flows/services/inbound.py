"""The inbound handler (settings.FLOWGATE_INBOUND_HANDLERS): a message either starts a flow
through a trigger or resumes the contact's waiting session.

A keyword interrupts whatever the contact was doing (that is how people restart a survey);
catch-all and new-conversation triggers only fire when nothing is waiting for the reply.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from channels_app.models import Channel, Contact, Direction, Msg
from flows.models import FlowSession, SessionStatus, Trigger
from flows.services import triggers
from flows.services.sessions import FlowRunner, msg_resume

logger = logging.getLogger(__name__)


def handle_inbound(msg: Msg) -> None:
    """Route one handled inbound message (its contact is set) into flows."""
    contact = msg.contact
    if contact is None or contact.status == Contact.Status.BLOCKED:
        return
    channel = msg.channel
    if contact.status == Contact.Status.STOPPED:
        # writing again after STOP is opting back in; an opt-in flow then owns this message
        contact.status = Contact.Status.ACTIVE
        contact.save(update_fields=["status", "modified_on"])
        if fire_contact_trigger(contact=contact, trigger_type=Trigger.Type.OPT_IN, channel=channel):
            return
    waiting = (
        FlowSession.objects.select_for_update()
        .filter(contact=contact, status=SessionStatus.WAITING)
        .select_related("contact")
        .first()
    )
    keyword = triggers.match_keyword(contact=contact, channel=channel, text=msg.text)
    if keyword is not None:
        matched, word = keyword
        FlowRunner(workspace=contact.workspace).start(
            contact=contact,
            flow=matched.flow,
            trigger={
                "type": "msg",
                "keyword_match": {
                    "type": "only_word" if matched.match_type == "only" else "first_word",
                    "keyword": word,
                },
            },
            inbound=msg,
        )
        return
    if waiting is not None:
        if waiting.expires_on and waiting.expires_on <= timezone.now():
            FlowRunner(workspace=contact.workspace).resume(
                session_row=waiting, resume={"type": "wait_expiration"}
            )
        else:
            FlowRunner(workspace=contact.workspace).resume(
                session_row=waiting, resume=msg_resume(msg), inbound=msg
            )
            return
    trigger: Trigger | None = None
    first = (
        not Msg.objects.filter(contact=contact, direction=Direction.IN, channel=channel)
        .exclude(id=msg.id)
        .exists()
    )
    if first:
        trigger = triggers.match_type(
            contact=contact, channel=channel, trigger_type=Trigger.Type.NEW_CONVERSATION
        )
    if trigger is None:
        trigger = triggers.match_type(contact=contact, channel=channel, trigger_type=Trigger.Type.CATCH_ALL)
    if trigger is not None:
        FlowRunner(workspace=contact.workspace).start(
            contact=contact, flow=trigger.flow, trigger={"type": "msg"}, inbound=msg
        )


def fire_contact_trigger(*, contact: Contact, trigger_type: str, channel: Channel | None = None) -> bool:
    """Start the flow of a missed_call / incoming_call / opt_in / opt_out trigger, if any."""
    trigger = triggers.match_type(contact=contact, channel=channel, trigger_type=trigger_type)
    if trigger is None:
        return False
    kind = "channel" if trigger_type in ("missed_call", "incoming_call") else "optin"
    FlowRunner(workspace=contact.workspace).start(contact=contact, flow=trigger.flow, trigger={"type": kind})
    return True


def on_contact_event(*, contact: Contact, event: str, channel: Channel | None = None) -> None:
    """settings.FLOWGATE_CONTACT_EVENT_HANDLERS entry: opt-out and call events fire their triggers."""
    if event in ("opt_in", "opt_out", "missed_call", "incoming_call"):
        fire_contact_trigger(contact=contact, trigger_type=event, channel=channel)
