"""Config validation and secret masking shared by every channel type."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from channels_app.types.base import ConfigError, ConfigField

MASK = "********"


def clean_config(
    fields: Iterable[ConfigField], config: dict[str, Any], *, existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    fields = list(fields)
    known = {f.name for f in fields}
    errors: dict[str, str] = {}
    unknown = sorted(set(config) - known)
    for name in unknown:
        errors[name] = "unknown setting"
    cleaned: dict[str, Any] = {}
    for f in fields:
        value = config.get(f.name)
        if f.secret and value == MASK and existing is not None:
            value = existing.get(f.name)  # the form showed the mask: keep the stored secret
        if value in (None, "", [], {}):
            if f.default is not None:
                cleaned[f.name] = f.default
            elif f.required:
                errors[f.name] = "this setting is required"
            continue
        try:
            cleaned[f.name] = _coerce(f, value)
        except ValueError as exc:
            errors[f.name] = str(exc)
    if errors:
        raise ConfigError(errors)
    return cleaned


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _coerce(f: ConfigField, value: Any) -> Any:
    if f.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError("must be true or false")
    if f.kind == "int":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("must be a whole number") from None
        if number < 0:
            raise ValueError("must not be negative")
        return number
    if f.kind == "choice":
        if value not in f.choices:
            raise ValueError(f"must be one of {', '.join(f.choices)}")
        return value
    if f.kind == "url":
        if not isinstance(value, str) or not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip()
    if f.kind == "json":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"invalid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise ValueError("must be a JSON object")
        return value
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value


def masked_config(config: dict[str, Any], secret_keys: set[str]) -> dict[str, Any]:
    """The config as shown to people and API clients: secrets replaced by a fixed mask."""
    return {k: (MASK if k in secret_keys and v not in (None, "") else v) for k, v in config.items()}
