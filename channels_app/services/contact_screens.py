"""What the contacts screens read: a searchable, paged contact list and a contact's message history.

Editing goes through services.contacts / groups / fields; sending through services.send.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from channels_app import urns
from channels_app.models import Channel, Contact, ContactGroup, Msg, Workspace
from channels_app.services import contact_query, send
from channels_app.services.search_terms import match_contacts

CONTACTS_PER_PAGE = 50
MSGS_PER_PAGE = 25


@dataclass
class Page:
    rows: list[Any]
    # id to pass as `before` for the next (older) page; None on the last page
    older: int | None = None
    newer: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _page(qs: QuerySet[Any], *, before: int | None, size: int) -> Page:
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(qs.order_by("-id")[: size + 1])
    older = rows[size - 1].id if len(rows) > size else None
    return Page(rows=rows[:size], older=older, newer=before is not None)


def parse_before(raw: str) -> int | None:
    """A `before` cursor from the query string; anything but a positive int means the first page."""
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**62 else None


def search_contacts(
    *,
    workspace: Workspace,
    query: str = "",
    group: ContactGroup | None = None,
    before: int | None = None,
    status: str = "",
) -> Page:
    """Contacts newest first, matching a name or URN fragment or a contact query (`age > 18`),
    optionally in one group; archived contacts only when `status` asks for them. A bad query
    raises contact_query.QueryError."""
    # One lookup of each contact's last message (its id), then its fields in one query: the
    # contact index sorts a contact's messages (0021), so three subqueries sorted them three times.
    last_msg = Msg.objects.filter(contact=OuterRef("pk")).order_by("-id").values("id")[:1]
    qs = matching_contacts(workspace=workspace, query=query, group=group, status=status)
    qs = qs.annotate(last_msg_id=Subquery(last_msg)).prefetch_related("urns", "groups")
    page = _page(qs, before=before, size=CONTACTS_PER_PAGE)
    last = Msg.objects.only("text", "uuid", "created_on").in_bulk(
        [c.last_msg_id for c in page.rows if c.last_msg_id is not None]
    )
    for contact in page.rows:
        msg = last.get(contact.last_msg_id)
        contact.last_msg_text = msg.text if msg else None
        contact.last_msg_uuid = msg.uuid if msg else None
        contact.last_msg_on = msg.created_on if msg else None
    return page


def matching_contacts(
    *, workspace: Workspace, query: str = "", group: ContactGroup | None = None, status: str = ""
) -> QuerySet[Contact]:
    """Every contact the list shows for this search, group and status, on all its pages: what
    the list's "all matching" actions apply to, so an action never reaches past what was shown."""
    qs = Contact.objects.filter(workspace=workspace)
    qs = qs.filter(status=status) if status else qs.exclude(status=Contact.Status.ARCHIVED)
    query = query.strip()
    if query and contact_query.looks_like_query(query):
        qs = qs.filter(contact_query.to_q(workspace=workspace, query=query))
    elif query:
        # by number, name or URN through their indexes; no join on URNs, so no DISTINCT
        qs = qs.filter(id__in=match_contacts(workspace_id=workspace.id, query=query).contacts)
    if group is not None:
        qs = qs.filter(groups=group)
    return qs


def find_group(*, workspace: Workspace, group_uuid: str) -> ContactGroup | None:
    try:
        parsed = uuid.UUID(group_uuid)
    except ValueError:  # a malformed uuid is simply no group
        return None
    return ContactGroup.objects.filter(workspace=workspace, uuid=parsed).first()


def message_history(*, contact: Contact, before: int | None = None) -> Page:
    """The contact's messages both ways, newest first."""
    qs = Msg.objects.filter(workspace_id=contact.workspace_id, contact=contact).select_related("channel")
    return _page(qs, before=before, size=MSGS_PER_PAGE)


def send_channels(*, contact: Contact) -> list[Channel]:
    """Active channels of the contact's workspace that can reach one of its URNs."""
    schemes = {u.scheme for u in contact.urns.all()}
    channels = Channel.objects.filter(workspace_id=contact.workspace_id, is_active=True).order_by("name")
    return [c for c in channels if schemes & set(c.type.schemes)]


def send_to_contact(*, contact: Contact, channel_uuid: str, urn: str, text: str, user_id: int | None) -> Msg:
    """Queue a message to one of the contact's own URNs over a channel of its workspace."""
    text = text.strip()
    if not text:
        raise send.SendError("write a message first")
    if len(text) > 4096:
        raise send.SendError("a message has at most 4096 characters")
    channel = None
    if channel_uuid:  # empty: "automatic", the selection rules choose (affinity first)
        channel = next((c for c in send_channels(contact=contact) if str(c.uuid) == channel_uuid), None)
        if channel is None:
            raise send.SendError("choose a channel that can reach this contact")
    own = [u.identity for u in contact.urns.all()]
    if urn not in own:
        raise send.SendError("choose one of this contact's URNs")
    if channel is not None and urns.split(urn)[0] not in channel.type.schemes:
        raise send.SendError(f"channel {channel.name!r} cannot send to {urns.split(urn)[0]}: URNs")
    return send.queue_message(
        workspace_id=contact.workspace_id,
        channel=channel,
        to=urn,
        text=text,
        metadata={"sent_by_user": user_id},
    )
