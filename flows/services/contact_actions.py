"""Bulk actions on contacts: add to / remove from a group, block, unblock, archive, restore,
delete, interrupt their flows. The contacts are a list of uuids (the API, a selection in the
list) or every contact matching a search query ("select all matching"), processed in chunks.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from channels_app.models import Contact, ContactGroup, Workspace
from channels_app.services import contact_query
from channels_app.services import groups as group_service
from channels_app.services.smart_groups import contacts_changed

ACTIONS = ("add", "remove", "block", "unblock", "archive", "restore", "delete", "interrupt")
MAX_UUIDS = 1000
CHUNK = 1000
STATUS_OF = {"block": "blocked", "unblock": "active", "archive": "archived", "restore": "active"}


class ActionError(ValueError):
    pass


def select(
    *, workspace: Workspace, contact_uuids: list[str] | None = None, query: str = ""
) -> QuerySet[Contact]:
    """The contacts an action applies to; unknown uuids (another workspace's too) are an error."""
    qs = Contact.objects.filter(workspace=workspace)
    if query.strip():
        try:
            return qs.filter(contact_query.to_q(workspace=workspace, query=query))
        except contact_query.QueryError as exc:
            raise ActionError(f"invalid query: {exc}") from None
    refs = contact_uuids or []
    if not isinstance(refs, list) or not refs:
        raise ActionError("choose some contacts")
    if len(refs) > MAX_UUIDS:
        raise ActionError(f"at most {MAX_UUIDS} contacts per request (or act on a query)")
    parsed = []
    for ref in refs:
        try:
            parsed.append(uuid.UUID(str(ref)))
        except ValueError:
            raise ActionError(f"no such contact: {ref}") from None
    qs = qs.filter(uuid__in=parsed)
    if qs.count() != len(set(parsed)):
        known = {c for c in qs.values_list("uuid", flat=True)}
        missing = [str(u) for u in parsed if u not in known]
        raise ActionError(f"no such contact: {', '.join(missing[:20])}")
    return qs


def _group(workspace: Workspace, ref: str) -> ContactGroup:
    try:
        found = group_service.resolve_groups(workspace=workspace, refs=[ref])
    except group_service.GroupError as exc:
        raise ActionError(str(exc)) from None
    group = found[0]
    if group.query:
        raise ActionError(f"group {group.name!r} is a smart group: its members follow its query")
    return group


@transaction.atomic
def apply(
    *, workspace: Workspace, contacts: QuerySet[Contact], action: str, group: str = ""
) -> dict[str, Any]:
    """Run one action on every selected contact; returns how many were affected."""
    if action not in ACTIONS:
        raise ActionError(f"action is one of {', '.join(ACTIONS)}")
    target = _group(workspace, group) if action in ("add", "remove") else None
    if action in ("add", "remove") and not group:
        raise ActionError("give the group (uuid or name)")
    ids = list(contacts.order_by("id").values_list("id", flat=True))
    affected = 0
    through = ContactGroup.contacts.through
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        if action == "add" and target is not None:
            members = set(
                through.objects.filter(contactgroup_id=target.id, contact_id__in=chunk).values_list(
                    "contact_id", flat=True
                )
            )
            new = [cid for cid in chunk if cid not in members]
            through.objects.bulk_create([through(contactgroup_id=target.id, contact_id=cid) for cid in new])
            affected += len(new)
            contacts_changed(workspace_id=workspace.id, contact_ids=new, groups_changed=True)
        elif action == "remove" and target is not None:
            gone = list(
                through.objects.filter(contactgroup_id=target.id, contact_id__in=chunk).values_list(
                    "contact_id", flat=True
                )
            )
            through.objects.filter(contactgroup_id=target.id, contact_id__in=gone).delete()
            affected += len(gone)
            contacts_changed(workspace_id=workspace.id, contact_ids=gone, groups_changed=True)
        elif action in STATUS_OF:
            status = STATUS_OF[action]
            rows = Contact.objects.filter(id__in=chunk).exclude(status=status)
            if action == "unblock":
                rows = rows.filter(status="blocked")
            if action == "restore":
                rows = rows.filter(status__in=["archived", "blocked"])
            changed = list(rows.values_list("id", flat=True))
            Contact.objects.filter(id__in=changed).update(status=status)
            affected += len(changed)
            if status != "active":
                _interrupt(chunk=changed)
            contacts_changed(workspace_id=workspace.id, contact_ids=changed)
        elif action == "interrupt":
            affected += _interrupt(chunk=chunk)
        elif action == "delete":
            from channels_app.services.contacts import delete_contact

            for contact in Contact.objects.filter(id__in=chunk):
                delete_contact(contact=contact)
                affected += 1
    return {"action": action, "affected": affected}


def _interrupt(*, chunk: list[int]) -> int:
    """End the waiting flow sessions of these contacts (RapidPro's "interrupt")."""
    from flows.services.sessions import interrupt_waiting

    return sum(interrupt_waiting(contact=contact) for contact in Contact.objects.filter(id__in=chunk))
