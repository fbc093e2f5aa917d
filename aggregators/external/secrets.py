"""Which parts of an External API config are credentials, and how they are shown and kept.

Besides `send_authorization`, providers put API keys in extra header values
(`{"X-Api-Key": "…"}`) and in the send URL (`https://user:pass@host/send?api_key=…`). Those are
secrets too: every header value and a send URL holding credentials are encrypted at rest
(channels_app.secret_store seals the keys `secret_keys` names), and shown masked: header values
whole, the URL only in its credential parts so people still see where it sends. A config sent
back with the mask in those places keeps the stored values.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from channels_app.crypto import decrypt, is_encrypted
from channels_app.types.base import ConfigError
from channels_app.types.config import MASK

# Query parameter names that carry credentials (api_key, apiKey, token, password, sig, …).
_CREDENTIAL_NAME = re.compile(r"key|token|secret|pass|pwd|auth|sig|credential|sid", re.IGNORECASE)


def _is_credential(name: str, value: str) -> bool:
    # A template variable ({{to}}, {{text}}) is filled per message: not a stored credential.
    return bool(_CREDENTIAL_NAME.search(name)) and bool(value) and "{{" not in value


def url_has_credentials(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.password) or any(
        _is_credential(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )


def secret_keys(config: dict[str, Any]) -> set[str]:
    keys = {"send_authorization"}
    headers = config.get("headers")
    if isinstance(headers, dict):
        keys |= {f"headers.{name}" for name in headers if "." not in str(name)}
    send_url = config.get("send_url")
    if isinstance(send_url, str) and (is_encrypted(send_url) or url_has_credentials(send_url)):
        keys.add("send_url")
    return keys


def _masked_url(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password:
        netloc = f"{parts.username or ''}:{MASK}@{netloc.rpartition('@')[2]}"
    query = [
        (k, MASK if _is_credential(k, v) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(
        (parts.scheme, netloc, parts.path, urlencode(query, safe="{}*") if query else "", parts.fragment)
    )


def public_config(config: dict[str, Any]) -> dict[str, Any]:
    shown = dict(config)
    if shown.get("send_authorization"):
        shown["send_authorization"] = MASK
    headers = shown.get("headers")
    if isinstance(headers, dict):
        shown["headers"] = {
            name: (MASK if value not in (None, "") else value) for name, value in headers.items()
        }
    send_url = shown.get("send_url")
    if isinstance(send_url, str) and send_url:
        shown["send_url"] = _masked_url(decrypt(send_url))
    return shown


def restore_masked(config: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """The config with masks put back to the stored values (and the stored URL in clear to check)."""
    existing = existing or {}
    config = dict(config)
    headers = config.get("headers")
    if isinstance(headers, str):
        with contextlib.suppress(ValueError):  # clean_config reports the bad JSON
            headers = json.loads(headers) if headers.strip() else headers
    if isinstance(headers, dict):
        stored_headers = existing.get("headers")
        stored: dict[str, Any] = stored_headers if isinstance(stored_headers, dict) else {}
        missing = [n for n, v in headers.items() if v == MASK and n not in stored]
        if missing:
            raise ConfigError({"headers": f"enter the value of {', '.join(missing)} again"})
        config["headers"] = {n: (stored[n] if v == MASK else v) for n, v in headers.items()}
    send_url = config.get("send_url")
    if isinstance(send_url, str) and is_encrypted(send_url):
        config["send_url"] = send_url = decrypt(send_url)
    if isinstance(send_url, str) and MASK in send_url:
        config["send_url"] = _unmask_url(send_url, decrypt(str(existing.get("send_url") or "")))
    return config


def _unmask_url(url: str, stored: str) -> str:
    parts, old = urlsplit(url), urlsplit(stored)
    old_query = dict(parse_qsl(old.query, keep_blank_values=True))
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if value == MASK:
            if key not in old_query:
                raise ConfigError({"send_url": f"enter the value of {key} again"})
            value = old_query[key]
        query.append((key, value))
    netloc = parts.netloc
    if parts.password == MASK:
        if not old.password:
            raise ConfigError({"send_url": "enter the password in the URL again"})
        netloc = f"{parts.username or ''}:{old.password}@{netloc.rpartition('@')[2]}"
    return urlunsplit(
        (parts.scheme, netloc, parts.path, urlencode(query, safe="{}") if query else "", parts.fragment)
    )
