from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from web.api import channels, contacts, messages
from web.api.auth import SessionOrToken

api = NinjaAPI(
    title="Flowgate API",
    version="1",
    description="Channels, contacts, messages and flows. Authenticate with `Authorization: Token <key>`.",
    auth=SessionOrToken(),
    urls_namespace="api",
)
api.add_router("/channels", channels.router)
api.add_router("/contacts", contacts.router)
api.add_router("/messages", messages.router)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"error": "missing or invalid API token"}, status=401)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"error": str(exc)}, status=exc.status_code)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"error": "invalid request", "errors": exc.errors}, status=400)
