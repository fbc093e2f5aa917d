"""One shape for the HTTP exchanges kept in message and call event logs, secrets masked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from infra.masking import mask_secrets

LOG_LIMIT = 2000


def exchange_entry(
    *,
    method: str,
    url: str,
    request_body: str,
    response: httpx.Response | None,
    elapsed: float,
    error: str = "",
    mask: Callable[[str], str] = mask_secrets,
    **extra: Any,
) -> dict[str, Any]:
    """The request and (if any) response of one call to a provider, bodies cut to LOG_LIMIT."""
    entry: dict[str, Any] = {
        "method": method,
        "url": mask(url),
        "request_body": mask(request_body)[:LOG_LIMIT],
        "elapsed_ms": round(elapsed * 1000, 1),
    }
    if response is not None:
        entry["status_code"] = response.status_code
        entry["response_body"] = mask(response.text[:LOG_LIMIT])
    if error:
        entry["error"] = error
    entry.update({k: v for k, v in extra.items() if v not in (None, "")})
    return entry
