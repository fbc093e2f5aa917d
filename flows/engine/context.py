"""Builds the expression context (@contact, @fields, @urns, @results, @run, @input, ...).

Properties are lazy so that a node visit that only renders `@contact.name` doesn't pay for
formatting every URN and result; the bench depends on this staying cheap.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .contact import Contact, typed_field_value
from .urns import parse_urn
from .values import Lazy, XObject, from_json

if TYPE_CHECKING:
    from .assets import Assets
    from .environment import Environment
    from .session import Run, Session

URN_SCHEMES = (
    "discord",
    "email",
    "ext",
    "facebook",
    "fcm",
    "freshchat",
    "instagram",
    "jiochat",
    "line",
    "mailto",
    "rocketchat",
    "slack",
    "telegram",
    "tel",
    "twitter",
    "twitterid",
    "viber",
    "vk",
    "webchat",
    "wechat",
    "whatsapp",
)

TOP_LEVELS = frozenset(
    {
        "child",
        "contact",
        "fields",
        "globals",
        "input",
        "legacy_extra",
        "locals",
        "node",
        "parent",
        "results",
        "resume",
        "run",
        "trigger",
        "urns",
        "webhook",
        "ticket",
    }
)


def parse_iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    t = text.strip().replace("Z", "+00:00")
    # goflow writes nanoseconds; Python handles at most microseconds
    if "." in t:
        head, _, rest = t.partition(".")
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        t = f"{head}.{(digits + '000000')[:6]}{rest[i:]}"
    try:
        return dt.datetime.fromisoformat(t)
    except ValueError:
        return None


def urn_text(urn: str) -> str:
    """URNs render without their query (channel affinity is internal)."""
    p = parse_urn(urn)
    if p is None:
        return urn
    return p.identity + (f"#{p.display}" if p.display else "")


def contact_context(contact: Contact, assets: Assets, env: Environment) -> XObject:
    def fields() -> XObject:
        return fields_context(contact, assets)

    def urns() -> list[str]:
        return [urn_text(u) for u in contact.urns]

    first_name = contact.name.split(" ")[0] if contact.name else ""
    props = {
        "uuid": contact.uuid,
        "id": str(contact.id) if contact.id is not None else "",
        "name": contact.name,
        "first_name": first_name,
        "language": contact.language,
        "status": contact.status,
        "timezone": contact.timezone,
        "created_on": Lazy(lambda: parse_iso(contact.created_on)),
        "last_seen_on": Lazy(lambda: parse_iso(contact.last_seen_on)),
        "urns": Lazy(urns),
        "urn": Lazy(lambda: urn_text(contact.urns[0]) if contact.urns else None),
        "groups": Lazy(lambda: [XObject(dict(g)) for g in contact.groups]),
        "fields": Lazy(fields),
        "channel": Lazy(lambda: _contact_channel(contact, assets)),
        "tickets": Lazy(lambda: [from_json(t) for t in contact.extra.get("tickets", [])]),
    }
    return XObject(props, default=contact.name or (urn_text(contact.urns[0]) if contact.urns else ""))


def _contact_channel(contact: Contact, assets: Assets) -> Any:
    for u in contact.urns:
        p = parse_urn(u)
        if p and "channel=" in p.query:
            uuid = p.query.split("channel=", 1)[1].split("&")[0]
            ch = assets.channels.get(uuid)
            if ch:
                return XObject({"uuid": ch.uuid, "name": ch.name, "address": ch.address}, default=ch.name)
    return None


def fields_context(contact: Contact, assets: Assets) -> XObject:
    props: dict[str, Any] = {}
    for key, f in assets.fields.items():
        props[key] = typed_field_value(contact.fields.get(key), f.type)
    return XObject(props)


def urns_context(contact: Contact) -> XObject:
    props: dict[str, Any] = {s: None for s in URN_SCHEMES}
    for u in contact.urns:
        p = parse_urn(u)
        if p and props.get(p.scheme) is None:
            props[p.scheme] = urn_text(u)
    return XObject(props)


def result_context(r: dict[str, Any]) -> XObject:
    extra = r.get("extra")
    return XObject(
        {
            "name": r.get("name", ""),
            "value": r.get("value", ""),
            "category": r.get("category", ""),
            "category_localized": r.get("category_localized") or r.get("category", ""),
            "input": r.get("input", ""),
            "extra": from_json(extra) if extra is not None else None,
            "node_uuid": r.get("node_uuid", ""),
            "created_on": Lazy(lambda: parse_iso(r.get("created_on"))),
        },
        default=r.get("value", ""),
    )


def results_context(results: dict[str, dict[str, Any]]) -> XObject:
    # used directly (legacy @flow becomes @results) it renders "Name: value" lines, as in goflow
    lines = sorted(f"{r.get('name', k)}: {r.get('value', '')}" for k, r in results.items())
    return XObject({k: Lazy(_result_thunk(r)) for k, r in results.items()}, default="\n".join(lines))


def _result_thunk(r: dict[str, Any]) -> Callable[[], XObject]:
    return lambda: result_context(r)


def run_context(run: Run, session: Session, assets: Assets, env: Environment) -> XObject:
    return XObject(
        {
            "uuid": run.uuid,
            "contact": Lazy(lambda: contact_context(session.contact, assets, env)),
            "flow": XObject(dict(run.flow), default=run.flow.get("name", "")),
            "status": run.status,
            "results": Lazy(lambda: results_context(run.results)),
            "created_on": Lazy(lambda: parse_iso(run.created_on)),
            "exited_on": Lazy(lambda: parse_iso(run.exited_on)),
            # the legacy webhook body (migrated flows) posts the run's path
            "path": Lazy(lambda: [_step_context(s) for s in run.path]),
        },
        default=run.uuid,
    )


def _step_context(step: dict[str, Any]) -> XObject:
    return XObject({"arrived_on": parse_iso(step.get("arrived_on")), "node_uuid": step.get("node_uuid", "")})


def run_summary_context(summary: dict[str, Any], assets: Assets, env: Environment) -> XObject:
    """@parent/@child and trigger run summaries: a run of some (possibly other) contact."""
    contact = Contact.from_json(summary.get("contact") or {})
    ctx_contact = contact_context(contact, assets, env)
    summary_ctx = XObject(
        {
            "uuid": summary.get("uuid", ""),
            "contact": ctx_contact,
            "flow": XObject(
                dict(summary.get("flow") or {}), default=(summary.get("flow") or {}).get("name", "")
            ),
            "status": summary.get("status", ""),
            "results": results_context(summary.get("results") or {}),
            "fields": Lazy(lambda: fields_context(contact, assets)),
            "urns": Lazy(lambda: urns_context(contact)),
        },
        default=summary.get("uuid", ""),
    )
    # old flows use @child.run.status etc. for what is now @child.status (see DEPRECATED_REFS)
    summary_ctx.aliases = {"run": lambda: summary_ctx}
    return summary_ctx


# deprecated context references still evaluated, each reported with a warning: (pattern, fix)
DEPRECATED_REFS = ((re.compile(r"\b(child|parent)\.run\.(\w+)", re.IGNORECASE), r"\1.\2"),)


def deprecated_references(expression: str) -> list[tuple[str, str]]:
    """(reference as written, its replacement) for each deprecated reference in an expression."""
    out = []
    for pattern, fix in DEPRECATED_REFS:
        for m in pattern.finditer(expression):
            out.append((m.group(0), m.expand(fix)))
    return out


def input_context(msg: dict[str, Any] | None, created_on: str | None) -> XObject | None:
    if not msg:
        return None
    return XObject(
        {
            "uuid": msg.get("uuid", ""),
            "type": "msg",
            "channel": msg.get("channel")
            and XObject(dict(msg["channel"]), default=msg["channel"].get("name")),
            "created_on": Lazy(lambda: parse_iso(created_on)),
            "text": msg.get("text", ""),
            "attachments": list(msg.get("attachments") or []),
            "urn": msg.get("urn") and urn_text(msg["urn"]),
            "external_id": msg.get("external_id", ""),
        },
        default=_input_default(msg),
    )


def _input_default(msg: dict[str, Any]) -> str:
    parts = [msg.get("text", "")] + list(msg.get("attachments") or [])
    return "\n".join(p for p in parts if p)


def build_context(session: Session, run: Run, assets: Assets, env: Environment) -> XObject:
    contact = session.contact
    trigger = session.trigger or {}
    props: dict[str, Any] = {
        "contact": Lazy(lambda: contact_context(contact, assets, env)),
        "fields": Lazy(lambda: fields_context(contact, assets)),
        "urns": Lazy(lambda: urns_context(contact)),
        "results": Lazy(lambda: results_context(run.results)),
        "run": Lazy(lambda: run_context(run, session, assets, env)),
        "input": Lazy(lambda: input_context(session.input, session.input_created_on)),
        "webhook": Lazy(lambda: webhook_context(run.webhook)),
        "locals": Lazy(lambda: XObject(dict(run.locals))),
        "globals": Lazy(lambda: XObject(dict(assets.globals))),
        "trigger": Lazy(lambda: trigger_context(trigger, assets, env)),
        "node": Lazy(lambda: XObject({"uuid": run.current_node or "", "visit_count": run.visit_count()})),
        "resume": Lazy(lambda: from_json(session.last_resume) if session.last_resume else None),
        "ticket": None,
        "legacy_extra": Lazy(lambda: from_json(trigger.get("params") or {})),
        "parent": Lazy(lambda: _parent_ctx(session, run, trigger, assets, env)),
        "child": Lazy(lambda: _child_ctx(session, run, assets, env)),
    }
    return XObject(props)


def webhook_context(call: Any) -> Any:
    """@webhook: the run's last webhook call (method, url, status, headers, json)."""
    if not isinstance(call, dict):
        return from_json(call) if call is not None else None  # sessions stored by older versions
    if "json" not in call or "status" not in call:
        return from_json(call)
    return XObject({k: from_json(call.get(k)) for k in ("method", "url", "status", "headers", "json")})


def _child_ctx(session: Session, run: Run, assets: Assets, env: Environment) -> Any:
    child = session.last_child(run)
    return _run_as_summary_ctx(session, child, assets, env) if child else None


def _parent_ctx(session: Session, run: Run, trigger: dict[str, Any], assets: Assets, env: Environment) -> Any:
    parent = session.run_by_uuid(run.parent_uuid) if run.parent_uuid else None
    if parent is not None:
        return _run_as_summary_ctx(session, parent, assets, env)
    # a session started by another session's start_session action sees that run as its parent
    if trigger.get("run_summary"):
        return run_summary_context(trigger["run_summary"], assets, env)
    return None


def _run_as_summary_ctx(session: Session, run: Run, assets: Assets, env: Environment) -> XObject:
    return run_summary_context(session.run_summary(run), assets, env)


def trigger_context(trigger: dict[str, Any], assets: Assets, env: Environment) -> XObject:
    return XObject(
        {
            "type": trigger.get("type", ""),
            "params": from_json(trigger.get("params") or {}),
            "keyword": trigger.get("keyword", ""),
            "user": from_json(trigger.get("user")) if trigger.get("user") else None,
            "origin": trigger.get("origin", ""),
            "campaign": from_json(trigger.get("campaign")) if trigger.get("campaign") else None,
            "ticket": None,
            "optin": from_json(trigger.get("optin")) if trigger.get("optin") else None,
        }
    )
