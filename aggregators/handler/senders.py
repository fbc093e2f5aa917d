"""The messageservice methods: senders are HX channels; status updates go to the status service."""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.db import transaction

from aggregators.handler.auth import Caller, RestError
from channels_app.inbound import resolver
from channels_app.models import Channel, MsgStatus
from channels_app.services import status as status_service
from channels_app.services.channels import deactivate_channel
from channels_app.types.base import ConfigError
from channels_app.urlguard import config_url_refusal

TYPE_CODE = "HX"
CODE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,50}$")
SENDER_TYPES = ("SMS",)

# The statuses an app may report, mapped onto ours. "queued" at the app means it holds the
# message; for us it is already out of our hands (wired).
STATUS_MAP: dict[str, tuple[str, str]] = {
    "queued": (MsgStatus.WIRED, ""),
    "sent": (MsgStatus.SENT, ""),
    "delivered": (MsgStatus.DELIVERED, ""),
    "undelivered": (MsgStatus.FAILED, "undelivered"),
    "failed": (MsgStatus.FAILED, "failed at the handler app"),
}


def _invalid(description: str) -> RestError:
    return RestError("ERROR_SENDER_VALIDATION_FAILURE", description)


def display_text(value: Any) -> str:
    """A NAME or DESCRIPTION given as text or as {language: text}: the text to show."""
    if isinstance(value, dict):
        for key in ("en", "eng"):
            if value.get(key):
                return str(value[key])
        return next((str(v) for v in value.values() if v), "")
    return "" if value is None else str(value)


def _clean_text_or_languages(field: str, value: Any) -> str | dict[str, str]:
    if value is None:
        return ""
    if isinstance(value, dict):
        if not all(isinstance(k, str) and isinstance(v, str | int | float) for k, v in value.items()):
            raise _invalid(f"{field} must be text or an object of language: text")
        return {k: str(v) for k, v in value.items()}
    if isinstance(value, str | int | float):
        return str(value)
    raise _invalid(f"{field} must be text or an object of language: text")


def clean_code(code: Any) -> str:
    if not isinstance(code, str) or not code.strip():
        raise _invalid("CODE is required")
    if not CODE_RE.match(code.strip()):
        raise _invalid("CODE may only hold latin letters, digits, '_', '-' and '.' (at most 50)")
    return code.strip()


def clean_handler(handler: Any) -> str:
    if not isinstance(handler, str) or not handler.strip():
        raise RestError("ERROR_SENDER_VALIDATION_FAILURE", "HANDLER is required: the URL we post messages to")
    handler = handler.strip()
    if not handler.startswith(("http://", "https://")) or len(handler) > 1024:
        raise _invalid("HANDLER must be an http:// or https:// URL")
    refusal = config_url_refusal(handler)
    if refusal:
        raise _invalid(f"HANDLER is not allowed: {refusal}")
    return handler


def _senders(caller: Caller) -> Any:
    qs = Channel.objects.filter(workspace=caller.workspace, channel_type=TYPE_CODE, is_active=True)
    if caller.app is not None:
        # An app sees only the senders it registered; the workspace API token sees all.
        qs = qs.filter(config__app=str(caller.app.uuid))
    return qs


def find_sender(*, caller: Caller, code: Any) -> Channel:
    if not isinstance(code, str) or not code.strip():
        raise _invalid("CODE is required")
    channel = _senders(caller).filter(config__code=code.strip()).first()
    if channel is None:
        raise RestError("ERROR_SENDER_NOT_FOUND", f"Sender {code.strip()!r} not found")
    return channel


@transaction.atomic
def add_sender(
    *,
    caller: Caller,
    code: Any,
    sender_type: Any,
    handler: Any,
    name: Any,
    description: Any = None,
) -> Channel:
    code = clean_code(code)
    sender_type = str(sender_type or "SMS").upper()
    if sender_type not in SENDER_TYPES:
        raise _invalid(f"TYPE {sender_type!r} is not supported: use SMS")
    handler = clean_handler(handler)
    names = _clean_text_or_languages("NAME", name)
    if not display_text(names).strip():
        raise _invalid("NAME is required")
    taken = Channel.objects.select_for_update().filter(
        workspace=caller.workspace, channel_type=TYPE_CODE, is_active=True, config__code=code
    )
    if taken.exists():
        raise RestError("ERROR_SENDER_ALREADY_INSTALLED", f"Sender {code!r} is already installed")
    app = caller.app
    return Channel.objects.create(
        workspace=caller.workspace,
        channel_type=TYPE_CODE,
        name=display_text(names).strip()[:128],
        config={
            "code": code,
            "sender_type": sender_type,
            "handler": handler,
            "name": names,
            "description": _clean_text_or_languages("DESCRIPTION", description),
            "app": str(app.uuid) if app else "",
            "app_id": app.id if app else None,
            "application_token": app.plain_application_token if app else secrets.token_hex(16),
            "member_id": app.member_id if app else secrets.token_hex(16),
            # auth[user_id] of each call: the workspace's first admin stands for "the portal user"
            "user_id": _admin_id(caller.workspace.id),
        },
    )


def _admin_id(workspace_id: int) -> int:
    from channels_app.models import Membership

    first = (
        Membership.objects.filter(workspace_id=workspace_id).order_by("id").values_list("user_id", flat=True)
    )
    return int(first.first() or 1)


@transaction.atomic
def update_sender(
    *, caller: Caller, code: Any, handler: Any = None, name: Any = None, description: Any = None
) -> Channel:
    channel = find_sender(caller=caller, code=code)
    config = dict(channel.config)
    if handler is not None:
        config["handler"] = clean_handler(handler)
    if name is not None:
        names = _clean_text_or_languages("NAME", name)
        if not display_text(names).strip():
            raise _invalid("NAME must not be empty")
        config["name"] = names
        channel.name = display_text(names).strip()[:128]
    if description is not None:
        config["description"] = _clean_text_or_languages("DESCRIPTION", description)
    channel.config = config
    channel.save(update_fields=["name", "config", "modified_on"])
    transaction.on_commit(lambda: resolver.forget(channel.uuid))
    return channel


def delete_sender(*, caller: Caller, code: Any) -> None:
    deactivate_channel(channel=find_sender(caller=caller, code=code))


def list_senders(*, caller: Caller) -> list[str]:
    return [c.config.get("code", "") for c in _senders(caller).order_by("id")]


def update_message_status(*, caller: Caller, code: Any, message_id: Any, status: Any) -> bool:
    """Apply the app's report through the one status service; False when it changed nothing."""
    channel = find_sender(caller=caller, code=code)
    reported = str(status or "").strip().lower()
    if reported not in STATUS_MAP:
        raise RestError(
            "ERROR_MESSAGE_STATUS_INCORRECT",
            f"STATUS {status!r} is incorrect: use one of {', '.join(STATUS_MAP)}",
        )
    if not message_id:
        raise RestError("ERROR_MESSAGE_NOT_FOUND", "MESSAGE_ID is required")
    try:
        msg = status_service.find_outbound(channel=channel, msg_uuid=str(message_id).strip())
    except status_service.MsgNotFound:
        raise RestError("ERROR_MESSAGE_NOT_FOUND", f"Message {message_id!r} not found") from None
    new_status, error = STATUS_MAP[reported]
    return status_service.update_status(
        msg=msg, status=new_status, error=error, source="handler_app", data={"status": reported}
    )


def clean_channel_config(config: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """Edits through /api/v1/channels: the handler URL and texts may change, the CODE may not."""
    existing = existing or {}
    cleaned = dict(existing)
    errors: dict[str, str] = {}
    for key, value in config.items():
        if key == "code":
            if existing.get("code") and value != existing["code"]:
                errors["code"] = "the sender code cannot change; delete the sender and add another"
        elif key == "handler":
            try:
                cleaned["handler"] = clean_handler(value)
            except RestError as exc:
                errors["handler"] = exc.description
        elif key in ("name", "description"):
            try:
                cleaned[key] = _clean_text_or_languages(key.upper(), value)
            except RestError as exc:
                errors[key] = exc.description
        elif key in ("application_token", "member_id", "app", "app_id", "sender_type", "user_id"):
            if value not in (existing.get(key), "********"):
                errors[key] = "set by the app, not editable"
        else:
            errors[key] = "unknown setting"
    if errors:
        raise ConfigError(errors)
    return cleaned
