"""Action execution. Each handler mutates the session (contact, run) and emits goflow-style events.

Handlers never raise for bad data in a flow: problems become `error` events and the flow goes on,
which is what flow authors expect from RapidPro.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

from .contact import parse_field_value
from .definition import Action, Flow, Node
from .environment import load_zone
from .session import jsonable
from .urns import normalize_tel, parse_urn
from .values import XError, from_json, to_text

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


def _sendable_destinations(sc: SprintContext, all_urns: bool) -> list[tuple[str, dict[str, str] | None, str]]:
    """(urn, channel ref, channel country) for each URN we can send to, affinity channel first."""
    out = []
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


def _quick_replies(values: list[Any]) -> list[dict[str, str]]:
    out = []
    for q in values:
        if isinstance(q, dict):
            out.append({"text": q.get("text", ""), "type": q.get("type", "text")})
        else:
            out.append({"text": str(q), "type": "text"})
    return out


def _render_list(sc: SprintContext, run: Run, items: list[Any], scope: Any) -> list[str]:
    out = []
    for item in items:
        text = item.get("text", "") if isinstance(item, dict) else str(item)
        rendered = sc.render(run, text, scope).strip()
        if rendered:
            out.append(rendered)
    return out


def _compose(
    sc: SprintContext, run: Run, flow: Flow, action: Action, lang: str | None = None
) -> dict[str, Any]:
    scope = sc.scope(run)
    text = sc.render(run, _localized(sc, flow, action, "text", action.get("text", ""), lang), scope)
    attachments = _render_list(
        sc, run, _localized(sc, flow, action, "attachments", action.get("attachments") or [], lang), scope
    )
    qrs = _render_list(
        sc, run, _localized(sc, flow, action, "quick_replies", action.get("quick_replies") or [], lang), scope
    )
    content: dict[str, Any] = {"text": text}
    if attachments:
        content["attachments"] = attachments
    if qrs:
        content["quick_replies"] = _quick_replies(qrs)
    return content


@handler("send_msg")
def send_msg(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    content = _compose(sc, run, flow, action)
    lang = _lang(sc, flow)
    dests = _sendable_destinations(sc, bool(action.get("all_urns")))
    if not dests:
        sc.event("msg_created", msg=dict(content, locale=lang) if lang else content)
        return
    for urn, channel, country in dests:
        msg = {"urn": urn, "channel": channel, **content}
        country = sc.env.default_country or country
        if lang:
            msg["locale"] = f"{lang}-{country}" if country else lang
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


@handler("set_contact_language")
def set_contact_language(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    lang = sc.render(run, action.get("language", "")).strip()
    if lang and len(lang) != 3:
        sc.event("error", text=f"'{lang}' is not a valid language code")
        return
    if lang != sc.session.contact.language:
        sc.session.contact.language = lang
        sc.event("contact_language_changed", language=lang)


@handler("set_contact_status")
def set_contact_status(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    status = action.get("status", "")
    if status not in ("active", "blocked", "stopped", "archived"):
        sc.event("error", text=f"'{status}' is not a valid contact status")
        return
    if status != sc.session.contact.status:
        sc.session.contact.status = status
        sc.event("contact_status_changed", status=status)


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
        sc.event("error", text=f"missing dependency: channel[uuid={ref.get('uuid')},name={ref.get('name')}]")
        return
    contact = sc.session.contact
    new_urns, moved = [], False
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


def _resolve_groups(sc: SprintContext, run: Run, refs: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for ref in refs:
        group = sc.engine.assets.groups.get(ref.get("uuid", ""))
        if group is None and ref.get("name_match"):
            group = sc.engine.assets.group_by_name(sc.render(run, ref["name_match"]))
        if group is None:
            sc.event(
                "error", text=f"missing dependency: group[uuid={ref.get('uuid')},name={ref.get('name')}]"
            )
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
        targets = [
            g for g in contact.groups if not (sc.engine.assets.groups.get(g["uuid"]) or _NoQuery).query
        ]
    else:
        targets = _resolve_groups(sc, run, action.get("groups") or [])
    removed = [g for g in targets if contact.in_group(g["uuid"])]
    if removed:
        gone = {g["uuid"] for g in removed}
        contact.groups = [g for g in contact.groups if g["uuid"] not in gone]
        sc.event("contact_groups_changed", groups_removed=removed)


class _NoQuery:
    query = ""


@handler("set_contact_field")
def set_contact_field(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    ref = action.get("field") or {}
    asset = sc.engine.assets.fields.get(ref.get("key", ""))
    if asset is None:
        sc.event("error", text=f"missing dependency: field[key={ref.get('key')},name={ref.get('name')}]")
        return
    scope = sc.scope(run)
    from .context import TOP_LEVELS
    from .template import evaluate_template

    text, errors = evaluate_template(action.get("value", ""), scope, TOP_LEVELS)
    if errors:
        for e in errors:
            sc.event("error", text=f"Error evaluating expression: {e.message}")
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


# ----------------------------------------------------------------------------------- run state


@handler("set_run_result")
def set_run_result(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    from .context import TOP_LEVELS
    from .template import evaluate_template

    value, errors = evaluate_template(action.get("value", ""), sc.scope(run), TOP_LEVELS)
    if errors:
        for e in errors:
            sc.event("error", text=f"Error evaluating expression: {e.message}")
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
        return
    run.locals[key] = value


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
            sc.event(
                "error", text=f"missing dependency: label[uuid={ref.get('uuid')},name={ref.get('name')}]"
            )
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
        sc.event("error", text=f"missing dependency: flow[uuid={ref.get('uuid')},name={ref.get('name')}]")
        return
    # a subflow can't re-enter a flow already on the stack (would loop forever)
    active = [r for r in sc.session.runs if r.status in ("active", "waiting")]
    if any(r.flow.get("uuid") == child.uuid for r in active):
        sc.event("failure", text=f"flow loop detected, stopping execution before entering '{child.name}'")
        sc.engine._end_run(sc, run, "failed")
        return
    sc.child_to_start = (child, bool(action.get("terminal")))


@handler("start_session")
def start_session(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    ref = action.get("flow") or {}
    data: dict[str, Any] = {"flow": {"name": ref.get("name", ""), "uuid": ref.get("uuid", "")}}
    for key in ("groups", "contacts"):
        if action.get(key):
            data[key] = action.get(key)
    urns = [sc.render(run, u) for u in action.get("urns") or []]
    if urns:
        data["urns"] = urns
    if action.get("contact_query"):
        data["contact_query"] = sc.render(run, action["contact_query"])
    if action.get("create_contact"):
        data["create_contact"] = True
    if action.get("exclusions"):
        data["exclusions"] = action["exclusions"]
    data["run_summary"] = jsonable(sc.session.run_summary(run))
    data["history"] = {"parent_uuid": sc.session.uuid, "ancestors": 1, "ancestors_since_input": 0}
    sc.event("session_triggered", **data)


# ----------------------------------------------------------------------------------- webhooks


@handler("call_webhook")
def call_webhook(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    scope = sc.scope(run)
    url = sc.render(run, action.get("url", ""), scope).strip()
    if not url:
        sc.event("error", text="webhook URL evaluated to empty string")
        return
    if not url.startswith(("http://", "https://")):
        sc.event("error", text=f"'{url}' is not a valid URL")
        return
    headers = {k: sc.render(run, v, scope) for k, v in (action.get("headers") or {}).items()}
    body = sc.render(run, action.get("body", ""), scope)
    _do_webhook(
        sc, run, flow, node, action.get("method", "GET"), url, headers, body, action.get("result_name")
    )


@handler("call_resthook")
def call_resthook(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    slug = action.get("resthook", "")
    payload = json.dumps(sc.session.run_summary(run), default=str)
    for url in sc.engine.assets.resthooks.get(slug, []):
        _do_webhook(
            sc,
            run,
            flow,
            node,
            "POST",
            url,
            {"Content-Type": "application/json"},
            payload,
            action.get("result_name"),
        )


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
) -> None:
    client = sc.engine.http
    started = time.monotonic()
    status_code = 0
    response_text = ""
    if client is None:
        status = "connection_error"
    else:
        try:
            resp = client.request(
                method.upper(),
                url,
                headers=headers,
                content=body.encode() if body else None,
                timeout=sc.engine.webhook_timeout,
            )
            status_code = resp.status_code
            response_text = resp.text
            status = "success" if 200 <= status_code < 300 else "response_error"
        except httpx.HTTPError:
            status = "connection_error"
    elapsed_ms = int((time.monotonic() - started) * 1000)
    request_line = f"{method.upper()} {url}"
    sc.event(
        "webhook_called",
        url=url,
        status=status,
        status_code=status_code,
        elapsed_ms=elapsed_ms,
        retries=0,
        request=request_line,
        response=response_text[:MAX_WEBHOOK_RESPONSE],
    )
    parsed: Any = None
    if response_text:
        try:
            parsed = json.loads(response_text)
        except ValueError:
            parsed = None
    run.webhook = parsed if parsed is not None else (response_text or None)
    if result_name:
        category = "Success" if status == "success" else "Failure"
        sc.engine.save_result(
            sc,
            run,
            flow,
            node,
            result_name,
            str(status_code),
            category,
            None,
            request_line,
            extra=parsed if isinstance(parsed, dict | list) else None,
        )


def webhook_value(run: Run) -> Any:
    """@webhook for callers that want it outside an expression."""
    return from_json(run.webhook) if run.webhook is not None else None


def render_text(value: Any) -> str:
    t = to_text(value)
    return t.message if isinstance(t, XError) else t
