"""Message labels and the inbox state of messages (RapidPro's label / archive / delete actions).

Labels go on inbound messages only (what people sent in: "Feedback", "Question"); a flow's
`add_input_labels` action labels the message it is handling. Archiving takes a message out of
the inbox, restoring brings it back, deleting hides it from every list (the row stays, so
conversation threads and counts keep making sense).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet

from channels_app.models import Label, Msg, Workspace

MAX_MSGS_PER_CALL = 1000
ACTIONS = ("label", "unlabel", "archive", "restore", "delete")
VISIBILITIES = ("visible", "archived", "deleted")


class LabelError(ValueError):
    pass


def list_labels(*, workspace: Workspace) -> QuerySet[Label]:
    return Label.objects.filter(workspace=workspace).annotate(msg_count=Count("msgs")).order_by("name", "id")


def create_label(*, workspace: Workspace, name: str) -> Label:
    name = " ".join(str(name).split())
    if not name or len(name) > 64 or not name.isprintable():
        raise LabelError("a label name has 1-64 printable characters")
    if Label.objects.filter(workspace=workspace, name__iexact=name).exists():
        raise LabelError(f"the workspace already has a label named {name!r}")
    try:
        with transaction.atomic():
            return Label.objects.create(workspace=workspace, name=name)
    except IntegrityError:
        raise LabelError(f"the workspace already has a label named {name!r}") from None


def find_label(*, workspace: Workspace, ref: str) -> Label | None:
    """A label of the workspace by uuid or name (any case)."""
    ref = str(ref or "").strip()
    if not ref:
        return None
    try:
        found = Label.objects.filter(workspace=workspace, uuid=uuid.UUID(ref)).first()
    except ValueError:
        found = None
    return found or Label.objects.filter(workspace=workspace, name__iexact=ref).first()


def label_payload(label: Label) -> dict[str, Any]:
    count = getattr(label, "msg_count", None)
    return {
        "uuid": str(label.uuid),
        "name": label.name,
        "count": label.msgs.count() if count is None else count,
    }


def label_input(*, workspace: Workspace, msg: Msg | None, labels: list[dict[str, Any]]) -> int:
    """The flow's `input_labels_added` event: label the inbound message being handled."""
    if msg is None or msg.direction != "in":
        return 0
    uuids = [str(lb["uuid"]) for lb in labels if lb.get("uuid")]
    names = [lb.get("name") for lb in labels if lb.get("name")]
    found = {lb.id: lb for lb in Label.objects.filter(workspace=workspace, uuid__in=uuids)}
    for name in names:
        match = Label.objects.filter(workspace=workspace, name__iexact=name).first()
        if match is not None:
            found[match.id] = match
    for label in found.values():
        label.msgs.add(msg)
    return len(found)


def _msgs(workspace: Workspace, refs: list[str]) -> list[Msg]:
    if not isinstance(refs, list) or not refs:
        raise LabelError("give the messages as a list of uuids")
    if len(refs) > MAX_MSGS_PER_CALL:
        raise LabelError(f"at most {MAX_MSGS_PER_CALL} messages per request")
    parsed = []
    for ref in refs:
        try:
            parsed.append(uuid.UUID(str(ref)))
        except ValueError:
            raise LabelError(f"no such message: {ref}") from None
    msgs = list(Msg.objects.filter(workspace=workspace, uuid__in=parsed))
    known = {m.uuid for m in msgs}
    unknown = [str(u) for u in parsed if u not in known]
    if unknown:
        raise LabelError(f"no such message: {', '.join(unknown[:20])}")
    return msgs


@transaction.atomic
def message_action(*, workspace: Workspace, msg_uuids: list[str], action: str, label: str = "") -> int:
    """Apply one action to messages of the workspace (all or nothing); returns how many changed."""
    if action not in ACTIONS:
        raise LabelError(f"action is one of {', '.join(ACTIONS)}")
    msgs = _msgs(workspace, msg_uuids)
    if action in ("label", "unlabel"):
        found = find_label(workspace=workspace, ref=label)
        if found is None:
            raise LabelError(f"no such label: {label!r}" if label else "give the label (uuid or name)")
        if action == "label":
            outbound = [m for m in msgs if m.direction != "in"]
            if outbound:
                raise LabelError(f"only inbound messages are labelled ({outbound[0].uuid} is outgoing)")
            existing = set(found.msgs.filter(id__in=[m.id for m in msgs]).values_list("id", flat=True))
            new = [m for m in msgs if m.id not in existing]
            found.msgs.add(*new)
            return len(new)
        before = found.msgs.filter(id__in=[m.id for m in msgs]).count()
        found.msgs.remove(*msgs)
        return before
    visibility = {"archive": "archived", "restore": "visible", "delete": "deleted"}[action]
    return (
        Msg.objects.filter(id__in=[m.id for m in msgs])
        .exclude(visibility=visibility)
        .update(visibility=visibility)
    )
