"""Firing due campaign events: the scheduler claims due EventFire rows in batches.

A batch is claimed with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite has one writer
and ignores it) and everything it does — messages queued, flows started, rows marked fired —
commits together. A worker killed mid-batch therefore leaves the rows pending and unlocked for
the next tick: none is lost and none is sent twice. Two schedulers never take the same row.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction

from campaigns import clock
from campaigns.models import CampaignEvent, EventFire
from channels_app.models import Contact, Msg
from channels_app.services.routing import ChannelPool
from channels_app.services.send import SendError, build_message, queue_messages
from flows.models import FlowSession, SessionStatus
from flows.services.sessions import FlowRunner

logger = logging.getLogger(__name__)

BATCH = 200


def message_text(*, event: CampaignEvent, language: str) -> str:
    """The contact's language when the event has it, else the base language, else any."""
    texts = event.message or {}
    for lang in (language, event.base_language):
        if lang and texts.get(lang):
            return str(texts[lang])
    return next((str(t) for t in texts.values() if t), "")


def fire_due(*, now: dt.datetime | None = None, batch: int = BATCH, max_batches: int | None = None) -> int:
    """Fire what is due at `now` (the campaigns clock by default); returns how many fired."""
    now = now or clock.now()
    fired = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            rows = list(
                EventFire.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(fired_on__isnull=True, scheduled__lte=now)
                .order_by("scheduled", "id")[:batch]
            )
            if not rows:
                break
            _fire(rows, now)
        fired += len(rows)
        batches += 1
    return fired


def _fire(rows: list[EventFire], now: dt.datetime) -> None:
    events = {
        e.id: e
        for e in CampaignEvent.objects.filter(id__in={r.event_id for r in rows}).select_related(
            "flow", "campaign", "workspace"
        )
    }
    contacts = {
        c.id: c
        for c in Contact.objects.filter(id__in={r.contact_id for r in rows}).prefetch_related(
            "urns", "groups"
        )
    }
    waiting = set(
        FlowSession.objects.filter(contact_id__in=contacts.keys(), status=SessionStatus.WAITING).values_list(
            "contact_id", flat=True
        )
    )
    pools: dict[int, ChannelPool] = {}
    runners: dict[int, FlowRunner] = {}
    outbox: list[Msg] = []
    for row in rows:
        event, contact = events[row.event_id], contacts.get(row.contact_id)
        row.fired_on = now
        if contact is None:  # deleted under us: its row goes with it
            row.result, row.detail = EventFire.Result.FAILED, "the contact was deleted"
            continue
        if contact.status != Contact.Status.ACTIVE or not event.is_active or event.campaign.is_archived:
            row.result, row.detail = EventFire.Result.SKIPPED, _why_skipped(event, contact)
            continue
        if event.kind == CampaignEvent.Kind.MESSAGE:
            pool = pools.get(event.workspace_id)
            if pool is None:
                pool = pools[event.workspace_id] = ChannelPool(event.workspace_id)
            _send(row, event, contact, pool, outbox)
        else:
            runner = runners.get(event.workspace_id)
            if runner is None:  # (not setdefault: that would build a runner for every row)
                runner = runners[event.workspace_id] = FlowRunner.for_workspace(event.workspace_id)
            _start(row, event, contact, runner, contact.id in waiting)
            waiting.add(contact.id) if row.result == EventFire.Result.STARTED else None
    queue_messages(outbox)
    EventFire.objects.bulk_update(rows, ["fired_on", "result", "detail"])


def _why_skipped(event: CampaignEvent, contact: Contact) -> str:
    if contact.status != Contact.Status.ACTIVE:
        return f"the contact is {contact.status}"
    return "the event or its campaign was stopped"


def _send(
    row: EventFire, event: CampaignEvent, contact: Contact, pool: ChannelPool, outbox: list[Msg]
) -> None:
    urns = list(contact.urns.all())
    text = message_text(event=event, language=contact.language)
    if not urns or not text:
        row.result, row.detail = EventFire.Result.FAILED, "the contact has no URN" if not urns else "no text"
        return
    urn = urns[0]
    urn.contact = contact
    try:
        msg = build_message(
            to=urn.identity,
            text=text,
            workspace_id=event.workspace_id,
            metadata={"source": "campaign", "campaign_event": str(event.uuid)},
            contact_urn=urn,
            pool=pool,
        )
    except SendError as exc:
        row.result, row.detail = EventFire.Result.FAILED, str(exc)[:255]
        return
    outbox.append(msg)
    row.result, row.detail = EventFire.Result.SENT, ""


def _start(
    row: EventFire, event: CampaignEvent, contact: Contact, runner: FlowRunner, is_waiting: bool
) -> None:
    flow = event.flow
    if flow is None or flow.archived:
        row.result, row.detail = EventFire.Result.FAILED, "the flow is missing or archived"
        return
    mode = event.start_mode
    if is_waiting and mode == CampaignEvent.StartMode.SKIP:
        row.result, row.detail = EventFire.Result.SKIPPED, "the contact was in a flow"
        return
    trigger: dict[str, Any] = {
        "type": "campaign",
        "campaign": {"uuid": str(event.campaign.uuid), "name": event.campaign.name},
        "event": {"uuid": str(event.uuid)},
    }
    passive = is_waiting and mode == CampaignEvent.StartMode.PASSIVE
    try:
        with transaction.atomic():  # one contact's failure must not undo the batch
            sprint = runner.start(
                contact=contact, flow=flow, trigger=trigger, may_be_waiting=not passive and is_waiting
            )
            if passive and sprint.status == SessionStatus.WAITING:
                # passive never takes the contact out of their flow: a wait in it ends here
                FlowSession.objects.filter(uuid=sprint.session.uuid).update(
                    status=SessionStatus.INTERRUPTED, timeout_on=None, expires_on=None
                )
    except Exception as exc:
        logger.exception("campaign event %s: flow start failed for contact %s", event.uuid, contact.id)
        row.result, row.detail = EventFire.Result.FAILED, f"the flow could not start: {exc}"[:255]
        return
    row.result, row.detail = EventFire.Result.STARTED, ""
