"""Per-channel authentication of what providers post to `/c/<slug>/<uuid>/<action>`.

The secret channel uuid in the URL is always required; a channel may add one check on top:
HTTP basic auth, a shared-secret header, or the provider's own signature (for connectors that
declare a `<signature>`). `check()` is the one function both the ASGI fast path and the Django
view call, on a `WebhookRequest` each builds from what it sees, so both accept and refuse the
same requests. Failures are logged with the reason, never with a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from channels_app import crypto
from channels_app.types.base import ConfigError, ConfigField
from channels_app.types.config import MASK

if TYPE_CHECKING:
    from channels_app.models import Channel

logger = logging.getLogger(__name__)

MODES = ("none", "basic", "header", "signature")
FIELDS = (
    ConfigField(
        "inbound_auth",
        "Inbound authentication",
        "choice",
        default="none",
        choices=MODES,
        help="On top of the secret URL: basic auth, a shared-secret header, or the provider's "
        "signature (connectors that declare one, e.g. Twilio)",
    ),
    ConfigField(
        "inbound_username",
        "Inbound basic auth: username",
        help="The provider sends it with each request",
        show_when=("inbound_auth", ("basic",)),
    ),
    ConfigField(
        "inbound_password",
        "Inbound basic auth: password",
        "password",
        help="At least 8 characters",
        show_when=("inbound_auth", ("basic",)),
    ),
    ConfigField(
        "inbound_header_name",
        "Inbound shared-secret header name",
        help="e.g. X-Webhook-Secret",
        show_when=("inbound_auth", ("header",)),
    ),
    ConfigField(
        "inbound_header_value",
        "Inbound shared-secret header value",
        "password",
        help="At least 8 characters",
        show_when=("inbound_auth", ("header",)),
    ),
)
KEYS = frozenset(f.name for f in FIELDS)
SECRET_KEYS = frozenset(f.name for f in FIELDS if f.secret)
MIN_SECRET_LENGTH = 8
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")
_DIGESTS = {"hmac-sha1": hashlib.sha1, "hmac-sha256": hashlib.sha256, "hmac-sha512": hashlib.sha512}


@dataclass(frozen=True)
class InboundSignature:
    """A provider's webhook signature scheme with its key in clear (see connector `<signature>`)."""

    header: str
    key: str
    algorithm: str = "hmac-sha256"
    encoding: str = "base64"
    payload: str = "body"  # "body" | "url-params"
    prefix: str = ""


@dataclass
class WebhookRequest:
    """What the check needs, built from a Django request or a raw ASGI scope."""

    method: str
    url: str  # the public URL the provider called: FLOWGATE_BASE_URL + path + query
    headers: dict[str, str]  # lower-cased names
    body: bytes
    content_type: str = ""
    # Multipart form fields, which only Django parses; None means "parse the body if it is a form".
    form: list[tuple[str, str]] | None = None
    query: str = ""


@dataclass(frozen=True)
class Denied:
    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> bytes:
        return json.dumps({"error": self.message}).encode()


# --- configuration ---------------------------------------------------------------------------


def split_config(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the type's own settings, the inbound-auth settings)."""
    own = {k: v for k, v in config.items() if k not in KEYS}
    auth = {k: v for k, v in config.items() if k in KEYS}
    return own, auth


def clean(
    config: dict[str, Any], *, existing: dict[str, Any] | None = None, signature_available: bool = False
) -> dict[str, Any]:
    """Validate the inbound-auth settings; masked secrets keep their stored value."""
    existing = existing or {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in FIELDS:
        value = config.get(f.name)
        if f.secret and value == MASK:
            value = existing.get(f.name)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            errors[f.name] = "must be text"
            continue
        values[f.name] = value if f.secret else value.strip()
    mode = values.get("inbound_auth") or "none"
    if mode not in MODES:
        errors["inbound_auth"] = f"must be one of {', '.join(MODES)}"
    elif mode == "basic":
        if not values.get("inbound_username"):
            errors["inbound_username"] = "basic auth needs a username"
        elif ":" in values["inbound_username"]:
            errors["inbound_username"] = "a basic auth username cannot contain ':'"
        _need_secret(values, "inbound_password", errors)
    elif mode == "header":
        name = values.get("inbound_header_name", "")
        if not name:
            errors["inbound_header_name"] = "name the header the provider sends"
        elif not _HEADER_NAME.match(name):
            errors["inbound_header_name"] = f"{name!r} is not a valid HTTP header name"
        _need_secret(values, "inbound_header_value", errors)
    elif mode == "signature" and not signature_available:
        errors["inbound_auth"] = (
            "this channel's provider declares no signature scheme (a connector <signature>)"
        )
    if errors:
        raise ConfigError(errors)
    values["inbound_auth"] = mode
    return values


def _need_secret(values: dict[str, Any], key: str, errors: dict[str, str]) -> None:
    value = values.get(key, "")
    if not value:
        errors[key] = "this setting is required"
    elif not crypto.is_encrypted(value) and len(value) < MIN_SECRET_LENGTH:
        errors[key] = f"use at least {MIN_SECRET_LENGTH} characters"


def mask(config: dict[str, Any]) -> dict[str, Any]:
    return {k: (MASK if k in SECRET_KEYS and v not in (None, "") else v) for k, v in config.items()}


def mode_of(channel: Channel) -> str:
    return str(channel.config.get("inbound_auth") or "none")


# --- the check --------------------------------------------------------------------------------


def check(channel: Channel, request: WebhookRequest) -> Denied | None:
    """None when the request may proceed; otherwise why not (401/403 and a clear message)."""
    mode = mode_of(channel)
    if mode == "none":
        return None
    try:
        denied = _check(mode, channel, request)
    except crypto.SecretDecryptionError as exc:
        logger.error("inbound auth on channel %s cannot read its secret: %s", channel.uuid, exc)
        return Denied(403, "this channel's inbound credentials cannot be checked; ask its admin")
    if denied is not None:
        logger.warning(
            "inbound %s auth failed on channel %s (%s %s): %s",
            mode, channel.uuid, request.method, request.url.split("?")[0], denied.message,
        )  # fmt: skip
    return denied


def _check(mode: str, channel: Channel, request: WebhookRequest) -> Denied | None:
    config = channel.config
    if mode == "basic":
        return _check_basic(
            request,
            str(config.get("inbound_username") or ""),
            crypto.decrypt(str(config.get("inbound_password") or "")),
        )
    if mode == "header":
        name = str(config.get("inbound_header_name") or "")
        expected = crypto.decrypt(str(config.get("inbound_header_value") or ""))
        given = request.headers.get(name.lower())
        if given is None:
            return Denied(401, f"missing the {name} header this channel requires")
        if not expected or not _same(given, expected):
            return Denied(403, f"the {name} header does not match")
        return None
    if mode == "signature":
        signature = channel.type.inbound_signature(channel)
        if signature is None:
            return Denied(403, "signature checking is on but this channel's provider declares no signature")
        return _check_signature(request, signature)
    return Denied(403, f"unknown inbound authentication {mode!r} on this channel")


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _check_basic(request: WebhookRequest, username: str, password: str) -> Denied | None:
    challenge = {"WWW-Authenticate": 'Basic realm="flowgate", charset="UTF-8"'}
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return Denied(401, "this channel requires HTTP basic authentication", challenge)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return Denied(401, "malformed basic authorization header", challenge)
    given_user, sep, given_password = decoded.partition(":")
    # Both compared in full, whatever the first result, so timing says nothing about which failed.
    ok = _same(given_user, username) & _same(given_password, password)
    if not sep or not ok or not password:
        return Denied(401, "wrong username or password", challenge)
    return None


def form_params(request: WebhookRequest) -> list[tuple[str, str]]:
    if request.form is not None:
        return request.form
    if request.method != "POST":
        return []
    content_type = request.content_type.split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return []
    return parse_qsl(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)


def expected_signature(
    signature: InboundSignature, *, url: str, params: list[tuple[str, str]], body: bytes
) -> str:
    if signature.payload == "url-params":
        # Twilio's documented scheme: the URL, then each parameter name and value, sorted by name.
        message = (url + "".join(name + value for name, value in sorted(params))).encode()
    else:
        message = body
    digest = hmac.new(signature.key.encode(), message, _DIGESTS[signature.algorithm]).digest()
    encoded = base64.b64encode(digest).decode() if signature.encoding == "base64" else digest.hex()
    return signature.prefix + encoded


def _check_signature(request: WebhookRequest, signature: InboundSignature) -> Denied | None:
    given = request.headers.get(signature.header.lower())
    if not given:
        return Denied(401, f"missing the {signature.header} signature header")
    if not signature.key:
        return Denied(403, "this channel has no signing key configured")
    params = form_params(request) if signature.payload == "url-params" else []
    expected = expected_signature(signature, url=request.url, params=params, body=request.body)
    if signature.encoding == "hex":
        given, expected = given.strip().lower(), expected.lower()
    if not _same(given.strip(), expected):
        return Denied(403, f"invalid {signature.header} signature")
    # JSON webhooks: the signed URL carries the body's hash, so the body is covered too.
    body_hash = dict(parse_qsl(request.query)).get("bodySHA256")
    if (
        signature.payload == "url-params"
        and body_hash is not None
        and not _same(body_hash.lower(), hashlib.sha256(request.body).hexdigest())
    ):
        return Denied(403, "the body does not match its bodySHA256")
    return None


# --- adapters for the two entry points -------------------------------------------------------


def public_url(path_and_query: str) -> str:
    from django.conf import settings

    return settings.FLOWGATE_BASE_URL.rstrip("/") + path_and_query


def from_django(request: Any) -> WebhookRequest:
    """A WebhookRequest from a Django HttpRequest (reads the body; may raise RequestDataTooBig)."""
    content_type = request.META.get("CONTENT_TYPE", "")
    form = None
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        form = [(k, v) for k, values in request.POST.lists() for v in values]
        body = b""
    else:
        body = request.body
    headers = {k.lower(): str(v) for k, v in request.headers.items()}
    return WebhookRequest(
        method=request.method or "GET",
        url=public_url(request.get_full_path()),
        headers=headers,
        body=body,
        content_type=content_type,
        form=form,
        query=request.META.get("QUERY_STRING", ""),
    )


def from_scope(scope: dict[str, Any], headers: dict[str, str], body: bytes) -> WebhookRequest:
    """A WebhookRequest from an ASGI scope (headers already lower-cased, body already read)."""
    from urllib.parse import quote

    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1").split("?")[0] if raw_path else quote(scope.get("path", ""))
    query = scope.get("query_string", b"").decode("latin-1")
    return WebhookRequest(
        method=scope.get("method", "GET"),
        url=public_url(path + (f"?{query}" if query else "")),
        headers=headers,
        body=body,
        content_type=headers.get("content-type", ""),
        query=query,
    )


async def send_denied(send: Any, denied: Denied) -> None:
    """Answer an ASGI request with the refusal."""
    body = denied.body()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in denied.headers.items()]
    await send({"type": "http.response.start", "status": denied.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def check_asgi(
    channel: Channel, scope: dict[str, Any], headers: dict[str, str], body: bytes
) -> Denied | None:
    """`check()` for the ASGI fast path; signature keys may need a connector lookup, done off the loop."""
    mode = mode_of(channel)
    if mode == "none":
        return None
    request = from_scope(scope, headers, body)
    if mode == "signature":
        from asgiref.sync import sync_to_async

        return await sync_to_async(check)(channel, request)
    return check(channel, request)
