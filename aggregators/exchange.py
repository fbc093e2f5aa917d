"""Connector exchanges over HTTP shared by XC messaging (aggregators.xc) and calls (aggregators.voice).

Both read a provider's callback the same way and log a provider call the same way; keeping that
here lets the XC channel type offer the voice actions without voice importing xc back.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from django.http import HttpRequest

from aggregators import services
from channels_app.inbound.request import BadRequest
from infra.httplog import exchange_entry

RAW_LIMIT = 4000


def payload_args(request: HttpRequest) -> dict[str, Any]:
    """The parts of a provider's callback a connector mapping reads."""
    if request.method not in ("GET", "POST", "PUT"):
        raise BadRequest("use GET, POST or PUT")
    return {
        "body": request.body,
        "content_type": request.META.get("CONTENT_TYPE", ""),
        "query": request.META.get("QUERY_STRING", ""),
    }


def jsonable(raw: Any) -> Any:
    """A provider payload as JSON we can store in an event, cut to RAW_LIMIT characters."""
    try:
        text = json.dumps(raw, default=str)
    except (TypeError, ValueError, RecursionError):
        return None
    return json.loads(text) if len(text) <= RAW_LIMIT else {"truncated": text[:RAW_LIMIT]}


def log_entry(
    request: httpx.Request,
    response: httpx.Response | None,
    secrets: list[str],
    elapsed: float,
    **extra: Any,
) -> dict[str, Any]:
    """The exchange-log entry of one call to a provider, its connector's secrets masked."""
    described = services.describe_request(request, secrets)
    return exchange_entry(
        method=described["method"], url=described["url"], request_body=described["body"], response=response,
        elapsed=elapsed, mask=lambda text: services.mask_text(text, secrets), **extra,
    )  # fmt: skip
