"""The engine's HTTP client for webhooks and resthooks: the size limits, the call through the
engine's injected `http` client, the request/response dumps of the webhook_called event, and
@webhook / the result it sets."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from ..definition import Flow, Node
from .base import (
    MAX_WEBHOOK_RESPONSE,
    truncate,
)

if TYPE_CHECKING:
    from ..runner import SprintContext
    from ..session import Run


MAX_WEBHOOK_URL = 2048
MAX_WEBHOOK_REQUEST = 256 * 1024  # bytes of evaluated request (request line, headers, body)
MAX_WEBHOOK_RESPONSE_BODY = 100_000  # bytes read from a response before giving up
MAX_RESULT_EXTRA = 10_000  # a response body bigger than this isn't kept as result extra
_BODY_METHODS = ("POST", "PUT", "PATCH")


def _canonical_header(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _valid_webhook_url(url: str) -> bool:
    if len(url) > MAX_WEBHOOK_URL or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _request_dump(method: str, url: str, headers: dict[str, str], body: str, user_agent: str) -> str:
    """The request as sent, in HTTP/1.1 wire format."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query or url.endswith("?") else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", f"User-Agent: {user_agent}"]
    if body or method in _BODY_METHODS:
        lines.append(f"Content-Length: {len(body.encode())}")
    # as _do_webhook sends them: the engine's User-Agent replaces the flow's, and gzip is asked
    # for only when the flow names no Accept-Encoding of its own
    for name in sorted(headers):
        if name.lower() != "user-agent":
            lines.append(f"{name}: {headers[name]}")
    if not any(name.lower() == "accept-encoding" for name in headers):
        lines.append("Accept-Encoding: gzip")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def _response_head(resp: httpx.Response) -> str:
    version = resp.http_version if resp.http_version.startswith("HTTP/") else "HTTP/1.1"
    lines = [f"{version} {resp.status_code} {resp.reason_phrase}".rstrip()]
    headers = sorted((_canonical_header(k), v) for k, v in resp.headers.items())
    lines.extend(f"{k}: {v}" for k, v in headers)
    return "\r\n".join(lines) + "\r\n\r\n"


def _do_webhook(
    sc: SprintContext,
    run: Run,
    flow: Flow,
    node: Node,
    method: str,
    url: str,
    headers: dict[str, str],
    body: str,
    result_name: str | None,
    *,
    resthook: str | None = None,
) -> dict[str, Any] | None:
    """Makes the call and logs webhook_called; for call_webhook (no `resthook`) also sets
    @webhook and the result. Returns the call (None when it was refused before sending)."""
    engine = sc.engine
    host = (urlsplit(url).hostname or "").lower()
    if host in engine.webhook_blocked_hosts:
        sc.event(
            "error",
            text=f"Webhook calls to {host} are not allowed",
            code="url:blocked",
            extra={"hostname": host},
        )
        return None
    headers = {_canonical_header(k): v for k, v in headers.items()}
    evaluated = (
        f"{method} {url} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n" + body
    )
    request_size = len(evaluated.encode())
    if request_size > MAX_WEBHOOK_REQUEST:
        sc.event(
            "error",
            text=(
                f"Webhook request evaluated to {request_size} bytes, "
                f"exceeding the limit of {MAX_WEBHOOK_REQUEST}"
            ),
            code="webhook:request_size",
            extra={"limit": str(MAX_WEBHOOK_REQUEST), "size": str(request_size)},
        )
        return None

    request_dump = _request_dump(method, url, headers, body, engine.webhook_user_agent)
    send_headers = dict(headers)
    send_headers["User-Agent"] = engine.webhook_user_agent
    send_headers.setdefault("Accept-Encoding", "gzip")
    started = time.monotonic()
    status = "connection_error"
    status_code = 0
    response_dump: str | None = None
    response_size = 0
    response_body: str | None = None
    response_headers: dict[str, str] | None = None
    if engine.http is not None:
        try:
            request = engine.http.build_request(
                method,
                url,
                headers=send_headers,
                content=body.encode() if body or method in _BODY_METHODS else None,
                timeout=engine.webhook_timeout,
            )
            resp = engine.http.send(request, stream=True)
            try:
                raw, complete = _read_limited(resp, MAX_WEBHOOK_RESPONSE_BODY)
            finally:
                resp.close()
            status_code = resp.status_code
            response_headers = {
                _canonical_header(k): v for k, v in resp.headers.items() if k.lower() != "content-length"
            }
            head = _response_head(resp)
            if complete:
                response_body = raw.decode(resp.encoding or "utf-8", errors="replace")
                response_dump = head + response_body
                response_size = len(head.encode()) + len(raw)
                status = "success" if 200 <= status_code < 300 else "response_error"
            else:
                sc.event(
                    "warning",
                    text=f"Webhook response exceeded the limit of {MAX_WEBHOOK_RESPONSE_BODY} bytes",
                    code="webhook:response_size",
                    extra={"limit": str(MAX_WEBHOOK_RESPONSE_BODY)},
                )
                response_dump = head
                declared = resp.headers.get("content-length", "")
                response_size = len(head.encode()) + (int(declared) if declared.isdigit() else len(raw))
                response_headers = {}
        except (httpx.HTTPError, httpx.InvalidURL, ValueError):
            status = "connection_error"
    if resthook is not None and status_code == 410:
        status = "subscriber_gone"  # a resthook subscriber that unsubscribed (zapier's convention)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    data: dict[str, Any] = {"url": url}
    if status_code:
        data["status_code"] = status_code
    data["request"] = truncate(request_dump, MAX_WEBHOOK_RESPONSE)
    if response_dump is not None:
        data["response"] = truncate(response_dump, MAX_WEBHOOK_RESPONSE)
    data.update(
        elapsed_ms=elapsed_ms,
        retries=0,
        sizes={"request": len(request_dump.encode()), "response": response_size},
        status=status,
    )
    if resthook is not None:
        data["resthook"] = resthook
    sc.event("webhook_called", **data)

    parsed: Any = None
    if response_body:
        try:
            parsed = json.loads(response_body)
        except ValueError:
            parsed = None
    call = {
        "method": method,
        "url": url,
        "status_code": status_code,
        "status": status,
        "headers": response_headers,
        "json": parsed,
        "body": response_body,
    }
    if resthook is None:
        _set_webhook(sc, run, call)
        if result_name:
            _save_webhook_result(sc, run, flow, node, result_name, call)
    return call


def _set_webhook(sc: SprintContext, run: Run, call: dict[str, Any]) -> None:
    run.webhook = {
        "method": call["method"],
        "url": call["url"],
        "status": call["status_code"],
        "headers": call["headers"],
        "json": call["json"],
    }
    sc.invalidate("webhook")


def _save_webhook_result(
    sc: SprintContext, run: Run, flow: Flow, node: Node, result_name: str, call: dict[str, Any]
) -> None:
    body, parsed = call["body"], call["json"]
    small = body is not None and len(body.encode()) <= MAX_RESULT_EXTRA
    sc.engine.save_result(
        sc,
        run,
        flow,
        node,
        result_name,
        str(call["status_code"]),
        "Success" if call["status"] == "success" else "Failure",
        None,
        f"{call['method']} {call['url']}",
        extra=parsed if small and isinstance(parsed, dict | list) else None,
        extra_text=body,
    )


def _read_limited(resp: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Reads at most `limit` bytes of a streamed body; False if there was more."""
    chunks: list[bytes] = []
    total = 0
    for chunk in resp.iter_bytes():
        total += len(chunk)
        if total > limit:
            return b"".join(chunks), False
        chunks.append(chunk)
    return b"".join(chunks), True
