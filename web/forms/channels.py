"""Add-channel forms generated from a channel type's config fields."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from channels_app import inbound_auth
from channels_app.types.base import ChannelType, ConfigField
from channels_app.types.config import MASK


def _form_field(f: ConfigField) -> forms.Field:
    field = _plain_field(f)
    if f.show_when:
        # conditional.js hides the field while the other setting has another value
        other, values = f.show_when
        field.widget.attrs["data-show-when"] = f"config_{other}={','.join(values)}"
    return field


def _plain_field(f: ConfigField) -> forms.Field:
    common: dict[str, Any] = {"label": f.label, "required": f.required, "help_text": f.help}
    if f.default is not None:
        common["initial"] = f.default
    if f.kind == "password":
        return forms.CharField(widget=forms.PasswordInput(render_value=True), **common)
    if f.kind == "url":
        return forms.URLField(assume_scheme="https", **common)
    if f.kind == "int":
        return forms.IntegerField(min_value=0, **common)
    if f.kind == "bool":
        return forms.BooleanField(label=f.label, required=False, help_text=f.help, initial=bool(f.default))
    if f.kind == "choice":
        return forms.ChoiceField(choices=[(c, c) for c in f.choices], **common)
    if f.kind in ("textarea", "json"):
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    return forms.CharField(**common)


def channel_form(
    channel_type: ChannelType, data: Any = None, initial_config: dict[str, Any] | None = None
) -> forms.Form:
    form = forms.Form(data=data)
    form.fields["name"] = forms.CharField(label="Name", max_length=128)
    form.fields["address"] = forms.CharField(label="Address (your number or sender id)", required=False)
    form.fields["country"] = forms.CharField(
        label="Country (ISO code, e.g. RW)", required=False, max_length=2
    )
    for f in (*channel_type.config_fields, *inbound_auth.FIELDS):
        field = _form_field(f)
        if initial_config and f.name in initial_config:
            value = initial_config[f.name]
            field.initial = MASK if f.secret and value else (json.dumps(value) if f.kind == "json" else value)
        form.fields[f"config_{f.name}"] = field
    return form


def config_from_form(channel_type: ChannelType, cleaned: dict[str, Any]) -> dict[str, Any]:
    return {
        f.name: cleaned.get(f"config_{f.name}") for f in (*channel_type.config_fields, *inbound_auth.FIELDS)
    }


def inbound_auth_form(data: Any = None, initial_config: dict[str, Any] | None = None) -> forms.Form:
    """The channel's inbound-authentication settings alone (the channel security page)."""
    form = forms.Form(data=data)
    for f in inbound_auth.FIELDS:
        field = _form_field(f)
        if initial_config and f.name in initial_config:
            field.initial = MASK if f.secret and initial_config[f.name] else initial_config[f.name]
        form.fields[f"config_{f.name}"] = field
    return form


def inbound_auth_from_form(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {f.name: cleaned.get(f"config_{f.name}") for f in inbound_auth.FIELDS}
