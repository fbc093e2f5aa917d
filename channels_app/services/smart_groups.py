"""Smart groups: groups defined by a contact query, whose members follow the query.

Membership is kept two ways:
- incrementally: `contacts_changed` (below) is called by every service that changes a
  contact's fields, name, status, URNs or groups, and re-evaluates the workspace's smart groups
  for those contacts only (one query per smart group over the changed ids, not a recount);
- fully: creating or editing a group's query enqueues `refresh_group`, a background job that
  computes the whole set once and applies the difference in bulk.

Only active contacts are members (RapidPro's rule): blocking, stopping or archiving someone
takes them out of every smart group, restoring puts them back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from django.db import transaction

from channels_app import queue
from channels_app.models import Contact, ContactGroup, Workspace
from channels_app.services import contact_query

logger = logging.getLogger(__name__)
CHUNK = 5000


def contacts_changed(
    *,
    workspace_id: int,
    contact_ids: Iterable[int],
    field_keys: Iterable[str] = (),
    groups_changed: bool = False,
    smart: bool = True,
) -> None:
    """The one place told that contacts changed (fields, name, status, URNs or group membership).

    Call it inside the transaction that made the change. `field_keys` names the changed field
    keys (empty when unknown or not fields), `groups_changed` whether hand-managed memberships
    changed. Smart groups are re-evaluated for these contacts (`smart=False` skips that, for a
    caller that just did it); anything else that depends on fields or groups (e.g. campaign fires
    relative to a date field) hooks in here.
    """
    ids = sorted(set(contact_ids))
    if not ids:
        return
    if smart:
        changed_groups = reevaluate(workspace_id=workspace_id, contact_ids=ids)
        groups_changed = groups_changed or bool(changed_groups)
    _notify(
        workspace_id=workspace_id, contact_ids=ids, field_keys=set(field_keys), groups_changed=groups_changed
    )


class ContactsChangedListener(Protocol):
    def __call__(
        self, *, workspace_id: int, contact_ids: list[int], field_keys: set[str], groups_changed: bool
    ) -> None: ...


# What depends on contacts' fields or groups beyond smart groups registers here (campaign
# scheduling does, from its app's ready()): this layer can't import the apps built on it.
_listeners: list[ContactsChangedListener] = []


def on_contacts_changed(listener: ContactsChangedListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def _notify(*, workspace_id: int, contact_ids: list[int], field_keys: set[str], groups_changed: bool) -> None:
    for listener in _listeners:
        listener(
            workspace_id=workspace_id,
            contact_ids=contact_ids,
            field_keys=field_keys,
            groups_changed=groups_changed,
        )


def smart_groups(workspace_id: int) -> list[ContactGroup]:
    return list(ContactGroup.objects.filter(workspace_id=workspace_id).exclude(query="").order_by("id"))


def reevaluate(*, workspace_id: int, contact_ids: list[int]) -> list[int]:
    """Bring these contacts' smart-group memberships up to date; returns the groups that changed."""
    groups = smart_groups(workspace_id)
    if not groups:
        return []
    workspace = Workspace.objects.get(id=workspace_id)
    through = ContactGroup.contacts.through
    changed: list[int] = []
    for group in groups:
        try:
            condition = contact_query.to_q(workspace=workspace, query=group.query)
        except contact_query.QueryError as exc:
            # a field or group the query names was deleted: the group keeps its members
            logger.warning("smart group %s: %s", group.id, exc)
            continue
        touched = False
        for start in range(0, len(contact_ids), CHUNK):
            chunk = contact_ids[start : start + CHUNK]
            matching = set(
                Contact.objects.filter(workspace_id=workspace_id, id__any=chunk, status=Contact.Status.ACTIVE)
                .filter(condition)
                .values_list("id", flat=True)
            )
            members = set(
                through.objects.filter(contactgroup_id=group.id, contact_id__any=chunk).values_list(
                    "contact_id", flat=True
                )
            )
            touched |= _apply(group.id, add=matching - members, remove=members - matching)
        if touched:
            changed.append(group.id)
    return changed


def _apply(group_id: int, *, add: set[int], remove: set[int]) -> bool:
    through = ContactGroup.contacts.through
    if add:
        through.objects.bulk_create(
            [through(contactgroup_id=group_id, contact_id=cid) for cid in sorted(add)],
            batch_size=1000,
            ignore_conflicts=True,
        )
    if remove:
        through.objects.filter(contactgroup_id=group_id, contact_id__in=sorted(remove)).delete()
    return bool(add or remove)


def refresh_group(group_id: int) -> dict[str, Any]:
    """The job: the whole membership of one smart group recomputed from its query."""
    group = ContactGroup.objects.filter(id=group_id).select_related("workspace").first()
    if group is None or not group.query:
        return {}
    try:
        condition = contact_query.to_q(workspace=group.workspace, query=group.query)
    except contact_query.QueryError as exc:
        # a field or group the query names was deleted since: the group keeps its members
        logger.warning("smart group %s not refreshed: %s", group.id, exc)
        _ready(group)
        return {"error": str(exc)}
    through = ContactGroup.contacts.through
    with transaction.atomic():
        matching = set(
            Contact.objects.filter(workspace_id=group.workspace_id, status=Contact.Status.ACTIVE)
            .filter(condition)
            .values_list("id", flat=True)
        )
        members = set(through.objects.filter(contactgroup_id=group.id).values_list("contact_id", flat=True))
        add, remove = matching - members, members - matching
        _apply(group.id, add=add, remove=remove)
        # campaigns and other listeners learn about the contacts that entered or left
        _notify(
            workspace_id=group.workspace_id,
            contact_ids=sorted(add | remove),
            field_keys=set(),
            groups_changed=True,
        )
        _ready(group)
    return {"added": len(add), "removed": len(remove)}


def _ready(group: ContactGroup) -> None:
    """Done evaluating, unless the query was edited again meanwhile: then the job the edit
    enqueued is still to run and the group stays "evaluating" until it has."""
    ContactGroup.objects.filter(id=group.id, query=group.query).update(status=ContactGroup.Status.READY)


def schedule_refresh(*, group: ContactGroup) -> None:
    """Recompute the group in the background once the current transaction commits."""
    queue.enqueue("default", "channels_app.services.smart_groups.refresh_group", group.id)
