"""The inbound handler (settings.FLOWGATE_INBOUND_HANDLERS): a message either starts a flow
through a trigger or resumes the contact's waiting session.

A keyword interrupts whatever the contact was doing (that is how people restart a survey);
catch-all and new-conversation triggers only fire when nothing is waiting for the reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db.models import prefetch_related_objects
from django.utils import timezone

from channels_app.models import Channel, Contact, Direction, Msg
from flows.models import FlowSession, SessionStatus, Trigger
from flows.services import triggers, workspace_snapshot
from flows.services.sessions import FlowRunner, msg_resume

logger = logging.getLogger(__name__)


def handle_inbound(msg: Msg) -> None:
    """Route one handled inbound message (its contact is set) into flows.

    A batch of one: the ingest service calls this message by message, each in a savepoint, when
    a whole batch failed, so both paths must follow exactly the same rules (`_route`)."""
    if msg.contact is None:
        return
    _handle_workspace_batch(msg.workspace_id, [msg])


def handle_inbound_batch(msgs: list[Msg], *, on_error: Callable[[Msg], None]) -> None:
    """handle_inbound for a batch of one workspace's messages (in id order), with the same rules.

    What a message costs one query each in handle_inbound is loaded once here: the engine and
    assets, the triggers, the contacts' URNs and groups, their waiting sessions. New sessions,
    runs and replies are written in bulk at the end, or before a contact's second message so
    that message sees what the first one did. An exception propagates: the ingest service then
    rolls the batch back and handles it message by message. (`on_error`, part of the batch
    handler contract, is unused: this handler contains no failures itself.)
    """
    by_workspace: dict[int, list[Msg]] = {}
    for msg in msgs:
        if msg.contact is not None:
            by_workspace.setdefault(msg.workspace_id, []).append(msg)
    for workspace_id, group in by_workspace.items():
        _handle_workspace_batch(workspace_id, group)


handle_inbound.batch = handle_inbound_batch  # type: ignore[attr-defined]


def _waiting_sessions(contact_ids: list[int]) -> dict[int, FlowSession]:
    return {
        s.contact_id: s
        for s in FlowSession.objects.select_for_update().filter(
            contact_id__in=contact_ids, status=SessionStatus.WAITING
        )
    }


def _handle_workspace_batch(workspace_id: int, msgs: list[Msg]) -> None:
    snap = workspace_snapshot.snapshot(workspace_id)
    runner = FlowRunner(workspace=snap.workspace, buffered=True, snapshot=snap)
    index = snap.triggers
    contacts = {m.contact.id: m.contact for m in msgs if m.contact is not None}
    prefetch_related_objects(list(contacts.values()), "urns", "groups")
    waiting = _waiting_sessions(list(contacts))
    touched: set[int] = set()
    for msg in msgs:
        contact = msg.contact
        assert contact is not None
        if contact.id in touched:
            # this contact's earlier message may have started, resumed or changed things
            runner.flush()
            getattr(contact, "_prefetched_objects_cache", {}).clear()
            prefetch_related_objects([contact], "urns", "groups")
            waiting.pop(contact.id, None)
            waiting.update(_waiting_sessions([contact.id]))
        touched.add(contact.id)
        session = waiting.get(contact.id)
        if session is not None:
            session.contact = contact
        # No savepoint per message (two round trips each): an error aborts the batch, which the
        # ingest service rolls back and handles again message by message, each in a savepoint.
        _route(msg, contact, runner, index, session)
    runner.flush()


def _route(
    msg: Msg, contact: Contact, runner: FlowRunner, index: triggers.TriggerIndex, waiting: FlowSession | None
) -> None:
    """The rules of handle_inbound on preloaded state."""
    if contact.status == Contact.Status.BLOCKED:
        return
    channel = msg.channel
    group_ids = {g.id for g in contact.groups.all()}
    if contact.status == Contact.Status.STOPPED:
        contact.status = Contact.Status.ACTIVE
        contact.save(update_fields=["status", "modified_on"])
        opt_in = index.first(channel=channel, group_ids=group_ids, trigger_type=Trigger.Type.OPT_IN)
        if opt_in is not None:
            runner.start(contact=contact, flow=opt_in.flow, trigger={"type": "optin"})
            return
    may_be_waiting = waiting is not None
    keyword = index.keyword(channel=channel, group_ids=group_ids, text=msg.text)
    if keyword is not None:
        matched, word = keyword
        runner.start(
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
            may_be_waiting=may_be_waiting,
        )
        return
    if waiting is not None:
        if waiting.expires_on and waiting.expires_on <= timezone.now():
            runner.resume(session_row=waiting, resume={"type": "wait_expiration"})
        else:
            runner.resume(session_row=waiting, resume=msg_resume(msg), inbound=msg)
            return
    trigger: Trigger | None = None
    if index.has(Trigger.Type.NEW_CONVERSATION):
        first = (
            not Msg.objects.filter(contact=contact, direction=Direction.IN, channel=channel)
            .exclude(id=msg.id)
            .exists()
        )
        if first:
            trigger = index.first(
                channel=channel, group_ids=group_ids, trigger_type=Trigger.Type.NEW_CONVERSATION
            )
    if trigger is None:
        trigger = index.first(channel=channel, group_ids=group_ids, trigger_type=Trigger.Type.CATCH_ALL)
    if trigger is not None:
        runner.start(
            contact=contact,
            flow=trigger.flow,
            trigger={"type": "msg"},
            inbound=msg,
            may_be_waiting=may_be_waiting,
        )


def fire_contact_trigger(*, contact: Contact, trigger_type: str, channel: Channel | None = None) -> bool:
    """Start the flow of a missed_call / incoming_call / opt_in / opt_out trigger, if any."""
    trigger = triggers.match_type(contact=contact, channel=channel, trigger_type=trigger_type)
    if trigger is None:
        return False
    kind = "channel" if trigger_type in ("missed_call", "incoming_call") else "optin"
    FlowRunner.for_workspace(contact.workspace_id).start(
        contact=contact, flow=trigger.flow, trigger={"type": kind}
    )
    return True


def on_contact_event(*, contact: Contact, event: str, channel: Channel | None = None) -> None:
    """settings.FLOWGATE_CONTACT_EVENT_HANDLERS entry: opt-out and call events fire their triggers."""
    if event in ("opt_in", "opt_out", "missed_call", "incoming_call"):
        fire_contact_trigger(contact=contact, trigger_type=event, channel=channel)
