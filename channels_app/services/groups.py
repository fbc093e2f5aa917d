"""Contact groups: named sets of contacts, managed by hand here or by flows.

Groups with a `query` (imported smart groups) are computed from the query, so their members are
never added or removed by hand; flows refuse that too.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from channels_app import queue
from channels_app.models import Contact, ContactGroup, ContactGroupCount, Workspace
from channels_app.services.rows import save_existing

MAX_CONTACTS_PER_CALL = 1000


class GroupError(ValueError):
    pass


def _count_of(group_id: Any) -> Coalesce:
    """A group's member count: the sum of its count rows (kept by triggers, see ContactGroupCount),
    a few rows instead of counting up to millions of memberships on each view."""
    rows = (
        ContactGroupCount.objects.filter(group_id=group_id)
        .order_by()
        .values("group_id")
        .annotate(total=Sum("count"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def list_groups(*, workspace: Workspace) -> QuerySet[ContactGroup]:
    return (
        ContactGroup.objects.filter(workspace=workspace)
        .annotate(member_count=_count_of(OuterRef("pk")))
        .order_by("name", "id")
    )


def _clean_name(workspace: Workspace, name: str, *, exclude_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise GroupError("give the group a name")
    if len(name) > 128 or not name.isprintable():
        raise GroupError("a group name has at most 128 printable characters")
    # Flows and imports find groups by name without regard to case, so names must differ in more.
    same = ContactGroup.objects.filter(workspace=workspace, name__iexact=name)
    if exclude_id is not None:
        same = same.exclude(id=exclude_id)
    if same.exists():
        raise GroupError(f"the workspace already has a group named {name!r}")
    return name


def _clean_query(workspace: Workspace, query: str) -> str:
    """A smart group's query, checked now so a bad one is refused instead of matching nobody."""
    from channels_app.services import contact_query

    query = " ".join(str(query).split())
    if query:
        try:
            contact_query.to_q(workspace=workspace, query=query)
        except contact_query.QueryError as exc:
            raise GroupError(f"invalid query: {exc}") from None
    return query


def create_group(*, workspace: Workspace, name: str, query: str = "") -> ContactGroup:
    """A hand-managed group, or with `query` a smart group (filled by a background job)."""
    from channels_app.services import smart_groups

    name = _clean_name(workspace, name)
    query = _clean_query(workspace, query)
    try:
        with transaction.atomic():
            status = ContactGroup.Status.EVALUATING if query else ContactGroup.Status.READY
            group = ContactGroup.objects.create(workspace=workspace, name=name, query=query, status=status)
            if query:
                smart_groups.schedule_refresh(group=group)
            return group
    except IntegrityError:
        raise GroupError(f"the workspace already has a group named {name!r}") from None


def set_query(*, group: ContactGroup, query: str) -> ContactGroup:
    """Change a smart group's query; its members are recomputed by a background job."""
    from channels_app.services import smart_groups

    if not group.query:
        raise GroupError("only a smart group (made with a query) has a query")
    query = _clean_query(group.workspace, query)
    if not query:
        raise GroupError("a smart group needs a query")
    with transaction.atomic():
        group.query = query
        group.status = ContactGroup.Status.EVALUATING
        save_existing(group, ["query", "status"])
        smart_groups.schedule_refresh(group=group)
    return group


def rename_group(*, group: ContactGroup, name: str) -> ContactGroup:
    group.name = _clean_name(group.workspace, name, exclude_id=group.id)
    try:
        with transaction.atomic():
            save_existing(group, ["name"])
    except IntegrityError:
        raise GroupError(f"the workspace already has a group named {group.name!r}") from None
    return group


def delete_group(*, group: ContactGroup) -> None:
    """Contacts stay; only their membership (and triggers' references to the group) go."""
    group.delete()


def resolve_groups(*, workspace: Workspace, refs: list[str]) -> list[ContactGroup]:
    """Groups of the workspace by uuid or name (any case); unknown ones are one clear error."""
    found: dict[int, ContactGroup] = {}
    unknown = []
    for ref in refs:
        if not isinstance(ref, str) or not ref.strip():
            raise GroupError("a group is given by its uuid or name")
        ref = ref.strip()
        group = None
        parsed = _as_uuid(ref)
        if parsed is not None:
            group = ContactGroup.objects.filter(workspace=workspace, uuid=parsed).first()
        group = group or ContactGroup.objects.filter(workspace=workspace, name__iexact=ref).first()
        if group is None:
            unknown.append(ref)
        else:
            found[group.id] = group
    if unknown:
        raise GroupError(f"no such group: {', '.join(repr(u) for u in unknown)}")
    return list(found.values())


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _contacts(workspace: Workspace, contact_uuids: list[str]) -> list[Contact]:
    if len(contact_uuids) > MAX_CONTACTS_PER_CALL:
        raise GroupError(f"at most {MAX_CONTACTS_PER_CALL} contacts per request")
    parsed = {str(u): _as_uuid(str(u)) for u in contact_uuids}
    contacts = list(
        Contact.objects.filter(workspace=workspace, uuid__in=[p for p in parsed.values() if p is not None])
    )
    known = {str(c.uuid) for c in contacts}
    unknown = [raw for raw, p in parsed.items() if p is None or str(p) not in known]
    if unknown:
        raise GroupError(f"no such contact: {', '.join(unknown[:20])}")
    return contacts


@transaction.atomic
def change_members(*, group: ContactGroup, add: list[str], remove: list[str]) -> tuple[int, int]:
    """Add and remove contacts (by uuid) at once; returns how many were added and removed."""
    if group.query:
        raise GroupError("this group is computed from a query: its members can't be changed by hand")
    to_add = _contacts(group.workspace, add)
    to_remove = _contacts(group.workspace, remove)
    overlap = {c.id for c in to_add} & {c.id for c in to_remove}
    if overlap:
        raise GroupError("a contact can't be both added and removed")
    existing = set(
        group.contacts.filter(id__in=[c.id for c in to_add + to_remove]).values_list("id", flat=True)
    )
    added = [c for c in to_add if c.id not in existing]
    removed = [c for c in to_remove if c.id in existing]
    group.contacts.add(*added)
    group.contacts.remove(*removed)
    _members_changed(group.workspace_id, [c.id for c in added + removed])
    return len(added), len(removed)


def _members_changed(workspace_id: int, contact_ids: list[int]) -> None:
    """Hand-made membership changes reach smart groups (`group = X` queries) and listeners."""
    from channels_app.services.smart_groups import contacts_changed

    contacts_changed(workspace_id=workspace_id, contact_ids=contact_ids, groups_changed=True)


def member_count(group: ContactGroup) -> int:
    count = getattr(group, "member_count", None)
    if count is None:
        count = ContactGroupCount.objects.filter(group_id=group.id).aggregate(total=Sum("count"))["total"]
    return int(count or 0)


def squash_group_counts() -> dict[str, int]:
    """Periodic (FLOWGATE_PERIODIC_JOBS): fold each group's count rows into one, and drop rows
    of deleted groups. Only rows read here are deleted, so concurrent additions are never lost."""
    if not queue.try_lock("group-counts", seconds=60):
        return {}
    try:
        squashed = 0
        unsquashed = ContactGroupCount.objects.filter(is_squashed=False).values_list("group_id", flat=True)
        existing = set(ContactGroup.objects.values_list("id", flat=True))
        for group_id in sorted(set(unsquashed[:10_000])):
            with transaction.atomic():
                rows = list(ContactGroupCount.objects.filter(group_id=group_id).values_list("id", "count"))
                ContactGroupCount.objects.filter(id__in=[row_id for row_id, _ in rows]).delete()
                if group_id in existing:
                    total = sum(count for _, count in rows)
                    ContactGroupCount.objects.create(group_id=group_id, count=total, is_squashed=True)
            squashed += 1
        return {"group_counts_squashed": squashed}
    finally:
        queue.release_lock("group-counts")


def group_payload(group: ContactGroup) -> dict[str, Any]:
    return {
        "uuid": str(group.uuid),
        "name": group.name,
        "query": group.query or None,
        "count": member_count(group),
        "status": group.status,
        "created_on": group.created_on,
    }
