from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpResponse
from ninja import Router, Schema

from channels_app.models import WebhookDelivery, WebhookSubscription
from channels_app.services import webhooks as webhook_service
from web.api.common import get_or_404, keyset_page
from web.api.filters import AFTER_BEFORE_DOC, date_range
from web.api.schemas import ErrorOut
from web.requests import WorkspaceRequest

router = Router(tags=["webhooks"])


class WebhookIn(Schema):
    url: str
    events: list[str]


class WebhookPatch(Schema):
    url: str | None = None
    events: list[str] | None = None
    is_active: bool | None = None


class WebhookOut(Schema):
    uuid: str
    url: str
    events: list[str]
    secret: str  # in full only in the answer to the POST that created it
    is_active: bool
    created_on: datetime


class AttemptOut(Schema):
    status_code: int | None
    error: str
    response_body: str
    elapsed_ms: float
    created_on: datetime


class DeliveryOut(Schema):
    uuid: str
    subscription: str
    event: str
    status: str
    attempts: int
    last_status_code: int | None
    next_attempt_on: datetime
    created_on: datetime
    delivered_on: datetime | None
    payload: dict[str, Any]
    attempt_log: list[AttemptOut] = []


@router.get("", response=list[WebhookOut])
def list_webhooks(request: WorkspaceRequest) -> list[dict[str, Any]]:
    qs = WebhookSubscription.objects.filter(workspace=request.workspace).order_by("id")
    return [webhook_service.subscription_payload(s) for s in qs]


@router.post("", response={201: WebhookOut, 400: ErrorOut})
def create_webhook(request: WorkspaceRequest, payload: WebhookIn) -> Any:
    try:
        subscription = webhook_service.create_subscription(
            workspace=request.workspace,
            url=payload.url,
            events=payload.events,
        )
    except webhook_service.WebhookError as exc:
        return 400, {"error": str(exc)}
    return 201, webhook_service.subscription_payload(subscription, with_secret=True)


@router.get("/events", response=list[str])
def list_events(request: WorkspaceRequest) -> list[str]:
    return list(webhook_service.EVENTS)


@router.get("/deliveries/{delivery_uuid}", response={200: DeliveryOut, 404: ErrorOut})
def get_delivery(request: WorkspaceRequest, delivery_uuid: str) -> Any:
    delivery = get_or_404(WebhookDelivery, request, delivery_uuid)
    return webhook_service.delivery_payload(delivery, with_attempts=True)


@router.post("/deliveries/{delivery_uuid}/replay", response={201: DeliveryOut, 404: ErrorOut})
def replay_delivery(request: WorkspaceRequest, delivery_uuid: str) -> Any:
    delivery = get_or_404(WebhookDelivery, request, delivery_uuid)
    return 201, webhook_service.delivery_payload(webhook_service.replay(delivery=delivery))


@router.get("/{webhook_uuid}", response={200: WebhookOut, 404: ErrorOut})
def get_webhook(request: WorkspaceRequest, webhook_uuid: str) -> Any:
    return webhook_service.subscription_payload(get_or_404(WebhookSubscription, request, webhook_uuid))


@router.patch("/{webhook_uuid}", response={200: WebhookOut, 400: ErrorOut, 404: ErrorOut})
def update_webhook(request: WorkspaceRequest, webhook_uuid: str, payload: WebhookPatch) -> Any:
    subscription = get_or_404(WebhookSubscription, request, webhook_uuid)
    try:
        webhook_service.update_subscription(subscription=subscription, **payload.dict(exclude_unset=True))
    except webhook_service.WebhookError as exc:
        return 400, {"error": str(exc)}
    return webhook_service.subscription_payload(subscription)


@router.delete("/{webhook_uuid}", response={204: None, 404: ErrorOut})
def delete_webhook(request: WorkspaceRequest, webhook_uuid: str) -> Any:
    get_or_404(WebhookSubscription, request, webhook_uuid).delete()
    return 204, None


@router.get(
    "/{webhook_uuid}/deliveries",
    response={200: list[DeliveryOut], 400: ErrorOut, 404: ErrorOut},
    summary="List a subscription's deliveries",
    description="`status` is a comma-separated list. " + AFTER_BEFORE_DOC.format(field="created_on"),
)
def list_deliveries(
    request: WorkspaceRequest,
    response: HttpResponse,
    webhook_uuid: str,
    status: str = "",
    after: datetime | None = None,
    before: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
    cursor: str = "",
) -> Any:
    subscription = get_or_404(WebhookSubscription, request, webhook_uuid)
    qs = (
        subscription.deliveries.select_related("subscription").prefetch_related("attempt_log").order_by("-id")
    )
    if status:
        qs = qs.filter(status__in=status.split(","))
    qs = date_range(qs, "created_on", after=after, before=before)
    if cursor or not offset:
        page = keyset_page(request, qs, cursor=cursor, limit=min(limit, 500), response=response)
        return [webhook_service.delivery_payload(d, with_attempts=True) for d in page]
    limit, offset = max(1, min(limit, 500)), max(0, offset)
    return [webhook_service.delivery_payload(d, with_attempts=True) for d in qs[offset : offset + limit]]
