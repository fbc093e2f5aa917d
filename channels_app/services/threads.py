"""Conversation threads: an outbound reply points at what triggered it (Msg.response_to)."""

from __future__ import annotations

from channels_app.models import Msg

MAX_DEPTH = 50
MAX_MESSAGES = 500


def message_thread(msg: Msg) -> list[Msg]:
    """The whole thread `msg` belongs to: its root and every reply below it, oldest first."""
    root = msg
    seen = {root.id}
    while root.response_to_id and len(seen) < MAX_DEPTH:
        parent = Msg.objects.filter(id=root.response_to_id, workspace_id=msg.workspace_id).first()
        if parent is None or parent.id in seen:
            break
        root = parent
        seen.add(root.id)
    ids = {root.id}
    frontier = [root.id]
    while frontier and len(ids) < MAX_MESSAGES:
        children = list(
            Msg.objects.filter(response_to_id__in=frontier, workspace_id=msg.workspace_id)
            .exclude(id__in=ids)
            .values_list("id", flat=True)[:MAX_MESSAGES]
        )
        ids.update(children)
        frontier = children
    return list(
        Msg.objects.filter(id__in=ids)
        .select_related("channel", "contact", "response_to")
        .order_by("created_on", "id")
    )
