from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import DataError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from channels_app import jsonlimits
from web.api import (
    broadcasts,
    calls,
    campaigns,
    channels,
    connectors,
    contacts,
    fields,
    flow_starts,
    flows,
    groups,
    messages,
    people,
    runs,
    services,
    simulate,
    templates,
    tokens,
    triggers,
    webhooks,
    workspace,
)
from web.api.auth import SessionOrToken
from web.api.throttle import TokenRateThrottle


class BoundedJSONParser(Parser):
    """Request bodies with their nesting bounded (channels_app.jsonlimits): too deep is a 400."""

    def parse_body(self, request: HttpRequest) -> Any:
        return jsonlimits.loads(request.body)


api = NinjaAPI(
    parser=BoundedJSONParser(),
    title="Flowgate API",
    version="1",
    description=(
        "Channels, contacts, groups, fields, messages, calls, flows and webhooks. Authenticate with "
        "`Authorization: Token <key>` (keys: `POST /api/v1/tokens`).\n\n"
        'Errors are JSON `{"error": "what is wrong", "errors": [...]}` (details optional): '
        "400 bad input, 401 missing or invalid key, 404 not found (another workspace's ids too), "
        "429 over the per-key rate limit with a `Retry-After` header in seconds.\n\n"
        "Lists that grow (messages, contacts, calls, runs, flow results, webhook deliveries) are "
        "newest first and paged with `cursor`: pass the `X-Next-Cursor` response header of the "
        "previous page (absent on the last page); `after` / `before` filter on the creation time."
    ),
    auth=SessionOrToken(),
    throttle=[TokenRateThrottle()],
    urls_namespace="api",
)
api.add_router("/workspace", workspace.router)
api.add_router("/channels", channels.router)
api.add_router("/contacts/imports", people.imports_router)
api.add_router("/contacts", contacts.router)
api.add_router("/contact_actions", people.contact_actions_router)
api.add_router("/labels", people.labels_router)
api.add_router("/message_actions", people.message_actions_router)
api.add_router("/groups", groups.router)
api.add_router("/fields", fields.router)
api.add_router("/messages", messages.router)
api.add_router("/templates", templates.router)
api.add_router("/webhooks", webhooks.router)
api.add_router("/tokens", tokens.router)
api.add_router("/flows", flows.router)
api.add_router("/simulate", simulate.router)
api.add_router("/flow_starts", flow_starts.router)
api.add_router("/triggers", triggers.router)
api.add_router("/runs", runs.router)
api.add_router("/connectors", connectors.router)
api.add_router("/calls", calls.router)
api.add_router("/tickets", services.tickets_router)
api.add_router("/ticket_actions", services.ticket_actions_router)
api.add_router("/topics", services.topics_router)
api.add_router("/resthook_subscribers", services.resthooks_router)
api.add_router("/airtime_service", services.airtime_router)
api.add_router("/llms", services.llms_router)
api.add_router("/campaigns", campaigns.router)
api.add_router("/campaign_events", campaigns.events_router)
api.add_router("/broadcasts", broadcasts.router)
api.add_router("/quiet_hours", broadcasts.quiet_router)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"error": "missing or invalid API token"}, status=401)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"error": str(exc)}, status=exc.status_code)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"error": "invalid request", "errors": exc.errors}, status=400)


@api.exception_handler(ObjectDoesNotExist)
def on_gone(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    # A row deleted by a concurrent request between our read and our write (services.rows).
    return api.create_response(request, {"error": str(exc) or "not found"}, status=404)


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # What the database refuses (a NUL character, an over-long or out-of-range value) is the
    # client's input, not our failure.
    return api.create_response(
        request,
        {"error": "invalid data: a value is too long, out of range or contains a NUL character"},
        status=400,
    )
