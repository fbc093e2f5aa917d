"""Message actions: send_msg, say_msg, play_audio, send_broadcast, send_email."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..definition import Action, Flow, Node
from ..urns import parse_urn, tel_country
from .base import (
    _lang,
    _localized,
    truncate,
)
from .registry import handler

if TYPE_CHECKING:
    from ..runner import SprintContext
    from ..session import Run


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


handler("send_msg")(send_msg)


def say_msg(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    text = sc.render(run, _localized(sc, flow, action, "text", action.get("text", "")))
    msg: dict[str, Any] = {"text": text, "locale": _lang(sc, flow)}
    audio = _localized(sc, flow, action, "audio_url", action.get("audio_url"))
    if audio:
        msg["attachments"] = [f"audio:{audio[0] if isinstance(audio, list) else audio}"]
    sc.event("ivr_created", msg=msg)


handler("say_msg")(say_msg)


def play_audio(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    translated = _localized(sc, flow, action, "audio_url", None)  # goflow translates the URL
    url = sc.render(run, translated[0] if translated else action.get("audio_url", ""))
    sc.event("ivr_created", msg={"text": "", "attachments": [f"audio:{url}"], "locale": _lang(sc, flow)})


handler("play_audio")(play_audio)


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


handler("send_broadcast")(send_broadcast)


def send_email(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    to = [sc.render(run, a) for a in action.get("addresses") or []]
    sc.event(
        "email_sent",
        to=[t.removeprefix("mailto:") for t in to if t],
        subject=sc.render(run, action.get("subject", "")),
        body=sc.render(run, action.get("body", "")),
    )


handler("send_email")(send_email)
