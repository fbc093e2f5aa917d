from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from ninja import Router

from channels_app.models import Channel, Label, Msg
from channels_app.services.labels import find_label
from channels_app.services.messages import message_payload
from channels_app.services.resend import MAX_RESEND, NOT_FOUND, resend_messages
from channels_app.services.send import SendError, queue_message, reply_problem
from channels_app.services.threads import message_thread
from flows.services.templates import TemplateError, send_template
from web.api.common import get_or_404, keyset_page
from web.api.schemas import ErrorOut, MessageDetailOut, MessageIn, MessageOut, ResendIn, ResendOut
from web.requests import WorkspaceRequest

router = Router(tags=["messages"])


@router.get("", response=list[MessageOut])
def list_messages(
    request: WorkspaceRequest,
    response: HttpResponse,
    direction: str = "",
    status: str = "",
    channel: str = "",
    contact: str = "",
    label: str = "",
    folder: str = "",
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    cursor: str = "",
) -> list[dict[str, Any]]:
    """Newest first. Page with `cursor` (the `X-Next-Cursor` header of the previous page).
    `label` (uuid or name) keeps labelled messages; `folder` is `visible` (the inbox), `archived`
    or `all` (default: both of those; deleted messages never show)."""
    qs = (
        Msg.objects.filter(workspace=request.workspace)
        .select_related("channel", "contact", "response_to")
        .prefetch_related("labels")
    )
    if label:
        found = find_label(workspace=request.workspace, ref=label)
        qs = (
            qs.filter(id__in=Label.msgs.through.objects.filter(label_id=found.id).values("msg_id"))
            if found
            else qs.none()
        )
    qs = (
        qs.filter(visibility=folder)
        if folder in ("visible", "archived")
        else qs.exclude(visibility="deleted")
    )
    if direction:
        qs = qs.filter(direction=direction)
    if status:
        qs = qs.filter(status__in=status.split(","))
    if channel:
        qs = qs.filter(channel__uuid=channel) if _is_uuid(channel) else qs.none()
    if contact:
        qs = qs.filter(contact__uuid=contact) if _is_uuid(contact) else qs.none()
    if after:
        qs = qs.filter(created_on__gt=_utc(after, "after"))
    if before:
        qs = qs.filter(created_on__lt=_utc(before, "before"))
    if cursor or not offset:
        return [
            message_payload(m)
            for m in keyset_page(request, qs, cursor=cursor, limit=limit, response=response)
        ]
    limit, offset = max(1, min(limit, 1000)), max(0, offset)
    return [message_payload(m) for m in qs.order_by("-id")[offset : offset + limit]]


def _utc(value: datetime, name: str) -> datetime:
    """PostgreSQL rejects offsets beyond ±15:59 that Python accepts: compare in UTC."""
    from datetime import UTC

    from ninja.errors import HttpError

    try:
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        raise HttpError(400, f"{name} is out of range") from None


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def quick_replies_metadata(texts: list[str]) -> dict[str, Any] | None:
    """Quick replies stored as flows store them (`[{"type": "text", "text": …}]`)."""
    replies = [{"type": "text", "text": t.strip()} for t in texts if t.strip()]
    return {"quick_replies": replies} if replies else None


@router.post("", response={201: MessageOut, 400: ErrorOut, 404: ErrorOut})
def send_message(request: WorkspaceRequest, payload: MessageIn) -> Any:
    """Without `channel` the selection rules pick one: the inbound's channel for a reply
    (`response_to`), the URN's affinity, a channel of the number's country, any of the scheme."""
    workspace = request.workspace
    channel = get_or_404(Channel, request, payload.channel, is_active=True) if payload.channel else None
    response_to = get_or_404(Msg, request, payload.response_to) if payload.response_to else None
    if response_to is not None:
        problem = reply_problem(workspace_id=workspace.id, response_to=response_to, to=payload.to)
        if problem:
            return 400, {"error": problem}
    try:
        if payload.template:
            if payload.text:
                return 400, {"error": "give either text or a template, not both"}
            msg = send_template(
                workspace=workspace,
                channel=channel,
                to=payload.to,
                code=payload.template,
                params=payload.params,
                language=payload.language,
                response_to=response_to,
            )
        else:
            msg = queue_message(
                workspace_id=workspace.id,
                channel=channel,
                to=payload.to,
                text=payload.text,
                attachments=payload.attachments,
                response_to=response_to,
                metadata=quick_replies_metadata(payload.quick_replies),
            )
    except SendError as exc:
        return 400, {"error": str(exc)}
    except TemplateError as exc:
        return 400, {"error": str(exc), "errors": exc.errors}
    return 201, message_payload(msg)


@router.post("/resend", response={200: ResendOut, 400: ErrorOut, 404: ErrorOut})
def resend(request: WorkspaceRequest, payload: ResendIn) -> Any:
    """Re-queue failed or outcome-unknown outbound messages (at most 1000 per call); the others
    are listed in `skipped` with the reason."""
    if not payload.uuids:
        return 400, {"error": "give the uuids of the messages to resend"}
    if len(payload.uuids) > MAX_RESEND:
        return 400, {"error": f"at most {MAX_RESEND} messages per call"}
    bad = [u for u in payload.uuids if not _is_uuid(u)]
    if bad:
        return 400, {"error": f"not a message uuid: {bad[0]!r}"}
    done = resend_messages(
        workspace_id=request.workspace.id,
        uuids=payload.uuids,
        user_id=getattr(getattr(request, "user", None), "pk", None),
    )
    if not done.resent and all(why == NOT_FOUND for _, why in done.skipped):
        return 404, {"error": "no such message"}
    return {
        "resent": [str(m.uuid) for m in done.resent],
        "skipped": [{"uuid": u, "reason": why} for u, why in done.skipped],
    }


@router.post("/{msg_uuid}/check_status", response={200: dict[str, Any], 400: ErrorOut, 404: ErrorOut})
def check_status(request: WorkspaceRequest, msg_uuid: str) -> Any:
    """Ask the provider about this message now (the connector's `<message_status>` request),
    besides the automatic polling; a final answer is applied like a callback."""
    from aggregators.xc.check import CheckError
    from aggregators.xc.check import check_status as check

    msg = get_or_404(Msg, request, msg_uuid)
    try:
        result = check(msg=msg)
    except CheckError as exc:
        return 400, {"error": str(exc)}
    return {
        "uuid": str(msg.uuid),
        "status": result.status,
        "provider_status": result.provider_status,
        "outcome": result.outcome,
        "error": result.error,
    }


@router.get("/{msg_uuid}/thread", response={200: list[MessageOut], 404: ErrorOut})
def get_thread(request: WorkspaceRequest, msg_uuid: str) -> Any:
    """The conversation the message belongs to: what triggered it and the replies, oldest first."""
    return [message_payload(m) for m in message_thread(get_or_404(Msg, request, msg_uuid))]


@router.get("/{msg_uuid}", response={200: MessageDetailOut, 404: ErrorOut})
def get_message(request: WorkspaceRequest, msg_uuid: str) -> Any:
    msg = get_or_404(Msg, request, msg_uuid)
    return message_payload(msg, with_events=True)
