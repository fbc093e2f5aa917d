from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    error: str
    errors: Any = None


class ChannelIn(Schema):
    type: str
    name: str
    address: str = ""
    country: str = ""
    config: dict[str, Any] = {}


class ChannelPatch(Schema):
    name: str | None = None
    address: str | None = None
    country: str | None = None
    config: dict[str, Any] | None = None
    is_active: bool | None = None


class ChannelOut(Schema):
    uuid: str
    type: str
    name: str
    address: str
    country: str
    config: dict[str, Any]
    urls: dict[str, str]
    is_active: bool
    created_on: datetime
    live_status: dict[str, Any] | None = None


class ContactIn(Schema):
    name: str = ""
    urns: list[str] = []
    language: str = ""
    fields: dict[str, Any] = {}


class ContactOut(Schema):
    uuid: str
    name: str
    language: str
    status: str
    urns: list[str]
    fields: dict[str, Any]
    created_on: datetime


class MessageIn(Schema):
    channel: str | None = None
    to: str
    text: str = ""
    attachments: list[str] = []
    # Texts of quick replies (buttons where the channel has them; `{{quick_replies}}` on External API).
    quick_replies: list[str] = []
    # Send by template instead of text: its code, variable values and language (optional).
    template: str | None = None
    params: dict[str, Any] = {}
    language: str = ""
    # The message this one answers (its uuid), shown as a thread.
    response_to: str | None = None


class MessageOut(Schema):
    uuid: str
    id: int
    direction: str
    status: str
    text: str
    attachments: list[str]
    urn: str
    channel: str
    contact: str | None
    external_id: str | None
    error: str
    status_description: str = ""
    attempts: int
    parts: int
    response_to: str | None
    created_on: datetime
    sent_on: datetime | None
    delivered_on: datetime | None
    modified_on: datetime
    visibility: str = "visible"  # visible (inbox), archived, deleted
    labels: list[dict[str, str]] = []  # inbound messages' labels (in lists)


class ResendIn(Schema):
    uuids: list[str]


class ResendSkipped(Schema):
    uuid: str
    reason: str


class ResendOut(Schema):
    resent: list[str]
    skipped: list[ResendSkipped]


class MessageEventOut(Schema):
    type: str
    status: str
    description: str
    data: dict[str, Any]
    created_on: datetime


class MessageDetailOut(MessageOut):
    events: list[MessageEventOut]
