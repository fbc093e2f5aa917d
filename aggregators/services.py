"""Connectors for a workspace: upload and validate, list, resolve a channel's connector, test-send.

A channel refers to its connector by slug (built-in or uploaded) or by the uploaded row's uuid.
Uploaded connectors never change after saving, so their parsed form is cached by uuid.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from aggregators.connector import (
    BuildError,
    ConnectorError,
    build_send_request,
    builtin_connectors,
    map_send_response,
    parse_connector,
)
from aggregators.connector import Connector as ParsedConnector
from aggregators.models import Connector
from aggregators.xc.callback_fields import CALLBACK_FIELDS
from channels_app.models import Workspace
from channels_app.types.config import MASK
from channels_app.urlguard import config_url_refusal, outbound_client

BUILTIN_NAMESPACE = uuid.UUID("6f1c0f55-2d0e-4b8e-9a43-7b0c5f2f9e11")


class ConnectorNotFound(LookupError):
    pass


class ConnectorRejected(ValueError):
    """Upload validation failed; ``errors`` carry line:column for the API, UI and CLI."""

    def __init__(self, errors: list[ConnectorError]) -> None:
        super().__init__("; ".join(e.format() for e in errors[:5]))
        self.errors = errors


@dataclass(frozen=True)
class ResolvedConnector:
    slug: str
    name: str
    kind: str
    builtin: bool
    parsed: ParsedConnector
    uuid: str | None = None
    xml: str = ""

    def payload(self, *, with_xml: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "uuid": self.uuid,
            "slug": self.slug,
            "name": self.name,
            "kind": self.kind,
            "builtin": self.builtin,
            "fields": self.parsed.form_fields(),
            # So channel forms and API clients know whether inbound_auth="signature" is possible.
            "signature": self.parsed.signature_summary(),
        }
        if with_xml:
            out["xml"] = self.xml
        return out


# --- validation and upload --------------------------------------------------------------------


def validate_connector(*, xml: str, name: str = "") -> ParsedConnector:
    """The parsed connector, or ``ConnectorRejected`` listing every error with line:column."""
    result = parse_connector(xml, name=name)
    if not result.ok or result.connector is None:
        raise ConnectorRejected(sorted(result.errors))
    refused = _internal_urls(result.connector, xml)
    if refused:
        raise ConnectorRejected(sorted(refused))
    return result.connector


def _internal_urls(connector: ParsedConnector, xml: str) -> list[ConnectorError]:
    """URLs written literally in the connector that point at internal addresses (save-time SSRF check).

    Only a literal scheme://host is checked here; a host filled from a field is checked when the
    channel's fields are saved (url fields) and again at send time.
    """
    errors: list[ConnectorError] = []
    pending: list[Any] = [connector]
    while pending:
        node = pending.pop()
        if isinstance(node, tuple | list):
            pending.extend(node)
            continue
        if not dataclasses.is_dataclass(node) or isinstance(node, type):
            continue
        url = getattr(node, "url", None)
        parts = getattr(url, "parts", None)
        if parts and parts[0].kind == "text" and "://" in parts[0].value:
            literal = parts[0].value.strip()
            host_is_literal = len(parts) == 1 or any(c in literal.split("://", 1)[1] for c in "/?#")
            refusal = config_url_refusal(literal) if host_is_literal else None
            if refusal:
                at = max(
                    xml.find(literal), 0
                )  # where the URL is written (not every element keeps a position)
                line, column = xml.count("\n", 0, at) + 1, at - xml.rfind("\n", 0, at)
                errors.append(ConnectorError(line, column, f"URL {literal!r} is not allowed: {refusal}"))
        pending.extend(getattr(node, f.name) for f in dataclasses.fields(node))
    return errors


def _free_slug(workspace: Workspace, name: str) -> str:
    base = (slugify(name) or "connector")[:56]
    taken = set(builtin_connectors()) | set(
        Connector.objects.filter(workspace=workspace, slug__startswith=base).values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def upload_connector(*, workspace: Workspace, name: str, xml: str) -> Connector:
    """Validate and store a workspace connector; its slug never shadows a built-in one."""
    name = (name or "").strip()
    if not name:
        raise ConnectorRejected([ConnectorError(1, 1, "a connector needs a name")])
    parsed = validate_connector(xml=xml, name=name)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return Connector.objects.create(
                    workspace=workspace,
                    name=name,
                    slug=_free_slug(workspace, name),
                    kind=parsed.kind,
                    xml=xml,
                )
        except IntegrityError:  # a concurrent upload took the slug: pick the next one
            continue
    raise ConnectorRejected([ConnectorError(1, 1, "could not choose a free slug; try another name")])


# --- resolution ---------------------------------------------------------------------------------

_parsed_cache: dict[str, ParsedConnector] = {}
_resolve_cache: dict[tuple[int, str], tuple[float, ResolvedConnector]] = {}
_cache_lock = threading.Lock()
_RESOLVE_SECONDS = 30.0


def _builtin(slug: str) -> ResolvedConnector:
    from aggregators.connector import builtin_paths

    parsed = builtin_connectors()[slug]
    return ResolvedConnector(
        slug=slug,
        name=parsed.name or slug,
        kind=parsed.kind,
        builtin=True,
        parsed=parsed,
        xml=builtin_paths()[slug].read_text(),
    )


def _uploaded(row: Connector) -> ResolvedConnector:
    key = str(row.uuid)
    with _cache_lock:
        parsed = _parsed_cache.get(key)
    if parsed is None:
        parsed = validate_connector(xml=row.xml, name=row.name)
        with _cache_lock:
            if len(_parsed_cache) > 1000:
                _parsed_cache.clear()
            _parsed_cache[key] = parsed
    return ResolvedConnector(
        slug=row.slug, name=row.name, kind=row.kind, builtin=False, parsed=parsed, uuid=key, xml=row.xml
    )


def resolve_connector(*, workspace_id: int, ref: str) -> ResolvedConnector:
    """A built-in connector by slug, or one of this workspace's by slug or uuid (never another's)."""
    ref = str(ref or "").strip()
    if not ref:
        raise ConnectorNotFound("no connector given")
    if ref in builtin_connectors():
        return _builtin(ref)
    try:
        parsed_uuid: uuid.UUID | None = uuid.UUID(ref)
    except ValueError:
        parsed_uuid = None
    qs = Connector.objects.filter(workspace_id=workspace_id)
    row = qs.filter(uuid=parsed_uuid).first() if parsed_uuid else qs.filter(slug=ref).first()
    if row is None:
        raise ConnectorNotFound(f"no connector {ref!r} in this workspace or among the built-in ones")
    return _uploaded(row)


def resolve_cached(*, workspace_id: int, ref: str) -> ResolvedConnector:
    """``resolve_connector`` memoised briefly: the send and callback paths call it per message."""
    key = (workspace_id, str(ref))
    now = time.monotonic()
    with _cache_lock:
        hit = _resolve_cache.get(key)
    if hit and hit[0] > now:
        return hit[1]
    resolved = resolve_connector(workspace_id=workspace_id, ref=ref)
    with _cache_lock:
        if len(_resolve_cache) > 10_000:
            _resolve_cache.clear()
        _resolve_cache[key] = (now + _RESOLVE_SECONDS, resolved)
    return resolved


def cached_only(*, workspace_id: int, ref: str) -> ResolvedConnector | None:
    """A still-fresh resolution without touching the database (safe inside an event loop)."""
    with _cache_lock:
        hit = _resolve_cache.get((workspace_id, str(ref)))
    return hit[1] if hit and hit[0] > time.monotonic() else None


def list_connectors(*, workspace: Workspace) -> list[ResolvedConnector]:
    builtins = [_builtin(slug) for slug in sorted(builtin_connectors())]
    own = [_uploaded(row) for row in Connector.objects.filter(workspace=workspace).order_by("name", "id")]
    return builtins + own


def get_connector(*, workspace: Workspace, ref: str) -> ResolvedConnector:
    return resolve_connector(workspace_id=workspace.id, ref=ref)


# --- channel config -----------------------------------------------------------------------------


def clean_channel_config(
    *, workspace_id: int, config: dict[str, Any], existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``{"connector": ref, "fields": {...}}`` checked against the connector's declared fields.

    Raises ``ConfigError`` naming each bad key (``fields.NAME`` for a connector field).
    """
    from channels_app.types.base import ConfigError

    errors: dict[str, str] = {}
    unknown = sorted(set(config) - {"connector", "fields", "max_tps"})
    for key in unknown:
        errors[key] = "unknown setting (use 'connector' and 'fields')"
    ref = config.get("connector")
    if not isinstance(ref, str) or not ref.strip():
        errors["connector"] = "name a connector by slug or uuid"
        raise ConfigError(errors)
    try:
        resolved = resolve_connector(workspace_id=workspace_id, ref=ref)
    except ConnectorNotFound as exc:
        errors["connector"] = str(exc)
        raise ConfigError(errors) from None
    if resolved.kind not in ("sms", "phone"):
        errors["connector"] = (
            f"{resolved.slug} is a {resolved.kind} connector; XC channels need an SMS or phone one"
        )
    fields = config.get("fields") or {}
    if not isinstance(fields, dict):
        errors["fields"] = "must be an object of field values"
        raise ConfigError(errors)
    old_fields = (existing or {}).get("fields") or {}
    declared = {f.name: f for f in resolved.parsed.fields}
    cleaned_fields: dict[str, str] = {}
    for name, value in fields.items():
        field = declared.get(name)
        if field is None:
            errors[f"fields.{name}"] = "not a field of this connector"
            continue
        if name in CALLBACK_FIELDS:
            continue  # our own URLs, filled where they are read (aggregators.xc.callback_fields)
        if field.secret and value == MASK:
            value = old_fields.get(name, "")  # the form showed the mask: keep the stored secret
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            errors[f"fields.{name}"] = "must be text"
            continue
        value = str(value).strip()
        if field.options and value and value not in field.options:
            errors[f"fields.{name}"] = f"must be one of {', '.join(field.options)}"
        elif field.type == "url" and value and not value.startswith(("http://", "https://")):
            errors[f"fields.{name}"] = "must be an http:// or https:// URL"
        elif field.type == "url" and value and (refusal := config_url_refusal(value)):
            errors[f"fields.{name}"] = refusal
        cleaned_fields[name] = value
    filled = {name: "(Flowgate's URL)" for name in CALLBACK_FIELDS if name in declared}
    for name in resolved.parsed.missing_fields({**cleaned_fields, **filled}):
        errors[f"fields.{name}"] = "this field is required"
    max_tps = config.get("max_tps")
    if max_tps not in (None, ""):
        try:
            max_tps = int(max_tps)
            if max_tps < 0:
                raise ValueError
        except (TypeError, ValueError):
            errors["max_tps"] = "must be a whole number, 0 or more"
    if errors:
        raise ConfigError(errors)
    cleaned: dict[str, Any] = {"connector": ref.strip(), "fields": cleaned_fields}
    if max_tps not in (None, ""):
        cleaned["max_tps"] = max_tps
    return cleaned


def secret_values(parsed: ParsedConnector, fields: dict[str, Any]) -> list[str]:
    return [str(fields[f.name]) for f in parsed.fields if f.secret and fields.get(f.name)]


def mask_text(text: str, secrets: list[str]) -> str:
    """Replace each secret value; Authorization headers are masked whole by the caller."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, MASK)
    return text


# --- the test console ---------------------------------------------------------------------------


def describe_request(request: httpx.Request, secrets: list[str]) -> dict[str, Any]:
    headers = []
    for name, value in request.headers.items():
        if name.lower() == "authorization" and secrets:
            scheme = value.split(" ", 1)[0]
            value = f"{scheme} {MASK}"
        headers.append([name, mask_text(value, secrets)])
    return {
        "method": request.method,
        "url": mask_text(str(request.url), secrets),
        "headers": headers,
        "body": mask_text((request.content or b"").decode("utf-8", errors="replace"), secrets),
    }


def console_send(
    *,
    connector: ParsedConnector,
    fields: dict[str, Any],
    to: str,
    text: str,
    sender: str = "",
    callback: str = "",
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """Send one test message through ``connector`` and report the exact exchange.

    Secret field values are masked in what is shown; the request itself carries them.
    """
    secrets = secret_values(connector, fields)
    ctx = {
        "message": text,
        "recipients": [to],
        "callback": callback,
        "messageid": str(uuid.uuid4()),
        "from": sender,
    }
    try:
        request = build_send_request(connector, fields, ctx)
    except BuildError as exc:
        return {"ok": False, "error": f"cannot build the request: {exc}"}
    report: dict[str, Any] = {"request": describe_request(request, secrets)}
    started = time.monotonic()
    try:
        with outbound_client(transport=transport, timeout=settings.FLOWGATE_SEND_TIMEOUT_SECONDS) as client:
            response = client.send(request)
    except httpx.HTTPError as exc:
        report.update(ok=False, error=f"request failed: {exc}")
        return report
    report["elapsed_ms"] = round((time.monotonic() - started) * 1000, 1)
    report["response"] = {
        "status_code": response.status_code,
        "headers": [[k, v] for k, v in response.headers.items()],
        "body": mask_text(response.text[:20_000], secrets),
    }
    mapped = map_send_response(connector, response)
    report["mapped"] = {
        "status": mapped.status,
        "external_id": mapped.external_id,
        "raw_status": mapped.raw_status,
        "error": mapped.error,
        "retryable": mapped.retryable,
    }
    report["ok"] = mapped.ok
    return report
