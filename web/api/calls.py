"""Calls: click-to-call (POST), the call log and one call with its raw provider events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from ninja import Router, Schema

from aggregators.voice import placing, services
from channels_app.models import Call, Channel, Membership
from web.api.common import get_or_404, keyset_page
from web.api.filters import AFTER_BEFORE_DOC, date_range
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["calls"])


class CallIn(Schema):
    channel: str
    to: str
    user: str | None = None  # email or username of a workspace member; default: the caller
    extension: str | None = None  # the agent's phone; default: the user's agent phone


class AgentPhoneIn(Schema):
    extension: str
    phone_home: str = ""
    takes_incoming: bool = True


class CallEventOut(Schema):
    type: str
    status: str
    data: dict[str, Any]
    created_on: datetime


class CallOut(Schema):
    uuid: str
    call_id: str | None
    channel: str
    direction: str
    status: str
    from_number: str
    to_number: str
    contact: dict[str, Any] | None
    user: str | None
    duration: int | None
    started_on: datetime | None
    ended_on: datetime | None
    recording_url: str
    error: str
    data: dict[str, Any]
    created_on: datetime
    modified_on: datetime
    events: list[CallEventOut] | None = None


def _caller(request: WorkspaceRequest) -> Any:
    auth = getattr(request, "auth", None)
    if auth is not None and getattr(auth, "is_authenticated", False) is True:
        return auth  # a logged-in user (session)
    return getattr(auth, "user", None)  # an API token's owner, if any


def _user(request: WorkspaceRequest, ref: str | None) -> Any:
    if not ref:
        return _caller(request)
    user = get_user_model().objects.filter(username=ref).first() or (
        get_user_model().objects.filter(email__iexact=ref).order_by("id").first()
    )
    if user is None or not Membership.objects.filter(workspace=request.workspace, user=user).exists():
        raise services.CallError(f"user {ref!r} is not a member of this workspace")
    return user


def _calls(request: WorkspaceRequest) -> Any:
    return Call.objects.filter(workspace=request.workspace).select_related("channel", "contact", "user")


@router.post("", response={201: CallOut, 400: ErrorOut, 404: ErrorOut, 502: CallOut})
def place_call(request: WorkspaceRequest, payload: CallIn) -> Any:
    """Ring the agent (``extension``) through the channel's provider, then dial ``to``.

    A provider refusal still records the call: 502 with ``status: failed`` and ``error``.
    """
    channel = get_or_404(Channel, request, payload.channel, is_active=True)
    try:
        call = placing.place_call(
            channel=channel,
            to=payload.to,
            user=_user(request, payload.user),
            extension=payload.extension or "",
        )
    except services.CallError as exc:
        return 400, {"error": str(exc)}
    call = _calls(request).get(id=call.id)
    return (502 if call.status == Call.Status.FAILED else 201), services.call_payload(call)


@router.get(
    "",
    response={200: list[CallOut], 400: ErrorOut, 404: ErrorOut},
    summary="List calls",
    description=AFTER_BEFORE_DOC.format(field="created_on"),
)
def list_calls(
    request: WorkspaceRequest,
    response: HttpResponse,
    direction: str = "",
    status: str = "",
    channel: str = "",
    contact: str = "",
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    cursor: str = "",
) -> Any:
    qs = _calls(request).prefetch_related("contact__urns").order_by("-id")
    qs = date_range(qs, "created_on", after=after, before=before)
    if direction:
        qs = qs.filter(direction=direction)
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=get_or_404(Channel, request, channel))
    if contact:
        from channels_app.models import Contact

        qs = qs.filter(contact=get_or_404(Contact, request, contact))
    if cursor or not offset:
        page = keyset_page(request, qs, cursor=cursor, limit=limit, response=response)
        return [services.call_payload(c) for c in page]
    limit = max(1, min(limit, 1000))
    return [services.call_payload(c) for c in qs[max(offset, 0) : max(offset, 0) + limit]]


@router.get("/agent", response={200: AgentPhoneIn, 400: ErrorOut})
def get_agent_phone(request: WorkspaceRequest) -> Any:
    """The caller's own agent phone (the default ``extension`` of their click-to-calls)."""
    phone = services.agent_phone(_caller(request))
    if phone is None:
        return {"extension": "", "phone_home": "", "takes_incoming": True}
    return phone


@router.put("/agent", response={200: AgentPhoneIn, 400: ErrorOut})
def set_agent_phone(request: WorkspaceRequest, payload: AgentPhoneIn) -> Any:
    user = _caller(request)
    if user is None:
        return 400, {"error": "this API token has no user: log in or use a user's token"}
    try:
        return services.set_agent_phone(
            user=user,
            extension=payload.extension,
            phone_home=payload.phone_home,
            takes_incoming=payload.takes_incoming,
        )
    except services.CallError as exc:
        return 400, {"error": str(exc)}


@router.get("/{call_uuid}", response={200: CallOut, 404: ErrorOut})
def get_call(request: WorkspaceRequest, call_uuid: str) -> Any:
    call = get_or_404(Call, request, call_uuid)
    return services.call_payload(_calls(request).prefetch_related("events").get(id=call.id), events=True)
