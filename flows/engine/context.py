"""Builds the expression context (@contact, @fields, @urns, @results, @run, @input, ...).

Properties are lazy so that a node visit that only renders `@contact.name` doesn't pay for
formatting every URN and result; the bench depends on this staying cheap.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .contact import Contact, typed_field_value
from .definition import snakify
from .functions import tokenize_words
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

    # The first word as the word functions see words ("Dr. Amina" gives "Dr", " Amina" gives
    # "Amina"), and nothing at all when the name has no word, as goflow resolves it.
    words = tokenize_words(contact.name) if contact.name else []
    first_name = words[0] if words else None
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
        "urn": Lazy(lambda: _preferred_urn(contact, assets)),
        "groups": Lazy(lambda: [XObject(dict(g)) for g in contact.groups]),
        "fields": Lazy(fields),
        "channel": Lazy(lambda: _contact_channel(contact, assets)),
        "tickets": Lazy(lambda: [from_json(t) for t in contact.extra.get("tickets", [])]),
    }
    return XObject(props, default=contact.name or (urn_text(contact.urns[0]) if contact.urns else ""))


def _preferred_urn(contact: Contact, assets: Assets) -> str | None:
    """The URN a message to the contact would go to: the first one some channel can send on
    (goflow's rule, so with no sending channel at all there is none, and `@contact.urn` is null)."""
    for u in contact.urns:
        p = parse_urn(u)
        if p and assets.channel_for_scheme(p.scheme):
            return urn_text(u)
    return None


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


# deprecated context references still evaluated, each reported with a warning:
# (pattern, replacement or None when there is none)
DEPRECATED_REFS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"\b(child|parent)\.run\.(\w+)", re.IGNORECASE), r"\1.\2"),
    (re.compile(r"(?<![\w.])contact\.id\b", re.IGNORECASE), "contact.ref"),
    (re.compile(r"(?<![\w.])contact\.tickets\b", re.IGNORECASE), "ticket"),
    (re.compile(r"(?<![\w.])legacy_extra\b", re.IGNORECASE), None),
)


def deprecated_references(expression: str) -> list[str]:
    """The warning text for each deprecated reference in an expression (goflow's wording)."""
    out = []
    for pattern, fix in DEPRECATED_REFS:
        for m in pattern.finditer(expression):
            old = m.group(0)
            if fix is None:
                out.append(f"@{old} is deprecated")
            else:
                out.append(f"@{old} is deprecated, use @{m.expand(fix)} instead")
    return out


def compact_json(value: Any) -> str:
    """JSON text the way Go marshals it: no spaces, keys sorted."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


_LEGACY_EXTRA_KEY_RE = re.compile(r"[^a-zA-Z0-9_]")


def legacy_extra_context(trigger: dict[str, Any], run: Run) -> XObject:
    """@legacy_extra (old flows' @extra): the trigger params, then each result's extra in the
    order the results were saved, both the whole extra as text (under the result key) and its
    properties; later values win."""
    values: dict[str, Any] = {}

    def add_values(v: Any) -> None:
        if isinstance(v, list):
            v = {str(i): x for i, x in enumerate(v)}
        if isinstance(v, dict):
            for k, x in v.items():
                values[_LEGACY_EXTRA_KEY_RE.sub("_", str(k).lower())[:255]] = from_json(x)

    add_values(trigger.get("params") or {})
    parent_results = ((trigger.get("run_summary") or {}).get("results") or {}) if trigger else {}
    by_time = sorted(parent_results.items(), key=lambda kv: str(kv[1].get("created_on", "")))
    ordered = [(k, r, "") for k, r in by_time]
    ordered += [
        (k, r, run.extra_texts.get(k, ""))
        for k, r in sorted(run.results.items(), key=lambda kv: str(kv[1].get("created_on", "")))
    ]
    for key, result, text in ordered:
        extra = result.get("extra")
        if extra is None:
            continue
        values[snakify(str(result.get("name") or key))] = text or compact_json(extra)
        add_values(extra)
    return XObject(values)


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
        "node": Lazy(lambda: _node_ctx(run, assets)),
        "resume": Lazy(lambda: resume_context(session.last_resume)),
        "ticket": None,
        "legacy_extra": Lazy(lambda: legacy_extra_context(trigger, run)),
        "parent": Lazy(lambda: _parent_ctx(session, run, trigger, assets, env)),
        "child": Lazy(lambda: _child_ctx(session, run, assets, env)),
    }
    return XObject(props)


def _node_ctx(run: Run, assets: Assets) -> XObject:
    """@node: the current node's uuid, how often the run visited it and its router's category
    names (e.g. to list the categories in an LLM prompt)."""
    flow = assets.get_flow(run.flow.get("uuid", ""))
    node = flow.node(run.current_node) if flow is not None and run.current_node else None
    categories = [c.name for c in node.router.categories] if node is not None and node.router else []
    return XObject(
        {"uuid": run.current_node or "", "visit_count": run.visit_count(), "categories": categories}
    )


def resume_context(resume: dict[str, Any] | None) -> Any:
    """@resume: the resume as stored; a dial resume also exposes its dial (status, duration)."""
    if not resume:
        return None
    data = dict(resume)
    if resume.get("type") == "dial":
        data["dial"] = (resume.get("event") or {}).get("dial") or resume.get("dial")
    return from_json(data)


def webhook_context(call: Any) -> Any:
    """@webhook: the run's last webhook call (method, url, status, headers, json)."""
    if not isinstance(call, dict):
        return from_json(call) if call is not None else None  # sessions stored by older versions
    if "json" not in call or "status" not in call:
        return from_json(call)
    # like goflow: renders as "METHOD URL"; exposes the response status, headers and JSON body
    return XObject(
        {k: from_json(call.get(k)) for k in ("status", "headers", "json")},
        default=f"{call.get('method') or ''} {call.get('url') or ''}",
    )


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
