"""The Django side of the flow actions that need outside services or rows: tickets and topics
(open_ticket), resthook subscribers (call_resthook), the workspace's airtime service
(transfer_airtime) and its LLM services (call_llm).

The engine only knows the protocols of flows.engine.services; the classes here implement them
over HTTP, with the workspace's configuration (secrets decrypted only for the request).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote_plus, urlsplit

import httpx
from django.db import IntegrityError, transaction
from django.utils import timezone

from channels_app import crypto
from channels_app.models import Contact, Workspace
from flows.engine.services import AirtimeTransfer, LLMResponse, ServiceError
from flows.service_models import AirtimeService, LLMService, ResthookSubscriber, Ticket, TicketStatus, Topic
from flows.services import tickets as tickets_service

MASK = "********"
SERVICE_TIMEOUT_SECONDS = 30.0
MAX_LOGGED_BODY = 10_000


class ServiceConfigError(ValueError):
    """Bad input for one of these objects (shown as a 400)."""


# ----------------------------------------------------------------------------------- tickets


def create_topic(*, workspace: Workspace, name: str) -> Topic:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise ServiceConfigError("a topic needs a name of at most 64 characters")
    try:
        with transaction.atomic():
            return Topic.objects.create(workspace=workspace, name=name)
    except IntegrityError:
        raise ServiceConfigError(f"there is already a topic named '{name}'") from None


def topic_payload(topic: Topic) -> dict[str, Any]:
    return {"uuid": str(topic.uuid), "name": topic.name, "created_on": topic.created_on}


def ticket_payload(ticket: Ticket) -> dict[str, Any]:
    return {
        "uuid": str(ticket.uuid),
        "contact": {"uuid": str(ticket.contact.uuid), "name": ticket.contact.name},
        "topic": {"uuid": str(ticket.topic.uuid), "name": ticket.topic.name} if ticket.topic else None,
        "status": ticket.status,
        "assignee": ticket.assignee or None,
        "note": ticket.note,
        "opened_on": ticket.opened_on,
        "closed_on": ticket.closed_on,
    }


def open_tickets_json(*, contact: Contact) -> list[dict[str, Any]]:
    """The contact's open tickets as the engine sees them (it opens at most one)."""
    return [
        {
            "uuid": str(t.uuid),
            "topic": {"uuid": str(t.topic.uuid), "name": t.topic.name} if t.topic else None,
            "assignee": {"email": t.assignee} if t.assignee else None,
        }
        for t in Ticket.objects.filter(contact=contact, status=TicketStatus.OPEN).select_related("topic")
    ]


def record_ticket_opened(*, workspace: Workspace, contact: Contact, event: dict[str, Any]) -> Ticket | None:
    """The row for a ticket_opened event (the engine made its uuid)."""
    ticket = event.get("ticket") or {}
    ticket_uuid = _uuid(ticket.get("uuid"))
    if ticket_uuid is None:
        return None
    topic_uuid = _uuid((ticket.get("topic") or {}).get("uuid"))
    topic = Topic.objects.filter(workspace=workspace, uuid=topic_uuid).first() if topic_uuid else None
    assignee = (ticket.get("assignee") or {}).get("email") or ""
    row, made = Ticket.objects.get_or_create(
        workspace=workspace,
        uuid=ticket_uuid,
        defaults={"contact": contact, "topic": topic, "assignee": assignee[:254]},
    )
    if made:
        tickets_service.record(row, "opened", text=str(ticket.get("body") or "")[:1600])
    return row


def _uuid(value: Any) -> str | None:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def record_ticket_note(*, workspace: Workspace, event: dict[str, Any]) -> None:
    ticket_uuid = _uuid(event.get("ticket_uuid"))
    if ticket_uuid is None:
        return
    Ticket.objects.filter(workspace=workspace, uuid=ticket_uuid).update(
        note=str(event.get("note") or ""), modified_on=timezone.now()
    )


TICKET_ACTIONS = ("assign", "note", "close", "reopen")


def act_on_tickets(
    *, workspace: Workspace, tickets: list[str], action: str, assignee: str = "", note: str = ""
) -> list[Ticket]:
    """assign (an email, "" to unassign), note (replaces the note), close, reopen; tickets
    of another workspace are not found (a 400 naming none of them)."""
    if action not in TICKET_ACTIONS:
        raise ServiceConfigError(f"action must be one of {', '.join(TICKET_ACTIONS)}")
    wanted = [u for u in (_uuid(t) for t in tickets) if u]
    if not tickets or len(wanted) != len(tickets):
        raise ServiceConfigError("tickets must be a non-empty list of ticket uuids")
    rows = list(
        Ticket.objects.filter(workspace=workspace, uuid__in=wanted).select_related("contact", "topic")
    )
    if len(rows) != len(set(wanted)):
        raise ServiceConfigError("some tickets were not found")
    now = timezone.now()
    for t in rows:
        if action == "assign":
            if assignee and ("@" not in assignee or len(assignee) > 254):
                raise ServiceConfigError("assignee must be an email address")
            t.assignee = assignee
        elif action == "note":
            if not note.strip():
                raise ServiceConfigError("a note needs text")
            t.note = note.strip()
        elif action == "close" and t.status == TicketStatus.OPEN:
            t.status, t.closed_on = TicketStatus.CLOSED, now
        elif action == "reopen" and t.status == TicketStatus.CLOSED:
            if Ticket.objects.filter(contact=t.contact, status=TicketStatus.OPEN).exclude(id=t.id).exists():
                raise ServiceConfigError("the contact already has an open ticket")
            t.status, t.closed_on = TicketStatus.OPEN, None
    with transaction.atomic():
        for t in rows:
            t.save()
            tickets_service.record(t, _ACTION_EVENTS[action], text=note or assignee)  # thread + websocket
    return rows


_ACTION_EVENTS = {"assign": "assigned", "note": "note", "close": "closed", "reopen": "reopened"}


# ----------------------------------------------------------------------------------- resthooks

_SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


def _check_url(url: str, what: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2048:
        raise ServiceConfigError(f"{what} must be an http:// or https:// URL")
    return url


def subscribe_resthook(*, workspace: Workspace, resthook: str, target_url: str) -> ResthookSubscriber:
    slug = (resthook or "").strip().lower()
    if not _SLUG_RE.match(slug):
        raise ServiceConfigError("resthook must be a slug (letters, digits, '-' and '_')")
    url = _check_url(target_url, "target_url")
    try:
        with transaction.atomic():
            return ResthookSubscriber.objects.create(workspace=workspace, resthook=slug, target_url=url)
    except IntegrityError:
        raise ServiceConfigError("this URL already subscribes to this resthook") from None


def subscriber_payload(s: ResthookSubscriber) -> dict[str, Any]:
    return {
        "uuid": str(s.uuid),
        "resthook": s.resthook,
        "target_url": s.target_url,
        "created_on": s.created_on,
    }


def forget_resthook_subscriber(*, workspace: Workspace, resthook: str, url: str) -> int:
    deleted, _ = ResthookSubscriber.objects.filter(
        workspace=workspace, resthook=resthook, target_url=url
    ).delete()
    return deleted


def resthooks_json(*, workspace: Workspace) -> list[dict[str, Any]]:
    """The workspace's resthooks as engine assets: slug and subscriber URLs."""
    by_slug: dict[str, list[str]] = {}
    for slug, url in ResthookSubscriber.objects.filter(workspace=workspace).values_list(
        "resthook", "target_url"
    ):
        by_slug.setdefault(slug, []).append(url)
    return [{"slug": slug, "subscribers": urls} for slug, urls in sorted(by_slug.items())]


# ----------------------------------------------------------------------------------- airtime

AIRTIME_VARIABLES = ("transfer_uuid", "recipient", "recipient_no_plus", "sender", "amount", "currency")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
MAPPABLE = ("external_id", "currency", "amount")


def configure_airtime(*, workspace: Workspace, data: dict[str, Any]) -> AirtimeService:
    """Creates or replaces the workspace's airtime service; a masked authorization keeps the
    stored one."""
    existing = AirtimeService.objects.filter(workspace=workspace).first()
    url = _check_url(str(data.get("url") or ""), "url")
    method = str(data.get("method") or "POST").upper()
    if method not in ("GET", "POST", "PUT"):
        raise ServiceConfigError("method must be GET, POST or PUT")
    currency = str(data.get("currency") or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ServiceConfigError("currency must be a 3-letter ISO 4217 code, e.g. RWF")
    headers = data.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise ServiceConfigError("headers must be a JSON object of texts")
    body = str(data.get("body") or "")
    unknown = sorted({n for n in _PLACEHOLDER.findall(body + url) if n not in AIRTIME_VARIABLES})
    if unknown:
        raise ServiceConfigError(
            f"unknown variable(s) {', '.join(unknown)}; known: {', '.join(AIRTIME_VARIABLES)}"
        )
    mapping = data.get("response_mapping") or {}
    if not isinstance(mapping, dict) or any(
        k not in MAPPABLE or not isinstance(v, str) for k, v in mapping.items()
    ):
        raise ServiceConfigError(f"response_mapping maps {', '.join(MAPPABLE)} to dotted paths in the answer")
    authorization = str(data.get("authorization") or "")
    if authorization == MASK:
        authorization = existing.authorization if existing else ""
    elif authorization:
        authorization = crypto.encrypt(authorization)
    service = existing or AirtimeService(workspace=workspace)
    service.url, service.method, service.currency = url, method, currency
    service.headers, service.body, service.response_mapping = headers, body, mapping
    service.authorization = authorization
    service.save()
    return service


def airtime_payload(service: AirtimeService) -> dict[str, Any]:
    return {
        "url": service.url,
        "method": service.method,
        "headers": service.headers,
        "authorization": MASK if service.authorization else "",
        "body": service.body,
        "currency": service.currency,
        "response_mapping": service.response_mapping,
    }


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _fill(template: str, values: dict[str, str], escape: Any) -> str:
    return _PLACEHOLDER.sub(lambda m: escape(values.get(m.group(1), m.group(0))), template)


def _http_log(
    *, url: str, request_dump: str, response: httpx.Response | None, status: str, elapsed_ms: int
) -> dict[str, Any]:
    response_dump = ""
    if response is not None:
        head = f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n\r\n"
        response_dump = head + response.text[:MAX_LOGGED_BODY]
    return {
        "url": url,
        "status_code": response.status_code if response is not None else 0,
        "status": status,
        "request": request_dump[:MAX_LOGGED_BODY],
        "response": response_dump,
        "elapsed_ms": elapsed_ms,
        "retries": 0,
        "sizes": {"request": len(request_dump.encode()), "response": len(response_dump.encode())},
        "created_on": timezone.now().astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }


class HttpAirtime:
    """transfer_airtime over the workspace's configured provider API."""

    def __init__(self, service: AirtimeService, http: httpx.Client) -> None:
        self.service = service
        self.http = http

    def transfer(
        self, *, transfer_uuid: str, sender: str, recipient: str, amounts: dict[str, Any]
    ) -> AirtimeTransfer:
        s = self.service
        if s.currency not in amounts:
            raise ServiceError(f"no amount configured for transfers in {s.currency}")
        try:
            amount = Decimal(str(amounts[s.currency]))
        except InvalidOperation:
            raise ServiceError(f"the amount for {s.currency} is not a number") from None
        number = recipient.split(":", 1)[-1]
        values = {
            "transfer_uuid": transfer_uuid,
            "recipient": number,
            "recipient_no_plus": number.lstrip("+"),
            "sender": sender.split(":", 1)[-1],
            "amount": str(amount),
            "currency": s.currency,
        }
        url = _fill(s.url, values, quote_plus)
        is_json = s.body.lstrip().startswith(("{", "["))
        body = _fill(s.body, values, (lambda v: json.dumps(v)) if is_json else (lambda v: v))
        headers = dict(s.headers)
        if is_json:
            headers.setdefault("Content-Type", "application/json")
        secret_headers = {"Authorization": crypto.decrypt(s.authorization)} if s.authorization else {}
        # the log never shows the secret header
        shown = {**headers, **({"Authorization": MASK} if secret_headers else {})}
        request_dump = f"{s.method} {url} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in shown.items())
        request_dump += "\r\n" + body
        started = time.monotonic()
        try:
            response = self.http.request(
                s.method,
                url,
                headers={**headers, **secret_headers},
                content=body.encode() if body else None,
                timeout=SERVICE_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            elapsed = int((time.monotonic() - started) * 1000)
            log = _http_log(
                url=url,
                request_dump=request_dump,
                response=None,
                status="connection_error",
                elapsed_ms=elapsed,
            )
            raise ServiceError(f"airtime provider unreachable: {type(exc).__name__}", [log]) from None
        elapsed = int((time.monotonic() - started) * 1000)
        ok = 200 <= response.status_code < 300
        log = _http_log(
            url=url,
            request_dump=request_dump,
            response=response,
            status="success" if ok else "response_error",
            elapsed_ms=elapsed,
        )
        if not ok:
            raise ServiceError(f"airtime provider answered HTTP {response.status_code}", [log])
        try:
            answer = response.json()
        except ValueError:
            answer = None
        mapping = s.response_mapping or {}
        external_id = _dig(answer, mapping["external_id"]) if "external_id" in mapping else None
        currency = _dig(answer, mapping["currency"]) if "currency" in mapping else None
        sent = _dig(answer, mapping["amount"]) if "amount" in mapping else None
        try:
            sent_amount = Decimal(str(sent)) if sent is not None else amount
        except InvalidOperation:
            sent_amount = amount
        return AirtimeTransfer(
            currency=str(currency or s.currency),
            amount=int(sent_amount) if sent_amount == sent_amount.to_integral() else float(sent_amount),
            external_id="" if external_id is None else str(external_id),
            http_logs=[log],
        )


# ----------------------------------------------------------------------------------- LLMs


def create_llm(*, workspace: Workspace, data: dict[str, Any]) -> LLMService:
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 64:
        raise ServiceConfigError("an LLM needs a name of at most 64 characters")
    url = _check_url(str(data.get("url") or ""), "url")
    model = str(data.get("model") or "").strip()
    if not model or len(model) > 128:
        raise ServiceConfigError("model is required (e.g. gpt-4o-mini)")
    key = str(data.get("api_key") or "")
    try:
        with transaction.atomic():
            return LLMService.objects.create(
                workspace=workspace,
                name=name,
                url=url,
                model=model,
                api_key=crypto.encrypt(key) if key else "",
            )
    except IntegrityError:
        raise ServiceConfigError(f"there is already an LLM named '{name}'") from None


def llm_payload(llm: LLMService) -> dict[str, Any]:
    return {
        "uuid": str(llm.uuid),
        "name": llm.name,
        "url": llm.url,
        "model": llm.model,
        "api_key": MASK if llm.api_key else "",
        "created_on": llm.created_on,
    }


def llms_json(*, workspace: Workspace) -> list[dict[str, Any]]:
    """The workspace's LLMs as engine assets."""
    return [
        {"uuid": str(m.uuid), "name": m.name, "type": "openai", "roles": ["engine"]}
        for m in LLMService.objects.filter(workspace=workspace)
    ]


class OpenAICompatibleLLM:
    """call_llm over any OpenAI-compatible chat-completions endpoint."""

    def __init__(self, llm: LLMService, http: httpx.Client) -> None:
        self.llm = llm
        self.http = http

    def respond(self, *, instructions: str, input: str, max_tokens: int) -> LLMResponse:
        body = {
            "model": self.llm.model,
            "messages": [
                {"role": "system", "content": instructions},
                {"role": "user", "content": input},
            ],
            "max_tokens": max_tokens,
        }
        headers = {"Content-Type": "application/json"}
        if self.llm.api_key:
            headers["Authorization"] = f"Bearer {crypto.decrypt(self.llm.api_key)}"
        try:
            response = self.http.post(
                self.llm.url, json=body, headers=headers, timeout=SERVICE_TIMEOUT_SECONDS
            )
        except httpx.HTTPError as exc:
            raise ServiceError(f"LLM {self.llm.name} unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise ServiceError(f"LLM {self.llm.name} answered HTTP {response.status_code}")
        try:
            answer = response.json()
            output = answer["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ServiceError(f"LLM {self.llm.name} gave an answer without a message") from None
        usage = answer.get("usage") or {}
        return LLMResponse(
            output=str(output or "").strip(),
            tokens_in=int(usage.get("prompt_tokens") or 0),
            tokens_out=int(usage.get("completion_tokens") or 0),
        )


def engine_services(*, workspace: Workspace, http: httpx.Client) -> dict[str, Any]:
    """Engine keyword arguments for the workspace's airtime and LLM services."""
    airtime = AirtimeService.objects.filter(workspace=workspace).first()
    llms = {str(m.uuid): m for m in LLMService.objects.filter(workspace=workspace)}

    def llm_for(asset: dict[str, Any]) -> OpenAICompatibleLLM | None:
        row = llms.get(str(asset.get("uuid")))
        return OpenAICompatibleLLM(row, http) if row is not None else None

    return {"airtime": HttpAirtime(airtime, http) if airtime else None, "llm": llm_for}
