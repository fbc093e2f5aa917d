"""Action execution. Each handler mutates the session (contact, run) and emits goflow-style events.

Handlers never raise for bad data in a flow: problems become `error` events and the flow goes on,
which is what flow authors expect from RapidPro.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from . import contactql
from .contact import parse_field_value
from .context import webhook_context
from .definition import Action, Flow, Node
from .environment import load_zone
from .session import jsonable
from .urns import normalize_tel, parse_urn, tel_country
from .values import XError, to_text

if TYPE_CHECKING:
    from .runner import SprintContext
    from .session import Run

Handler = Callable[["SprintContext", "Run", Flow, Node, Action], None]
HANDLERS: dict[str, Handler] = {}

MAX_FIELD_VALUE = 640
MAX_RESULT_VALUE = 640
MAX_WEBHOOK_RESPONSE = 10_000  # what the webhook_called event keeps; @webhook keeps it all


def handler(name: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return deco


def execute_action(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    fn = HANDLERS.get(action.type)
    if fn is None:
        sc.event("warning", text=f"action type {action.type} is not supported by this engine")
        return
    fn(sc, run, flow, node, action)


def _lang(sc: SprintContext, flow: Flow) -> str:
    lang = sc.session.contact.language
    allowed = sc.env.allowed_languages
    return lang if lang and lang in allowed else flow.language


def _localized(
    sc: SprintContext, flow: Flow, action: Action, key: str, default: Any, lang: str | None = None
) -> Any:
    tr = flow.localized(lang or _lang(sc, flow), action.uuid, key)
    if tr is None:
        return default
    if key == "text":
        return tr[0] if tr else default
    return tr


# ----------------------------------------------------------------------------------- messages


def _missing_dependency(sc: SprintContext, kind: str, ref: dict[str, Any], id_key: str = "uuid") -> None:
    identity = ref.get(id_key) or ""
    sc.event(
        "error",
        text=f"Missing dependency: {kind}[{id_key}={identity},name={ref.get('name') or ''}]",
        code="dependency:missing",
        extra={"identity": identity, "type": kind},
    )


def truncate(text: str, limit: int) -> str:
    """Cuts text to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


MAX_MSG_TEXT = 10_000
MAX_ATTACHMENT = 2048
MAX_QUICK_REPLY_TEXT = 64
MAX_QUICK_REPLY_EXTRA = 1000
_UNSENDABLE_STATUSES = {
    "blocked": "contact_blocked",
    "stopped": "contact_stopped",
    "archived": "contact_archived",
}


def _sendable_destinations(sc: SprintContext, all_urns: bool) -> list[tuple[str, dict[str, str] | None, str]]:
    """(urn, channel ref, channel country) for each URN we can send to, affinity channel first."""
    out: list[tuple[str, dict[str, str] | None, str]] = []
    assets = sc.engine.assets
    for u in sc.session.contact.urns:
        p = parse_urn(u)
        if p is None:
            continue
        channel = None
        if "channel=" in p.query:
            channel = assets.channels.get(p.query.split("channel=", 1)[1].split("&")[0])
        if channel is None:
            channel = assets.channel_for_scheme(p.scheme)
        if channel is None:
            continue
        out.append((p.identity, channel.ref(), channel.country))
        if not all_urns:
            break
    return out


def _contact_country(sc: SprintContext) -> str:
    """The country of the contact's first phone number, else the environment's default."""
    for u in sc.session.contact.urns:
        p = parse_urn(u)
        if p is not None and p.scheme == "tel":
            country = tel_country(p.path)
            if country:
                return country
            break
    return sc.env.default_country


def contact_country(sc: SprintContext) -> str:
    """The contact's own country (goflow): its preferred channel's, else that of its first phone
    number with a known country; "" when neither says."""
    preferred = _sendable_destinations(sc, all_urns=False)
    if preferred and preferred[0][2]:
        return preferred[0][2]
    for u in sc.session.contact.urns:
        p = parse_urn(u)
        if p is not None and p.scheme == "tel":
            country = tel_country(p.path)
            if country:
                return country
    return ""


def _render_attachments(sc: SprintContext, run: Run, items: list[Any], scope: Any) -> list[str]:
    out = []
    for item in items:
        rendered = sc.render(run, str(item), scope).strip()
        content_type, _, url = rendered.partition(":")
        if not content_type.strip() or not url.strip():
            sc.event("error", text="Attachment evaluated to invalid value and will be ignored")
        elif len(rendered) > MAX_ATTACHMENT:
            sc.event(
                "error",
                text=f"Evaluated attachment is longer than the {MAX_ATTACHMENT} limit and will be ignored",
            )
        else:
            out.append(rendered)
    return out


def _render_quick_replies(sc: SprintContext, run: Run, items: list[Any], scope: Any) -> list[dict[str, str]]:
    out = []
    for item in items:
        kind = "text"
        text = str(item)
        if isinstance(item, dict):
            text, kind = str(item.get("text", "")), str(item.get("type") or "text")
        rendered = sc.render(run, text, scope).strip()
        if not rendered:
            sc.event("error", text="Quick reply evaluated to empty string and will be ignored")
            continue
        label, sep, extra = rendered.partition("<extra>")
        qr = {"type": kind, "text": truncate(label.strip(), MAX_QUICK_REPLY_TEXT)}
        if sep and extra.strip():
            qr["extra"] = truncate(extra.strip(), MAX_QUICK_REPLY_EXTRA)
        out.append(qr)
    return out


def _compose(
    sc: SprintContext, run: Run, flow: Flow, action: Action, lang: str | None = None
) -> dict[str, Any]:
    scope = sc.scope(run)
    lang = lang or _lang(sc, flow)
    text = sc.render(run, _localized(sc, flow, action, "text", action.get("text", ""), lang), scope)
    content: dict[str, Any] = {"text": truncate(text, MAX_MSG_TEXT)}
    raw_attachments = _localized(sc, flow, action, "attachments", action.get("attachments") or [], lang)
    if raw_attachments:
        attachments = _render_attachments(sc, run, raw_attachments, scope)
        if attachments:
            content["attachments"] = attachments
    raw_qrs = _localized(sc, flow, action, "quick_replies", action.get("quick_replies") or [], lang)
    if raw_qrs:
        qrs = _render_quick_replies(sc, run, raw_qrs, scope)
        if qrs:
            content["quick_replies"] = qrs
    return content


_TEMPLATE_VAR_RE = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _template_translation(
    sc: SprintContext, template: dict[str, Any], channel_uuid: str, lang: str, country: str
) -> dict[str, Any] | None:
    """The translation of a template for a channel, preferring the contact's language, then the
    environment's default language; an exact locale beats a language-only match."""
    candidates = [
        t for t in template.get("translations") or [] if (t.get("channel") or {}).get("uuid") == channel_uuid
    ]
    for language in dict.fromkeys(x for x in (lang, sc.env.default_language) if x):
        wanted = [f"{language}-{country}", language] if country else [language]
        for locale in wanted:
            for t in candidates:
                if t.get("locale") == locale:
                    return t
        for t in candidates:
            if str(t.get("locale", "")).split("-")[0] == language:
                return t
    return None


def _apply_template(
    sc: SprintContext,
    run: Run,
    flow: Flow,
    action: Action,
    lang: str,
    channel_uuid: str,
    country: str,
    content: dict[str, Any],
) -> tuple[dict[str, Any], str] | None:
    """Message content from a channel template (and its locale), or None to send the text."""
    ref = action.get("template") or {}
    template = sc.engine.assets.templates.get(ref.get("uuid", ""))
    if template is None:
        return None
    translation = _template_translation(sc, template, channel_uuid, lang, country)
    if translation is None:
        return None
    raw_vars = _localized(
        sc, flow, action, "template_variables", action.get("template_variables") or [], lang
    )
    scope = sc.scope(run)
    declared = translation.get("variables") or []
    values = [sc.render(run, str(v), scope) for v in raw_vars][: len(declared)]
    values += [""] * (len(declared) - len(values))

    def fill(text: str, mapping: dict[str, int]) -> str:
        def repl(m: re.Match[str]) -> str:
            idx = mapping.get(m.group(1))
            return values[idx] if idx is not None and idx < len(values) else m.group(0)

        return _TEMPLATE_VAR_RE.sub(repl, text)

    texts, quick_replies, attachments, components = [], [], [], []
    for comp in translation.get("components") or []:
        kind = str(comp.get("type", ""))
        mapping = {str(k): int(v) for k, v in (comp.get("variables") or {}).items()}
        if mapping:
            components.append(
                {"name": comp.get("name", ""), "type": kind, "variables": dict(comp["variables"])}
            )
        if kind in ("header/text", "body/text", "footer/text"):
            text = fill(str(comp.get("content", "")), mapping)
            if text:
                texts.append(text)
        elif kind == "button/quick_reply":
            text = fill(str(comp.get("content", "")), mapping)
            if text:
                quick_replies.append({"type": "text", "text": text})
        elif kind == "header/media":
            for idx in mapping.values():
                value = values[idx] if idx < len(values) else ""
                content_type, _, url = value.partition(":")
                if "/" in content_type and url:
                    attachments.append(value)
    out: dict[str, Any] = {"text": "\n\n".join(texts)}
    if attachments:
        out["attachments"] = attachments
    if quick_replies:
        out["quick_replies"] = quick_replies
    templating: dict[str, Any] = {
        "template": {"uuid": template.get("uuid", ""), "name": template.get("name", "")}
    }
    if components:
        templating["components"] = components
    if declared:
        templating["variables"] = [
            {"type": d.get("type", "text"), "value": values[i]} for i, d in enumerate(declared)
        ]
    out["templating"] = templating
    return out, str(translation.get("locale", ""))


@handler("send_msg")
def send_msg(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    lang = _lang(sc, flow)
    content = _compose(sc, run, flow, action, lang)
    status_reason = _UNSENDABLE_STATUSES.get(sc.session.contact.status)
    check = sc.engine.check_sendable
    content_reason = check(content) if check is not None else None
    # goflow no longer honours `all_urns`: a message goes to the preferred sendable URN only
    dests: list[tuple[str | None, dict[str, str] | None, str]] = list(_sendable_destinations(sc, False))
    if not dests:
        dests = [(None, None, "")]
    for urn, channel, channel_country in dests:
        msg: dict[str, Any] = {}
        if urn:
            msg["urn"] = urn
            msg["channel"] = channel
        country = channel_country or _contact_country(sc)
        templated = None
        if channel and action.get("template"):
            templated = _apply_template(sc, run, flow, action, lang, channel["uuid"], country, content)
        if templated is not None:
            msg.update(templated[0])
            msg["locale"] = templated[1]
        else:
            msg.update(content)
            if lang:
                msg["locale"] = f"{lang}-{country}" if country else lang
        reason = status_reason or (None if urn else "no_route") or content_reason
        if reason:
            msg["unsendable_reason"] = reason
        sc.event("msg_created", msg=msg)


@handler("say_msg")
def say_msg(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    text = sc.render(run, _localized(sc, flow, action, "text", action.get("text", "")))
    msg: dict[str, Any] = {"text": text, "locale": _lang(sc, flow)}
    audio = _localized(sc, flow, action, "audio_url", action.get("audio_url"))
    if audio:
        msg["attachments"] = [f"audio:{audio[0] if isinstance(audio, list) else audio}"]
    sc.event("ivr_created", msg=msg)


@handler("play_audio")
def play_audio(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    url = sc.render(run, _localized(sc, flow, action, "text", action.get("audio_url", "")))
    sc.event("ivr_created", msg={"text": "", "attachments": [f"audio:{url}"], "locale": _lang(sc, flow)})


@handler("send_broadcast")
def send_broadcast(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    translations: dict[str, Any] = {}
    languages = [flow.language] + [lang for lang in flow.localization if lang != flow.language]
    for lang in languages:
        translations[lang] = _compose(sc, run, flow, action, lang)
    data: dict[str, Any] = {"translations": translations, "base_language": flow.language}
    urns = [sc.render(run, u) for u in action.get("legacy_vars") or []] + list(action.get("urns") or [])
    if urns:
        data["urns"] = urns
    if action.get("contacts"):
        data["contacts"] = action.get("contacts")
    if action.get("groups"):
        data["groups"] = action.get("groups")
    sc.event("broadcast_created", **data)


@handler("send_email")
def send_email(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    to = [sc.render(run, a) for a in action.get("addresses") or []]
    sc.event(
        "email_sent",
        to=[t.removeprefix("mailto:") for t in to if t],
        subject=sc.render(run, action.get("subject", "")),
        body=sc.render(run, action.get("body", "")),
    )


# ----------------------------------------------------------------------------------- contact


@handler("set_contact_name")
def set_contact_name(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    name = sc.render(run, action.get("name", "")).strip()[:128]
    if name != sc.session.contact.name:
        sc.session.contact.name = name
        sc.event("contact_name_changed", name=name)
        reevaluate_query_groups(sc, after_change=True)


@handler("set_contact_language")
def set_contact_language(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    lang = sc.render(run, action.get("language", "")).strip()
    if lang and len(lang) != 3:
        sc.event("error", text=f"'{lang}' is not a valid language code")
        return
    if lang != sc.session.contact.language:
        sc.session.contact.language = lang
        sc.event("contact_language_changed", language=lang)
        reevaluate_query_groups(sc, after_change=True)


@handler("set_contact_status")
def set_contact_status(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    status = action.get("status", "")
    if status not in ("active", "blocked", "stopped", "archived"):
        sc.event("error", text=f"'{status}' is not a valid contact status")
        return
    if status != sc.session.contact.status:
        sc.session.contact.status = status
        sc.event("contact_status_changed", status=status)
        reevaluate_query_groups(sc, after_change=True)


@handler("set_contact_timezone")
def set_contact_timezone(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    tz = sc.render(run, action.get("timezone", "")).strip()
    if tz and load_zone(tz) is None:
        sc.event("error", text=f"unrecognized timezone: '{tz}'")
        return
    if tz != sc.session.contact.timezone:
        sc.session.contact.timezone = tz
        sc.event("contact_timezone_changed", timezone=tz)


@handler("set_contact_channel")
def set_contact_channel(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    ref = action.get("channel") or {}
    channel = sc.engine.assets.channels.get(ref.get("uuid", ""))
    if channel is None:
        _missing_dependency(sc, "channel", ref, "uuid")
        return
    contact = sc.session.contact
    new_urns: list[str] = []
    moved = False
    for u in contact.urns:
        p = parse_urn(u)
        if p and not moved and p.scheme in channel.schemes:
            new_urns.insert(0, f"{p.identity}?channel={channel.uuid}")
            moved = True
        else:
            new_urns.append(u)
    if new_urns != contact.urns:
        contact.urns = new_urns
        sc.event("contact_urns_changed", urns=list(new_urns))


@handler("add_contact_urn")
def add_contact_urn(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    scheme = action.get("scheme", "")
    path = sc.render(run, action.get("path", "")).strip()
    if not path:
        sc.event("error", text="can't add URN with empty path")
        return
    if scheme == "tel":
        normalized = normalize_tel(path, sc.env.default_country or "")
        path = normalized or path
    urn = f"{scheme}:{path}"
    if parse_urn(urn) is None:
        sc.event("error", text=f"'{urn}' is not a valid URN")
        return
    contact = sc.session.contact
    if urn in contact.urn_identities():
        return
    contact.urns.append(urn)
    sc.event("contact_urns_changed", urns=list(contact.urns))
    reevaluate_query_groups(sc, after_change=True)


def _resolve_groups(sc: SprintContext, run: Run, refs: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for ref in refs:
        group = sc.engine.assets.groups.get(ref.get("uuid", ""))
        if group is None and ref.get("name_match"):
            group = sc.engine.assets.group_by_name(sc.render(run, ref["name_match"]))
        if group is None:
            _missing_dependency(sc, "group", ref, "uuid")
            continue
        if group.query:
            sc.event("error", text=f"can't add or remove contacts from query based group '{group.name}'")
            continue
        out.append(group.ref())
    return out


@handler("add_contact_groups")
def add_contact_groups(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    contact = sc.session.contact
    added = []
    for g in _resolve_groups(sc, run, action.get("groups") or []):
        if not contact.in_group(g["uuid"]):
            contact.groups.append(g)
            added.append(g)
    if added:
        sc.event("contact_groups_changed", groups_added=added)


@handler("remove_contact_groups")
def remove_contact_groups(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    contact = sc.session.contact
    if action.get("all_groups"):
        # in asset order, like the group list an org sees
        order = {uuid: i for i, uuid in enumerate(sc.engine.assets.groups)}
        targets = sorted(
            (g for g in contact.groups if not (sc.engine.assets.groups.get(g["uuid"]) or _NoQuery).query),
            key=lambda g: order.get(g["uuid"], len(order)),
        )
    else:
        targets = _resolve_groups(sc, run, action.get("groups") or [])
    removed = [g for g in targets if contact.in_group(g["uuid"])]
    if removed:
        gone = {g["uuid"] for g in removed}
        contact.groups = [g for g in contact.groups if g["uuid"] not in gone]
        sc.event("contact_groups_changed", groups_removed=removed)


def reevaluate_query_groups(sc: SprintContext, *, after_change: bool = False) -> None:
    """Adds/removes the contact to/from query-based groups after a change to what they query.

    After a change to the contact (`after_change`), a contact that is no longer active also
    leaves its static groups, like goflow's modifiers do."""
    contact = sc.session.contact
    added: list[dict[str, str]] = []
    removed: list[dict[str, str]] = []
    for group in sc.engine.assets.groups.values():
        if not group.query:
            continue
        try:
            qualifies = contact.status == "active" and contactql.matches(
                group.query, contact, sc.engine.assets
            )
        except contactql.QueryError:
            continue  # a query this engine can't evaluate leaves membership alone
        member = contact.in_group(group.uuid)
        if qualifies and not member:
            contact.groups.append(group.ref())
            added.append(group.ref())
        elif member and not qualifies:
            contact.groups = [g for g in contact.groups if g["uuid"] != group.uuid]
            removed.append(group.ref())
    if after_change and contact.status != "active" and contact.groups:
        removed.extend(dict(g) for g in contact.groups)
        contact.groups = []
    if added or removed:
        data: dict[str, Any] = {}
        if added:
            data["groups_added"] = added
        if removed:
            data["groups_removed"] = removed
        sc.event("contact_groups_changed", **data)


class _NoQuery:
    query = ""


@handler("set_contact_field")
def set_contact_field(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    ref = action.get("field") or {}
    asset = sc.engine.assets.fields.get(ref.get("key", ""))
    if asset is None:
        _missing_dependency(sc, "field", ref, "key")
        return
    text, ok = sc.evaluate(run, action.get("value", ""))
    if not ok:
        return
    text = text.strip()[:MAX_FIELD_VALUE]
    value = parse_field_value(text, asset.type, sc.env)
    contact = sc.session.contact
    if contact.fields.get(asset.key) == value:
        return
    if value is None:
        contact.fields.pop(asset.key, None)
    else:
        contact.fields[asset.key] = value
    sc.event("contact_field_changed", field=asset.ref(), value=jsonable(value))
    reevaluate_query_groups(sc, after_change=True)


# ----------------------------------------------------------------------------------- run state


@handler("set_run_result")
def set_run_result(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    value, ok = sc.evaluate(run, action.get("value", ""))
    if not ok:
        return
    category = action.get("category", "") or ""
    sc.engine.save_result(
        sc,
        run,
        flow,
        node,
        action.get("name", ""),
        value.strip()[:MAX_RESULT_VALUE],
        category,
        action.uuid,
        None,
    )


@handler("set_run_local")
def set_run_local(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    key = action.get("local", "")
    value = sc.render(run, action.get("value", ""))
    op = action.get("operation", "set")
    if op == "increment":
        try:
            value = str(int(run.locals.get(key, "0") or 0) + int(value or 0))
        except ValueError:
            sc.event("error", text="increment requires numeric values")
            return
    elif op == "clear":
        run.locals.pop(key, None)
        sc.invalidate("locals")  # locals change without an event
        return
    run.locals[key] = value
    sc.invalidate("locals")


@handler("add_input_labels")
def add_input_labels(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    inp = sc.session.input
    if not inp:
        return
    labels = []
    for ref in action.get("labels") or []:
        label = sc.engine.assets.labels.get(ref.get("uuid", ""))
        if label is None and ref.get("name_match"):
            name = sc.render(run, ref["name_match"]).strip().lower()
            label = next((lb for lb in sc.engine.assets.labels.values() if lb["name"].lower() == name), None)
        if label is None:
            _missing_dependency(sc, "label", ref, "uuid")
            continue
        labels.append(dict(label))
    if labels:
        sc.event("input_labels_added", input_uuid=inp.get("uuid", ""), labels=labels)


# ----------------------------------------------------------------------------------- flows


@handler("enter_flow")
def enter_flow(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    ref = action.get("flow") or {}
    child = sc.engine.assets.get_flow(ref.get("uuid", ""))
    if child is None:
        _missing_dependency(sc, "flow", ref, "uuid")
        return
    # flows may enter each other, even in a loop: the runner's step and run limits stop the ones
    # that never wait (like goflow)
    if sc.child_to_start is None:  # one subflow per node: the first enter_flow wins
        sc.child_to_start = (child, bool(action.get("terminal")))


@handler("start_session")
def start_session(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    ref = action.get("flow") or {}
    target = sc.engine.assets.get_flow(ref.get("uuid", ""))
    if target is None:
        _missing_dependency(sc, "flow", ref)
        return
    data: dict[str, Any] = {"flow": {"name": target.name, "uuid": target.uuid}}
    for key in ("groups", "contacts"):
        if action.get(key):
            data[key] = action.get(key)
    urns = [sc.render(run, u) for u in action.get("urns") or []]
    if urns:
        data["urns"] = urns
    if action.get("contact_query"):
        data["contact_query"] = sc.render(run, action.get("contact_query"))
    if action.get("create_contact"):
        data["create_contact"] = True
    data["exclusions"] = dict(action.get("exclusions") or {})
    data["run_summary"] = jsonable(sc.session.run_summary(run))
    data["history"] = {"parent_uuid": sc.session.uuid, "ancestors": 1, "ancestors_since_input": 0}
    sc.event("session_triggered", **data)


# ----------------------------------------------------------------------------------- webhooks


MAX_WEBHOOK_URL = 2048
MAX_WEBHOOK_REQUEST = 256 * 1024  # bytes of evaluated request (request line, headers, body)
MAX_WEBHOOK_RESPONSE_BODY = 100_000  # bytes read from a response before giving up
MAX_RESULT_EXTRA = 10_000  # a response body bigger than this isn't kept as result extra
_BODY_METHODS = ("POST", "PUT", "PATCH")


def _canonical_header(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _valid_webhook_url(url: str) -> bool:
    if len(url) > MAX_WEBHOOK_URL or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@handler("call_webhook")
def call_webhook(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    scope = sc.scope(run)
    url = sc.render(run, action.get("url", ""), scope).strip()
    headers = {k: sc.render(run, v, scope) for k, v in (action.get("headers") or {}).items()}
    body = sc.render(run, action.get("body", ""), scope)
    if not url:
        sc.event("error", text="Webhook URL evaluated to empty string")
        return
    if not _valid_webhook_url(url):
        shown = truncate(url, 255)
        sc.event(
            "error",
            text=f"Webhook URL evaluated to an invalid URL: '{shown}'",
            code="url:invalid",
            extra={"url": shown},
        )
        return
    method = (action.get("method") or "GET").upper()
    _do_webhook(sc, run, flow, node, method, url, headers, body, action.get("result_name"))


def _resthook_payload(sc: SprintContext, run: Run, flow: Flow) -> dict[str, Any]:
    """What every resthook subscriber is posted (RapidPro's documented payload): the contact,
    flow, path, results, run, input and channel."""
    contact = sc.session.contact
    first_urn = next((p for p in (parse_urn(u) for u in contact.urns) if p is not None), None)
    results = {
        key: {
            "category": r.get("category"),
            "category_localized": r.get("category_localized") or r.get("category"),
            "created_on": r.get("created_on"),
            "input": r.get("input"),
            "name": r.get("name"),
            "node_uuid": r.get("node_uuid"),
            "value": r.get("value"),
        }
        for key, r in run.results.items()
    }
    path = []
    for step in run.path:
        item = {"arrived_on": step.get("arrived_on"), "node_uuid": step.get("node_uuid")}
        if step.get("exit_uuid"):
            item["exit_uuid"] = step["exit_uuid"]
        path.append(item)
    inp = sc.session.input
    input_json: dict[str, Any] | None = None
    channel = None
    if inp:
        channel = inp.get("channel") or None
        urn = parse_urn(inp.get("urn") or "") if inp.get("urn") else None
        attachments = []
        for a in inp.get("attachments") or []:
            content_type, _, url = str(a).partition(":")
            attachments.append({"content_type": content_type, "url": url})
        input_json = {
            "attachments": attachments,
            "channel": channel,
            "created_on": sc.session.input_created_on,
            "text": inp.get("text", ""),
            "type": "msg",
            "urn": (
                {"display": urn.display or urn.path, "path": urn.path, "scheme": urn.scheme} if urn else None
            ),
            "uuid": inp.get("uuid", ""),
        }
    return {
        "contact": {
            "uuid": contact.uuid,
            "name": contact.name,
            "urn": first_urn.identity if first_urn else None,
            "language": contact.language or "",
        },
        "flow": {"uuid": flow.uuid, "name": flow.name, "revision": flow.revision},
        "path": path,
        "results": results,
        "run": {"uuid": run.uuid, "created_on": run.created_on},
        "input": input_json,
        "channel": channel,
    }


@handler("call_resthook")
def call_resthook(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    """Posts the run's payload to every subscriber of the resthook (nothing when the workspace
    has no such resthook). The call that becomes @webhook and the result: the last failure,
    else the last success, else the last 410 (subscriber gone)."""
    run.webhook = None
    sc.invalidate("webhook")
    slug = action.get("resthook", "")
    if slug not in sc.engine.assets.resthooks:
        return
    parsed_payload = jsonable(_resthook_payload(sc, run, flow))
    # sent as Go marshals it: compact, keys sorted
    payload = json.dumps(parsed_payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    sc.event("resthook_called", resthook=slug, payload=parsed_payload)
    calls: list[dict[str, Any]] = []
    for url in sc.engine.assets.resthooks.get(slug, []):
        if not _valid_webhook_url(url):
            sc.event(
                "error",
                text=f"Resthook subscriber URL is invalid: '{truncate(url, 255)}'",
                code="url:invalid",
            )
            continue
        call = _do_webhook(
            sc,
            run,
            flow,
            node,
            "POST",
            url,
            {"Content-Type": "application/json"},
            payload,
            None,
            resthook=slug,
        )
        if call is not None:
            calls.append(call)
    picked = _pick_resthook_call(calls)
    if picked is None:
        return
    _set_webhook(sc, run, picked)
    if action.get("result_name"):
        _save_webhook_result(sc, run, flow, node, action.get("result_name"), picked)


def _pick_resthook_call(calls: list[dict[str, Any]]) -> dict[str, Any] | None:
    failure = success = gone = None
    for call in calls:
        if call["status"] == "subscriber_gone":
            gone = call
        elif call["status"] == "success":
            success = call
        else:
            failure = call
    return failure or success or gone


def _request_dump(method: str, url: str, headers: dict[str, str], body: str, user_agent: str) -> str:
    """The request as sent, in HTTP/1.1 wire format."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query or url.endswith("?") else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", f"User-Agent: {user_agent}"]
    if body or method in _BODY_METHODS:
        lines.append(f"Content-Length: {len(body.encode())}")
    for name in sorted(headers):
        lines.append(f"{name}: {headers[name]}")
    lines.append("Accept-Encoding: gzip")
    return "\r\n".join(lines) + "\r\n\r\n" + body


def _response_head(resp: httpx.Response) -> str:
    version = resp.http_version if resp.http_version.startswith("HTTP/") else "HTTP/1.1"
    lines = [f"{version} {resp.status_code} {resp.reason_phrase}".rstrip()]
    headers = sorted((_canonical_header(k), v) for k, v in resp.headers.items())
    lines.extend(f"{k}: {v}" for k, v in headers)
    return "\r\n".join(lines) + "\r\n\r\n"


def _do_webhook(
    sc: SprintContext,
    run: Run,
    flow: Flow,
    node: Node,
    method: str,
    url: str,
    headers: dict[str, str],
    body: str,
    result_name: str | None,
    *,
    resthook: str | None = None,
) -> dict[str, Any] | None:
    """Makes the call and logs webhook_called; for call_webhook (no `resthook`) also sets
    @webhook and the result. Returns the call (None when it was refused before sending)."""
    engine = sc.engine
    host = (urlsplit(url).hostname or "").lower()
    if host in engine.webhook_blocked_hosts:
        sc.event(
            "error",
            text=f"Webhook calls to {host} are not allowed",
            code="url:blocked",
            extra={"hostname": host},
        )
        return None
    headers = {_canonical_header(k): v for k, v in headers.items()}
    evaluated = (
        f"{method} {url} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n" + body
    )
    request_size = len(evaluated.encode())
    if request_size > MAX_WEBHOOK_REQUEST:
        sc.event(
            "error",
            text=(
                f"Webhook request evaluated to {request_size} bytes, "
                f"exceeding the limit of {MAX_WEBHOOK_REQUEST}"
            ),
            code="webhook:request_size",
            extra={"limit": str(MAX_WEBHOOK_REQUEST), "size": str(request_size)},
        )
        return None

    request_dump = _request_dump(method, url, headers, body, engine.webhook_user_agent)
    send_headers = dict(headers)
    send_headers["User-Agent"] = engine.webhook_user_agent
    send_headers.setdefault("Accept-Encoding", "gzip")
    started = time.monotonic()
    status = "connection_error"
    status_code = 0
    response_dump: str | None = None
    response_size = 0
    response_body: str | None = None
    response_headers: dict[str, str] | None = None
    if engine.http is not None:
        try:
            request = engine.http.build_request(
                method,
                url,
                headers=send_headers,
                content=body.encode() if body or method in _BODY_METHODS else None,
                timeout=engine.webhook_timeout,
            )
            resp = engine.http.send(request, stream=True)
            try:
                raw, complete = _read_limited(resp, MAX_WEBHOOK_RESPONSE_BODY)
            finally:
                resp.close()
            status_code = resp.status_code
            response_headers = {
                _canonical_header(k): v for k, v in resp.headers.items() if k.lower() != "content-length"
            }
            head = _response_head(resp)
            if complete:
                response_body = raw.decode(resp.encoding or "utf-8", errors="replace")
                response_dump = head + response_body
                response_size = len(head.encode()) + len(raw)
                status = "success" if 200 <= status_code < 300 else "response_error"
            else:
                sc.event(
                    "warning",
                    text=f"Webhook response exceeded the limit of {MAX_WEBHOOK_RESPONSE_BODY} bytes",
                    code="webhook:response_size",
                    extra={"limit": str(MAX_WEBHOOK_RESPONSE_BODY)},
                )
                response_dump = head
                declared = resp.headers.get("content-length", "")
                response_size = len(head.encode()) + (int(declared) if declared.isdigit() else len(raw))
                response_headers = {}
        except (httpx.HTTPError, httpx.InvalidURL, ValueError):
            status = "connection_error"
    if resthook is not None and status_code == 410:
        status = "subscriber_gone"  # a resthook subscriber that unsubscribed (zapier's convention)
    elapsed_ms = int((time.monotonic() - started) * 1000)
    data: dict[str, Any] = {"url": url}
    if status_code:
        data["status_code"] = status_code
    data["request"] = truncate(request_dump, MAX_WEBHOOK_RESPONSE)
    if response_dump is not None:
        data["response"] = truncate(response_dump, MAX_WEBHOOK_RESPONSE)
    data.update(
        elapsed_ms=elapsed_ms,
        retries=0,
        sizes={"request": len(request_dump.encode()), "response": response_size},
        status=status,
    )
    if resthook is not None:
        data["resthook"] = resthook
    sc.event("webhook_called", **data)

    parsed: Any = None
    if response_body:
        try:
            parsed = json.loads(response_body)
        except ValueError:
            parsed = None
    call = {
        "method": method,
        "url": url,
        "status_code": status_code,
        "status": status,
        "headers": response_headers,
        "json": parsed,
        "body": response_body,
    }
    if resthook is None:
        _set_webhook(sc, run, call)
        if result_name:
            _save_webhook_result(sc, run, flow, node, result_name, call)
    return call


def _set_webhook(sc: SprintContext, run: Run, call: dict[str, Any]) -> None:
    run.webhook = {
        "method": call["method"],
        "url": call["url"],
        "status": call["status_code"],
        "headers": call["headers"],
        "json": call["json"],
    }
    sc.invalidate("webhook")


def _save_webhook_result(
    sc: SprintContext, run: Run, flow: Flow, node: Node, result_name: str, call: dict[str, Any]
) -> None:
    body, parsed = call["body"], call["json"]
    small = body is not None and len(body.encode()) <= MAX_RESULT_EXTRA
    sc.engine.save_result(
        sc,
        run,
        flow,
        node,
        result_name,
        str(call["status_code"]),
        "Success" if call["status"] == "success" else "Failure",
        None,
        f"{call['method']} {call['url']}",
        extra=parsed if small and isinstance(parsed, dict | list) else None,
        extra_text=body,
    )


def _read_limited(resp: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Reads at most `limit` bytes of a streamed body; False if there was more."""
    chunks: list[bytes] = []
    total = 0
    for chunk in resp.iter_bytes():
        total += len(chunk)
        if total > limit:
            return b"".join(chunks), False
        chunks.append(chunk)
    return b"".join(chunks), True


def webhook_value(run: Run) -> Any:
    """@webhook for callers that want it outside an expression."""
    return webhook_context(run.webhook)


def render_text(value: Any) -> str:
    t = to_text(value)
    return t.message if isinstance(t, XError) else t


# ----------------------------------------------------------------------------------- tickets, airtime, LLMs


@handler("open_ticket")
def open_ticket(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    """Opens a ticket (topic, optional assignee and note) unless the contact already has an open
    one; the new ticket's uuid (or "") goes in the `_new_ticket` local for the node to split on."""
    run.locals["_new_ticket"] = ""
    sc.invalidate("locals")
    topic_ref = action.get("topic") or None
    topic = sc.engine.assets.topics.get(topic_ref.get("uuid", "")) if topic_ref else None
    if topic_ref and topic is None:
        _missing_dependency(sc, "topic", topic_ref)
        return
    note = sc.render(run, action.get("note") or action.get("body") or "").strip()
    contact = sc.session.contact
    open_tickets = contact.extra.setdefault("tickets", [])
    if open_tickets:
        return  # one open ticket per contact
    ticket: dict[str, Any] = {"uuid": sc.env.new_uuid(), "topic": dict(topic) if topic else None}
    assignee = action.get("assignee") or None
    ticket["assignee"] = dict(assignee) if assignee else None
    open_tickets.append(ticket)
    event_ticket: dict[str, Any] = {"uuid": ticket["uuid"], "status": "open"}
    if topic:
        event_ticket["topic"] = dict(topic)
    if assignee:
        event_ticket["assignee"] = dict(assignee)
    sc.event("ticket_opened", ticket=event_ticket)
    if note:
        sc.event("ticket_note_added", ticket_uuid=ticket["uuid"], note=note)
    run.locals["_new_ticket"] = ticket["uuid"]
    sc.invalidate("locals")


@handler("transfer_airtime")
def transfer_airtime(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    """Sends airtime to the contact's first phone number through the workspace's airtime
    service; airtime_created on success, an error event otherwise. The event uuid (or "") goes in
    the `_new_transfer` local."""
    from .services import ServiceError

    run.locals["_new_transfer"] = ""
    sc.invalidate("locals")
    contact = sc.session.contact
    recipient = next((p for p in (parse_urn(u) for u in contact.urns) if p and p.scheme == "tel"), None)
    if recipient is None:
        sc.event("error", text="can't transfer airtime to contact without a phone number")
        return
    sender = ""
    preferred = _sendable_destinations(sc, all_urns=False)
    if preferred and preferred[0][1]:
        channel = sc.engine.assets.channels.get(preferred[0][1]["uuid"])
        if channel is not None and "tel" in channel.schemes and channel.address:
            sender = f"tel:{channel.address}"
    service = sc.engine.airtime
    if service is None:
        sc.event("error", text="no airtime service configured")
        return
    transfer_uuid = sc.env.new_uuid()
    try:
        transfer = service.transfer(
            transfer_uuid=transfer_uuid,
            sender=sender,
            recipient=recipient.identity,
            amounts=dict(action.get("amounts") or {}),
        )
    except ServiceError as e:
        sc.event("error", text=str(e))
        return
    ev = sc.event(
        "airtime_created",
        external_id=transfer.external_id,
        sender=sender,
        recipient=recipient.identity,
        currency=transfer.currency,
        amount=transfer.amount,
        http_logs=list(transfer.http_logs),
    )
    ev["uuid"] = transfer_uuid  # the provider was given this uuid as its reference
    run.locals["_new_transfer"] = transfer_uuid
    sc.invalidate("locals")


LLM_MAX_TOKENS = 2500
LLM_ERROR_OUTPUT = "<ERROR>"


@handler("call_llm")
def call_llm(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    """Asks the workspace's LLM: llm_called with the output and token counts, the output in the
    action's output local ("<ERROR>" when the call couldn't be made)."""
    from .services import ServiceError

    local = action.get("output_local") or "_llm_output"
    output = LLM_ERROR_OUTPUT
    try:
        ref = action.get("llm") or {}
        llm = sc.engine.assets.llms.get(ref.get("uuid", ""))
        if llm is None:
            _missing_dependency(sc, "llm", ref)
            return
        if "engine" not in (llm.get("roles") or ["engine"]):
            sc.event("error", text=f"LLM {ref.get('uuid', '')} does not have the engine role")
            return
        scope = sc.scope(run)
        instructions = sc.render(run, action.get("instructions") or "", scope)
        text = sc.render(run, action.get("input") or "", scope)
        service = sc.engine.llm(llm) if sc.engine.llm is not None else None
        if service is None:
            sc.event("error", text="no LLM service configured")
            return
        started = time.monotonic()
        try:
            resp = service.respond(instructions=instructions, input=text, max_tokens=LLM_MAX_TOKENS)
        except ServiceError as e:
            sc.event("error", text=str(e))
            return
        sc.event(
            "llm_called",
            llm={"uuid": llm["uuid"], "name": llm.get("name", "")},
            instructions=instructions,
            input=text,
            output=resp.output,
            tokens={"input": resp.tokens_in, "output": resp.tokens_out},
            elapsed_ms=int((time.monotonic() - started) * 1000),
        )
        output = resp.output
    finally:
        run.locals[local] = output
        sc.invalidate("locals")
