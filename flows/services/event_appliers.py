"""What a sprint's events do to the stored world: one applier per event type, in a registry.

The engine emits goflow events and never touches the database; `FlowRunner.apply` hands each
event to the applier registered here for its type, like the engine dispatches actions to its
handler registry. An event type without an applier changes nothing stored (the run rows carry
results and the path). A new event with a side effect is one `@applies("type")` function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from channels_app import urns as urn_util
from channels_app.models import Contact, ContactGroup, ContactURN, Msg, Workspace
from channels_app.services.labels import label_input
from channels_app.services.smart_groups import contacts_changed
from flows.services.service_actions import (
    forget_resthook_subscriber,
    record_ticket_note,
    record_ticket_opened,
)

if TYPE_CHECKING:
    from flows.services.sessions import FlowRunner

CONTACT_STATUSES = {"active", "blocked", "stopped"}


@dataclass
class Applying:
    """One sprint's events being applied for one contact."""

    runner: FlowRunner
    contact: Contact
    inbound: Msg | None
    session: dict[str, Any] | None
    changed: set[str] = field(default_factory=set)  # contact columns to save once at the end
    changed_keys: set[str] = field(default_factory=set)  # contact field keys that changed
    groups_changed: bool = False


Applier = Callable[[Applying, dict[str, Any]], None]
APPLIERS: dict[str, Applier] = {}


def applies(kind: str) -> Callable[[Applier], Applier]:
    def register(fn: Applier) -> Applier:
        APPLIERS[kind] = fn
        return fn

    return register


def apply_events(
    *,
    runner: FlowRunner,
    contact: Contact,
    events: list[dict[str, Any]],
    inbound: Msg | None,
    session: dict[str, Any] | None = None,
) -> None:
    applying = Applying(runner=runner, contact=contact, inbound=inbound, session=session)
    runner._affinity_set = set()
    for ev in events:
        applier = APPLIERS.get(ev.get("type") or "")
        if applier is not None:
            applier(applying, ev)
    if applying.changed:
        contact.save(update_fields=[*sorted(applying.changed), "modified_on"])
    if applying.changed - {"language"} or applying.groups_changed:
        # smart groups, and what listens to contact changes (campaign fires), follow
        contacts_changed(
            workspace_id=runner.workspace.id,
            contact_ids=[contact.id],
            field_keys=applying.changed_keys,
            groups_changed=applying.groups_changed,
        )


# --- messages ---------------------------------------------------------------------------------


@applies("msg_created")
def _msg_created(a: Applying, ev: dict[str, Any]) -> None:
    a.runner._queue_msg(contact=a.contact, msg=ev.get("msg") or {}, inbound=a.inbound)


@applies("broadcast_created")
def _broadcast_created(a: Applying, ev: dict[str, Any]) -> None:
    from flows.services.broadcasts import send_broadcast

    runner = a.runner
    linked = a.inbound or triggering_msg(workspace=runner.workspace, session=a.session or {})
    send_broadcast(workspace=runner.workspace, event=ev, response_to=linked, pool=runner.pool)


def triggering_msg(*, workspace: Workspace, session: dict[str, Any]) -> Msg | None:
    """The inbound message that started the session (a resume by timeout carries none)."""
    uuid = (((session.get("trigger") or {}).get("event") or {}).get("msg") or {}).get("uuid")
    if not uuid:
        return None
    try:
        return Msg.objects.filter(workspace=workspace, uuid=uuid).select_related("channel").first()
    except ValidationError:
        return None


# --- the contact ------------------------------------------------------------------------------


@applies("contact_name_changed")
def _name_changed(a: Applying, ev: dict[str, Any]) -> None:
    a.contact.name = (ev.get("name") or "")[:128]
    a.changed.add("name")


@applies("contact_language_changed")
def _language_changed(a: Applying, ev: dict[str, Any]) -> None:
    a.contact.language = (ev.get("language") or "")[:3]
    a.changed.add("language")


@applies("contact_status_changed")
def _status_changed(a: Applying, ev: dict[str, Any]) -> None:
    if ev.get("status") in CONTACT_STATUSES:
        a.contact.status = ev["status"]
        a.changed.add("status")


@applies("contact_field_changed")
def _field_changed(a: Applying, ev: dict[str, Any]) -> None:
    key = (ev.get("field") or {}).get("key")
    if not key:
        return
    value = ev.get("value") or {}
    fields = dict(a.contact.fields or {})
    if value.get("text"):
        fields[key] = value["text"]
    else:
        fields.pop(key, None)
    a.contact.fields = fields
    a.changed.add("fields")
    a.changed_keys.add(key)


@applies("contact_groups_changed")
def _groups_changed(a: Applying, ev: dict[str, Any]) -> None:
    workspace = a.runner.workspace
    added = [g["uuid"] for g in ev.get("groups_added") or [] if g.get("uuid")]
    removed = [g["uuid"] for g in ev.get("groups_removed") or [] if g.get("uuid")]
    if added:
        a.contact.groups.add(*ContactGroup.objects.filter(workspace=workspace, uuid__in=added))
    if removed:
        a.contact.groups.remove(*ContactGroup.objects.filter(workspace=workspace, uuid__in=removed))
    a.groups_changed = True


@applies("input_labels_added")
def _input_labels_added(a: Applying, ev: dict[str, Any]) -> None:
    label_input(workspace=a.runner.workspace, msg=a.inbound, labels=ev.get("labels") or [])


@applies("contact_urns_changed")
def _urns_changed(a: Applying, ev: dict[str, Any]) -> None:
    workspace = a.runner.workspace
    for raw in ev.get("urns") or []:
        base, _, query = raw.partition("?")
        try:
            identity = urn_util.normalize(base, "")
        except urn_util.InvalidURN:
            continue
        channel_uuid = dict(parse_qsl(query)).get("channel")
        if channel_uuid:  # set_contact_channel: this URN's affinity
            _set_affinity(a, identity, channel_uuid)
        scheme, path = urn_util.split(identity)
        try:
            with transaction.atomic():
                ContactURN.objects.get_or_create(
                    workspace=workspace,
                    identity=identity,
                    defaults={"contact": a.contact, "scheme": scheme, "path": path},
                )
        except IntegrityError:
            continue


def _set_affinity(a: Applying, identity: str, channel_uuid: str) -> None:
    runner = a.runner
    channel = next((c for c in runner.pool.channels if str(c.uuid) == channel_uuid), None)
    if channel is None:
        return
    updated = ContactURN.objects.filter(
        workspace=runner.workspace, contact=a.contact, identity=identity
    ).update(channel=channel)
    if updated:
        runner._affinity_set.add(identity)


# --- flows, tickets, webhooks -----------------------------------------------------------------


@applies("session_triggered")
def _session_triggered(a: Applying, ev: dict[str, Any]) -> None:
    from flows.services.starts import create_flow_start

    runner = a.runner
    flow = runner.flow((ev.get("flow") or {}).get("uuid", ""))
    if flow is None:
        return
    create_flow_start(
        workspace=runner.workspace,
        flow=flow,
        contact_uuids=[c["uuid"] for c in ev.get("contacts") or [] if c.get("uuid")],
        group_uuids=[g["uuid"] for g in ev.get("groups") or [] if g.get("uuid")],
        urns=list(ev.get("urns") or []),
    )


@applies("ticket_opened")
def _ticket_opened(a: Applying, ev: dict[str, Any]) -> None:
    record_ticket_opened(workspace=a.runner.workspace, contact=a.contact, event=ev)
    a.runner._tickets = True


@applies("ticket_note_added")
def _ticket_note_added(a: Applying, ev: dict[str, Any]) -> None:
    record_ticket_note(workspace=a.runner.workspace, event=ev)


@applies("webhook_called")
def _webhook_called(a: Applying, ev: dict[str, Any]) -> None:
    if ev.get("resthook") and ev.get("status") == "subscriber_gone":
        # a subscriber answering 410 Gone has unsubscribed (the REST hooks convention)
        forget_resthook_subscriber(
            workspace=a.runner.workspace, resthook=ev["resthook"], url=ev.get("url", "")
        )
