"""Broadcasts composed in the UI or through `POST /api/v1/broadcasts`: validate, resolve the
recipients once, and store them as a paced schedule (flows/services/pacing.py).

A broadcast without `spread_over_minutes` is a window of zero: every row is due at `send_at`
(now by default) and the channel's own rate spaces the requests. Quiet hours hold it too: a
broadcast is never a reply, so it waits for the morning like any paced send.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from channels_app import queue
from channels_app import urns as urn_util
from channels_app.models import Contact, ContactGroup, ContactURN, MessageTemplate, Workspace
from channels_app.services.routing import ChannelPool
from flows.pacing_models import Broadcast
from flows.services import pacing
from flows.services import templates as template_service

MAX_SPREAD_MINUTES = 7 * 24 * 60


class ComposeError(ValueError):
    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


@dataclass
class Content:
    translations: dict[str, str]
    base_language: str
    template: MessageTemplate | None


def content(
    *,
    workspace: Workspace,
    text: str | dict[str, str] | None,
    base_language: str = "",
    template: str | None = None,
    params: dict[str, Any] | None = None,
) -> Content:
    """The broadcast's text per language, from plain text, translations or a template."""
    if template:
        found = (
            MessageTemplate.objects.filter(workspace=workspace)
            .filter(Q(code=template) | Q(uuid=_uuid_or_none(template)))
            .first()
        )
        if found is None:
            raise ComposeError(f"no template {template!r}", {"template": "not found"})
        try:
            rendered = {
                lang: template_service.render(template=found, params=params, language=lang)
                for lang in found.translations
            }
        except template_service.TemplateError as exc:
            raise ComposeError(str(exc), exc.errors) from None
        return Content(rendered, found.base_language, found)
    if isinstance(text, str):
        text = text.strip()
        if not text:
            raise ComposeError("the text is empty", {"text": "required"})
        lang = base_language or "eng"
        return Content({lang: text}, lang, None)
    if isinstance(text, dict):
        cleaned = {str(k).strip(): str(v).strip() for k, v in text.items() if str(v).strip()}
        if not cleaned:
            raise ComposeError("give the text in at least one language", {"text": "required"})
        base = base_language or next(iter(cleaned))
        if base not in cleaned:
            raise ComposeError(f"no text in the base language {base!r}", {"base_language": "has no text"})
        return Content(cleaned, base, None)
    raise ComposeError("give a text or a template", {"text": "required"})


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def resolve(
    *,
    workspace: Workspace,
    pool: ChannelPool,
    group_uuids: list[str],
    contact_uuids: list[str],
    urns: list[str],
) -> tuple[list[pacing.Recipient], int]:
    """Recipients (one per URN identity, in contact order) and how many were skipped as stopped or
    blocked. Unknown group or contact uuids are an error, not a silent smaller audience."""
    parsed_groups = [_uuid_or_none(g) for g in group_uuids]
    parsed_contacts = [_uuid_or_none(c) for c in contact_uuids]
    groups = [g for g in parsed_groups if g is not None]
    contacts = [c for c in parsed_contacts if c is not None]
    if len(groups) != len(parsed_groups) or len(contacts) != len(parsed_contacts):
        raise ComposeError("groups and contacts are given by uuid")
    known_groups = set(
        ContactGroup.objects.filter(workspace=workspace, uuid__in=groups).values_list("uuid", flat=True)
    )
    if missing := [str(g) for g in groups if g not in known_groups]:
        raise ComposeError(f"unknown group {missing[0]}", {"groups": "not found"})
    sendable = {scheme for c in pool.channels for scheme in c.type.schemes}
    recipients: dict[str, pacing.Recipient] = {}
    skipped = 0
    if groups or contacts:
        qs = (
            Contact.objects.filter(workspace=workspace)
            .filter(Q(uuid__in=contacts) | Q(groups__uuid__in=groups))
            .distinct()
            .order_by("id")
            .prefetch_related("urns")
        )
        found = 0
        for contact in qs.iterator(chunk_size=2000):
            found += 1
            if contact.status != Contact.Status.ACTIVE:
                skipped += 1
                continue
            urn = next((u for u in contact.urns.all() if u.scheme in sendable), None)
            if urn is None or urn.identity in recipients:
                continue
            recipients[urn.identity] = pacing.Recipient(
                contact.id, urn.identity, contact.language or "", pacing.channel_for(pool, urn.identity, urn)
            )
        if contacts and not groups and found < len(set(contacts)):
            raise ComposeError("some contacts were not found", {"contacts": "not found"})
    country = pool.default_country()
    for raw in urns:
        try:
            identity = urn_util.normalize(str(raw).strip(), country, default_scheme="tel")
        except urn_util.InvalidURN as exc:
            raise ComposeError(f"invalid URN {raw!r}: {exc}", {"urns": str(exc)}) from None
        if identity in recipients:
            continue
        known = (
            ContactURN.objects.filter(workspace=workspace, identity=identity)
            .select_related("contact")
            .first()
        )
        owner: Contact | None = known.contact if known is not None else None
        if owner is not None and owner.status != Contact.Status.ACTIVE:
            skipped += 1
            continue
        recipients[identity] = pacing.Recipient(
            owner.id if owner else None,
            identity,
            (owner.language if owner else "") or "",
            pacing.channel_for(pool, identity, known),
        )
    return list(recipients.values()), skipped


def create_broadcast(
    *,
    workspace: Workspace,
    text: str | dict[str, str] | None = None,
    base_language: str = "",
    template: str | None = None,
    params: dict[str, Any] | None = None,
    group_uuids: list[str] | None = None,
    contact_uuids: list[str] | None = None,
    urns: list[str] | None = None,
    send_at: dt.datetime | None = None,
    spread_over_minutes: int = 0,
    now: dt.datetime | None = None,
) -> Broadcast:
    now = now or timezone.now()
    if not (group_uuids or contact_uuids or urns):
        raise ComposeError("give groups, contacts or urns to send to", {"groups": "no recipients"})
    if not 0 <= spread_over_minutes <= MAX_SPREAD_MINUTES:
        raise ComposeError(
            f"spread_over_minutes is 0 to {MAX_SPREAD_MINUTES}", {"spread_over_minutes": "out of range"}
        )
    if send_at is not None and timezone.is_naive(send_at):
        raise ComposeError(
            "send_at needs a time zone (e.g. 2026-12-06T09:00:00Z)", {"send_at": "no time zone"}
        )
    body = content(
        workspace=workspace, text=text, base_language=base_language, template=template, params=params
    )
    pool = ChannelPool(workspace.id)
    recipients, skipped = resolve(
        workspace=workspace,
        pool=pool,
        group_uuids=list(group_uuids or []),
        contact_uuids=list(contact_uuids or []),
        urns=list(urns or []),
    )
    start = max(send_at or now, now)
    due = pacing.plan(
        recipients=recipients,
        send_at=start,
        spread_over_minutes=spread_over_minutes,
        pool=pool,
        quiet=pacing.quiet_hours(workspace.id),
    )
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            workspace=workspace,
            translations=body.translations,
            base_language=body.base_language,
            template=body.template,
            group_uuids=list(group_uuids or []),
            contact_uuids=list(contact_uuids or []),
            urns=list(urns or []),
            send_at=start,
            spread_over_minutes=spread_over_minutes,
            total=len(recipients),
            skipped=skipped,
            status="completed" if not recipients else "scheduled",
        )
        pacing.store_plan(workspace_id=workspace.id, recipients=recipients, due=due, broadcast=broadcast)
        wake_pacer()
    return broadcast


def preview(
    *,
    workspace: Workspace,
    text: str | dict[str, str] | None = None,
    base_language: str = "",
    template: str | None = None,
    params: dict[str, Any] | None = None,
    group_uuids: list[str] | None = None,
    contact_uuids: list[str] | None = None,
    urns: list[str] | None = None,
) -> dict[str, Any]:
    """What each language's recipients will read, and how many there are of them."""
    body = content(
        workspace=workspace, text=text, base_language=base_language, template=template, params=params
    )
    counts: dict[str, int] = {}
    skipped = 0
    if group_uuids or contact_uuids or urns:
        recipients, skipped = resolve(
            workspace=workspace,
            pool=ChannelPool(workspace.id),
            group_uuids=list(group_uuids or []),
            contact_uuids=list(contact_uuids or []),
            urns=list(urns or []),
        )
        for r in recipients:
            lang = r.language if r.language in body.translations else body.base_language
            counts[lang] = counts.get(lang, 0) + 1
    languages = [
        {
            "language": lang,
            "text": text_,
            "base": lang == body.base_language,
            "recipients": counts.get(lang, 0),
        }
        for lang, text_ in body.translations.items()
    ]
    return {"languages": languages, "recipients": sum(counts.values()), "skipped": skipped}


def wake_pacer() -> None:
    queue.wake("default", "flows.jobs.pace", key="pace")


def broadcast_payload(broadcast: Broadcast, *, now: dt.datetime | None = None) -> dict[str, Any]:
    return {
        "uuid": str(broadcast.uuid),
        "status": broadcast.status,
        "text": broadcast.translations,
        "base_language": broadcast.base_language,
        "template": broadcast.template.code if broadcast.template_id and broadcast.template else None,
        "groups": broadcast.group_uuids,
        "contacts": broadcast.contact_uuids,
        "urns": broadcast.urns,
        "send_at": broadcast.send_at,
        "spread_over_minutes": broadcast.spread_over_minutes,
        "skipped": broadcast.skipped,
        "progress": pacing.progress(owner=broadcast, now=now),
        "created_on": broadcast.created_on,
        "modified_on": broadcast.modified_on,
    }
