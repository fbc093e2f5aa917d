"""The shape of an inbound webhook, independent of Django's request object.

Channel types parse an `InboundRequest` into `InboundFields`; the same parsing then serves the
Django view and the lean ASGI fast path (channels_app.fastpath), so both accept and reject
exactly the same input. `BadRequest` lives here, at the bottom, so channel types can raise it
without importing either adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from channels_app import jsonlimits
from channels_app.pgtext import storable

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadRequest(ValueError):
    """Raised by type handlers for input they cannot accept; becomes a 400 JSON error."""


@dataclass
class InboundRequest:
    method: str
    content_type: str
    query: dict[str, str]
    body: bytes
    # Set by the Django view for multipart bodies, which only Django parses.
    form: dict[str, str] | None = None

    def params(self) -> dict[str, Any]:
        """Query string, form, multipart and JSON bodies merged into one flat dict (body wins)."""
        params: dict[str, Any] = dict(self.query)
        if self.method not in ("POST", "PUT"):
            return params
        content_type = self.content_type.split(";")[0].strip().lower()
        if content_type == "application/json" or content_type.endswith("+json"):
            try:
                body = jsonlimits.loads(self.body or b"{}")
            except (ValueError, UnicodeDecodeError) as exc:
                raise BadRequest(f"invalid JSON body: {exc}") from None
            if not isinstance(body, dict):
                raise BadRequest("the JSON body must be an object")
            params.update(body)
        elif content_type == "multipart/form-data":
            params.update(self.form or {})
        elif content_type == "application/x-www-form-urlencoded":
            try:
                params.update(parse_qsl(self.body.decode(), keep_blank_values=True))
            except UnicodeDecodeError:
                raise BadRequest("the form body is not UTF-8") from None
        return params


@dataclass
class InboundFields:
    sender: str
    text: str
    external_id: str | None = None
    received_on: datetime | None = None
    attachments: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # As stored (pgtext.storable): the answer echoes these, and a lone surrogate from a JSON
        # body cannot be encoded into it (a 500 for a message already stored).
        self.sender, self.text, self.external_id, self.attachments = storable(
            [self.sender, self.text, self.external_id, self.attachments]
        )
