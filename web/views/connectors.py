"""Connector pages: list, upload (errors beside their line), test console, and XC add-channel.

Views stay thin: validation, resolution and the test send live in ``aggregators.services``.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from aggregators import services
from aggregators.connector import Connector as ParsedConnector
from aggregators.connector import ConnectorError
from aggregators.xc.callback_fields import CALLBACK_FIELDS
from aggregators.xc.callback_fields import HELP as CALLBACK_HELP
from channels_app.services import channels as channel_service
from channels_app.types.base import ConfigError
from channels_app.types.config import MASK
from web.forms.channels import inbound_auth_form, inbound_auth_from_form
from web.requests import user_workspace


def _resolve(workspace: Any, ref: str) -> services.ResolvedConnector:
    try:
        return services.get_connector(workspace=workspace, ref=ref)
    except services.ConnectorNotFound:
        raise Http404("no such connector") from None


def annotated_lines(xml: str, errors: list[ConnectorError]) -> list[dict[str, Any]]:
    """Each source line with the errors that point at it, for showing errors beside the line."""
    by_line: dict[int, list[ConnectorError]] = {}
    for error in errors:
        by_line.setdefault(error.line, []).append(error)
    lines = xml.splitlines() or [""]
    out: list[dict[str, Any]] = [
        {"number": i, "text": text, "errors": by_line.pop(i, [])} for i, text in enumerate(lines, 1)
    ]
    for leftover in by_line.values():  # errors past the last line (e.g. unexpected end of file)
        out[-1]["errors"].extend(leftover)
    return out


class UploadForm(forms.Form):
    name = forms.CharField(max_length=128)
    xml = forms.CharField(
        label="Connector XML", widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false"})
    )


@login_required
def connector_list(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    return render(
        request, "connectors/list.html", {"connectors": services.list_connectors(workspace=workspace)}
    )


@login_required
def connector_upload(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    form = UploadForm(request.POST or None)
    lines: list[dict[str, Any]] = []
    errors: list[ConnectorError] = []
    if request.method == "POST" and form.is_valid():
        try:
            row = services.upload_connector(
                workspace=workspace, name=form.cleaned_data["name"], xml=form.cleaned_data["xml"]
            )
        except services.ConnectorRejected as exc:
            errors = exc.errors
            lines = annotated_lines(form.cleaned_data["xml"], errors)
        else:
            flash.success(request, f"Connector {row.name} saved as '{row.slug}'.")
            return redirect("connector_detail", ref=row.slug)
    return render(request, "connectors/upload.html", {"form": form, "errors": errors, "lines": lines})


@login_required
def connector_detail(request: HttpRequest, ref: str) -> HttpResponse:
    resolved = _resolve(user_workspace(request), ref)
    return render(
        request, "connectors/detail.html", {"connector": resolved, "fields": resolved.parsed.fields}
    )


class ConsoleForm(forms.Form):
    connector = forms.ChoiceField(label="Saved connector", required=False)
    xml = forms.CharField(
        label="…or a draft connector (XML)", required=False, widget=forms.Textarea(attrs={"rows": 10})
    )
    fields_json = forms.CharField(
        label="Field values (JSON object; secrets come back masked after each send)",
        initial="{}",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    to = forms.CharField(label="To (E.164)", initial="+250788123123")
    text = forms.CharField(label="Text", initial="Test message from Flowgate")
    sender = forms.CharField(label="From (channel address)", required=False)


@login_required
def connector_console(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    choices = [("", "— draft below —")] + [
        (c.uuid or c.slug, f"{c.name} ({c.slug})")
        for c in services.list_connectors(workspace=workspace)
        if c.kind == "sms"
    ]
    initial = {"connector": request.GET.get("connector", "")}
    form = ConsoleForm(request.POST or None, initial=initial)
    form.fields["connector"].choices = choices  # type: ignore[attr-defined]
    report: dict[str, Any] | None = None
    lines: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parsed: ParsedConnector | None = None
        if data["xml"].strip():
            try:
                parsed = services.validate_connector(xml=data["xml"])
            except services.ConnectorRejected as exc:
                lines = annotated_lines(data["xml"], exc.errors)
        elif data["connector"]:
            parsed = _resolve(workspace, data["connector"]).parsed
        else:
            form.add_error("connector", "choose a saved connector or paste a draft")
        try:
            field_values = json.loads(data["fields_json"] or "{}")
            if not isinstance(field_values, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            form.add_error("fields_json", f"must be a JSON object: {exc}")
            parsed = None
        if parsed is not None and parsed.kind != "sms":
            form.add_error(None, "the test console sends SMS: choose an SMS connector")
            parsed = None
        if parsed is not None:
            fields = {str(k): str(v) for k, v in field_values.items()}
            report = services.console_send(
                connector=parsed, fields=fields, to=data["to"], text=data["text"], sender=data["sender"]
            )
            # what the mapping produced, as JSON (null, false, "…"), not Python's None/False
            if isinstance(report.get("mapped"), dict):
                report["mapped"] = {k: json.dumps(v, ensure_ascii=False) for k, v in report["mapped"].items()}
            # Never echo secrets back into the page: the form comes back with them masked.
            secret = {f.name for f in parsed.fields if f.secret}
            shown = {k: (MASK if k in secret and v else v) for k, v in fields.items()}
            data_copy = form.data.copy()  # type: ignore[attr-defined]
            data_copy["fields_json"] = json.dumps(shown)
            form.data = data_copy
    return render(request, "connectors/console.html", {"form": form, "report": report, "lines": lines})


def connector_fields_form(parsed: ParsedConnector, data: Any = None) -> forms.Form:
    """The add-channel form of an XC channel: generated from the connector's <config><fields>."""
    form = forms.Form(data=data)
    form.fields["name"] = forms.CharField(label="Name", max_length=128)
    form.fields["address"] = forms.CharField(label="Address (your number or sender id)", required=False)
    form.fields["country"] = forms.CharField(
        label="Country (ISO code, e.g. RW)", required=False, max_length=2
    )
    for f in parsed.fields:
        common: dict[str, Any] = {"label": f.label or f.name, "required": f.required}
        if f.default is not None:
            common["initial"] = f.default
        field: forms.Field
        if f.name in CALLBACK_FIELDS:  # our own URLs: shown, not asked for
            form.fields[f"field_{f.name}"] = forms.CharField(
                label=f.label or f.name, required=False, disabled=True, initial="", help_text=CALLBACK_HELP
            )
            continue
        if f.type == "password":
            field = forms.CharField(widget=forms.PasswordInput(render_value=False), **common)
        elif f.type == "picklist":
            field = forms.ChoiceField(choices=[(o, o) for o in f.options], **common)
        elif f.type == "url":
            field = forms.URLField(assume_scheme="https", **common)
        else:
            field = forms.CharField(**common)
        form.fields[f"field_{f.name}"] = field
    form.fields.update(inbound_auth_form().fields)  # optional checks on what the provider posts
    return form


@login_required
def xc_channel_create(request: HttpRequest) -> HttpResponse:
    workspace = user_workspace(request)
    ref = request.GET.get("connector") or request.POST.get("connector") or ""
    if not ref:
        every = services.list_connectors(workspace=workspace)
        # SMS and phone-call (voice) connectors are added the same way
        groups = [("Messaging (SMS)", [c for c in every if c.kind == "sms"]),
                  ("Phone calls (voice)", [c for c in every if c.kind != "sms"])]  # fmt: skip
        return render(request, "connectors/pick.html", {"groups": groups})
    resolved = _resolve(workspace, ref)
    form = connector_fields_form(resolved.parsed, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {f.name: data.get(f"field_{f.name}") or "" for f in resolved.parsed.fields}
        try:
            channel = channel_service.create_channel(
                workspace=workspace,
                type_code="XC",
                name=data["name"],
                address=data["address"],
                country=data["country"],
                config={
                    "connector": resolved.uuid or resolved.slug,
                    "fields": fields,
                    **inbound_auth_from_form(data),
                },
            )
        except ConfigError as exc:
            for key, message in exc.errors.items():
                name = f"field_{key.split('.', 1)[1]}" if key.startswith("fields.") else key
                name = f"config_{name}" if f"config_{name}" in form.fields else name
                form.add_error(name if name in form.fields else None, message)
        else:
            flash.success(request, f"Channel {channel.name} added.")
            return redirect("channel_detail", channel_uuid=channel.uuid)
    return render(request, "connectors/add_channel.html", {"form": form, "connector": resolved})
