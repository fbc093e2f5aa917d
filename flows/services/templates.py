"""Message templates: named texts per workspace, per language, with declared variables.

Texts use the flow expression language (`@name`, `@params.name`, `@(upper(name))`). Rendering
is checked completely before a message is created: a variable with no value and no default, an
unknown parameter or a failing expression is a TemplateError, and nothing is queued.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction

from channels_app.models import Channel, MessageTemplate, Msg, Workspace
from channels_app.services.send import queue_message
from flows.engine import evaluate_template_with

_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_VAR_RE = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,4})?$", re.IGNORECASE)
# Names the expression language gives a meaning of its own; a variable may not shadow them.
_RESERVED = {"params", "contact", "fields", "urns", "globals", "run", "results", "input", "trigger"}
_PROBE = "\x00probe\x00"


class TemplateError(ValueError):
    """`errors` maps a field (or variable) name to what is wrong with it."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


def _clean(
    code: Any, base_language: Any, translations: Any, variables: Any
) -> tuple[str, str, dict[str, str], dict[str, str | None]]:
    errors: dict[str, str] = {}
    if not isinstance(code, str) or not _CODE_RE.match(code):
        errors["code"] = (
            "lower-case letters, digits, '-' and '_' (at most 64), starting with a letter or digit"
        )
    if not isinstance(translations, dict) or not translations:
        errors["translations"] = 'give at least one language and its text, e.g. {"eng": "Hello @name"}'
        translations = {}
    for lang, text in translations.items():
        if not isinstance(lang, str) or not _LANG_RE.match(lang):
            errors["translations"] = f"{lang!r} is not a language code"
        elif not isinstance(text, str) or not text.strip():
            errors["translations"] = f"the {lang} text is empty"
    if not isinstance(base_language, str) or not base_language:
        base_language = next(iter(translations), "")
    elif translations and base_language not in translations:
        errors["base_language"] = f"{base_language!r} has no text in translations"
    if not isinstance(variables, dict):
        errors["variables"] = "an object of variable name: default (null when required)"
        variables = {}
    for name, default in variables.items():
        if not _VAR_RE.match(str(name)) or name in _RESERVED:
            errors["variables"] = f"{name!r} is not a usable variable name"
        elif default is not None and not isinstance(default, str | int | float | bool):
            errors["variables"] = f"the default of {name!r} must be text, a number or null"
    if errors:
        raise TemplateError("invalid template", errors)
    clean_vars = {str(k): (None if v is None else str(v)) for k, v in variables.items()}
    # Every expression must work once each variable has a value: typos are caught on save.
    for lang, text in translations.items():
        _, failures = evaluate_template_with(text, _context({k: _PROBE for k in clean_vars}))
        if failures:
            raise TemplateError(
                "invalid template",
                {"translations": f"{lang}: {failures[0].message} (declare it in variables)"},
            )
    return code, base_language, {str(k): str(v) for k, v in translations.items()}, clean_vars


def _context(values: dict[str, str]) -> dict[str, Any]:
    return {**values, "params": dict(values)}


def create_template(
    *,
    workspace: Workspace,
    code: str,
    translations: dict[str, str],
    variables: dict[str, Any] | None = None,
    base_language: str = "",
    name: str = "",
) -> MessageTemplate:
    code, base_language, translations, clean_vars = _clean(code, base_language, translations, variables or {})
    try:
        with transaction.atomic():
            return MessageTemplate.objects.create(
                workspace=workspace,
                code=code,
                name=(name or code)[:128],
                base_language=base_language,
                translations=translations,
                variables=clean_vars,
            )
    except IntegrityError:
        raise TemplateError("invalid template", {"code": f"a template {code!r} exists already"}) from None


def update_template(
    *,
    template: MessageTemplate,
    translations: dict[str, str] | None = None,
    variables: dict[str, Any] | None = None,
    base_language: str | None = None,
    name: str | None = None,
) -> MessageTemplate:
    _, template.base_language, template.translations, template.variables = _clean(
        template.code,
        template.base_language if base_language is None else base_language,
        template.translations if translations is None else translations,
        template.variables if variables is None else variables,
    )
    if name is not None:
        template.name = name[:128]
    template.save()
    return template


def get_template(*, workspace: Workspace, code: str) -> MessageTemplate:
    template = MessageTemplate.objects.filter(workspace=workspace, code=code).first()
    if template is None:
        raise TemplateError(f"no template with code {code!r}", {"template": "not found"})
    return template


def render(*, template: MessageTemplate, params: dict[str, Any] | None = None, language: str = "") -> str:
    """The text for `language` (else the base language) with `params` filled in; raises TemplateError."""
    params = params or {}
    unknown = sorted(set(params) - set(template.variables))
    if unknown:
        raise TemplateError(
            f"unknown template parameters: {', '.join(unknown)}",
            {k: "not a variable of this template" for k in unknown},
        )
    values: dict[str, str] = {}
    missing: list[str] = []
    for name, default in template.variables.items():
        value = params.get(name, default)
        if value is None:
            missing.append(name)
        elif not isinstance(value, str | int | float | bool):
            raise TemplateError(
                f"parameter {name!r} must be text or a number", {name: "must be text or a number"}
            )
        else:
            values[name] = str(value)
    if missing:
        raise TemplateError(
            f"missing template variables: {', '.join(missing)}", {k: "required, no default" for k in missing}
        )
    text = template.translations.get(language) or template.translations[template.base_language]
    rendered, failures = evaluate_template_with(text, _context(values))
    if failures:
        raise TemplateError(f"the template failed to render: {failures[0].message}")
    return rendered


def send_template(
    *,
    workspace: Workspace,
    channel: Channel | None,
    to: str,
    code: str,
    params: dict[str, Any] | None = None,
    language: str = "",
    response_to: Msg | None = None,
) -> Msg:
    """Render first, then queue: a template error never leaves a half-made message behind."""
    template = get_template(workspace=workspace, code=code)
    text = render(template=template, params=params, language=language)
    return queue_message(
        workspace_id=workspace.id,
        channel=channel,
        to=to,
        text=text,
        response_to=response_to,
        metadata={"template": {"code": code, "language": language, "params": params or {}}},
    )


def template_payload(template: MessageTemplate) -> dict[str, Any]:
    return {
        "uuid": str(template.uuid),
        "code": template.code,
        "name": template.name,
        "base_language": template.base_language,
        "translations": template.translations,
        "variables": template.variables,
        "created_on": template.created_on,
        "modified_on": template.modified_on,
    }
