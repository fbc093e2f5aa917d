"""Which trigger, if any, starts a flow for a contact: keyword, catch-all, new conversation...

Specific beats generic: a trigger for the message's channel wins over one for any channel, and a
trigger limited to the contact's groups wins over one for everybody.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from channels_app.models import Channel, Contact, ContactGroup, Workspace
from flows.models import Flow, Trigger

_WORD = re.compile(r"\w+", re.UNICODE)


class TriggerError(ValueError):
    pass


def first_word(text: str) -> str:
    match = _WORD.search(text or "")
    return match.group(0).lower() if match else ""


def _candidates(*, contact: Contact, channel: Channel | None, trigger_type: str) -> list[Trigger]:
    qs = (
        Trigger.objects.filter(
            workspace_id=contact.workspace_id, trigger_type=trigger_type, archived=False, flow__archived=False
        )
        .select_related("flow")
        .prefetch_related("groups", "exclude_groups")
    )
    group_ids = set(contact.groups.values_list("id", flat=True))
    return _applicable(list(qs), channel=channel, group_ids=group_ids)


def _group_ids(trig: Trigger) -> tuple[frozenset[int], frozenset[int]]:
    """The ids of the groups a trigger is limited to and of those it excludes, read once per
    loaded trigger: a worker's trigger index keeps its triggers from batch to batch, and each
    `trig.groups` builds a related manager, which cost more than the rest of the match."""
    known = trig.__dict__.get("_group_ids")
    if known is None:
        known = trig.__dict__["_group_ids"] = (
            frozenset(g.id for g in trig.groups.all()),
            frozenset(g.id for g in trig.exclude_groups.all()),
        )
    return known


def _applicable(triggers: list[Trigger], *, channel: Channel | None, group_ids: set[int]) -> list[Trigger]:
    """The triggers that apply to a contact in `group_ids` on `channel`, most specific first."""
    out = []
    for trig in triggers:
        if trig.channel_id and (channel is None or trig.channel_id != channel.id):
            continue
        include, exclude = _group_ids(trig)
        if include and not include & group_ids:
            continue
        if exclude & group_ids:
            continue
        out.append(trig)
    out.sort(key=lambda t: (t.channel_id is None, not _group_ids(t)[0], t.id))
    return out


def _keyword_match(triggers: list[Trigger], text: str) -> tuple[Trigger, str] | None:
    word = first_word(text)
    if not word:
        return None
    only = " ".join(_WORD.findall(text.lower())) == word
    for trig in triggers:
        keywords = [k.lower() for k in trig.keywords]
        if word in keywords and (trig.match_type == Trigger.Match.STARTS or only):
            return trig, word
    return None


def match_keyword(*, contact: Contact, channel: Channel | None, text: str) -> tuple[Trigger, str] | None:
    if not first_word(text):
        return None
    return _keyword_match(
        _candidates(contact=contact, channel=channel, trigger_type=Trigger.Type.KEYWORD), text
    )


def match_type(*, contact: Contact, channel: Channel | None, trigger_type: str) -> Trigger | None:
    found = _candidates(contact=contact, channel=channel, trigger_type=trigger_type)
    return found[0] if found else None


class TriggerIndex:
    """A workspace's active triggers loaded once, for a batch of inbound messages.

    Matching is the same as match_keyword/match_type; the caller supplies each contact's group
    ids (prefetched for the whole batch) so a message costs no trigger queries.
    """

    def __init__(self, *, workspace_id: int) -> None:
        self.by_type: dict[str, list[Trigger]] = {}
        rows = (
            Trigger.objects.filter(workspace_id=workspace_id, archived=False, flow__archived=False)
            .exclude(trigger_type=Trigger.Type.SCHEDULE)
            .select_related("flow")
            .prefetch_related("groups", "exclude_groups")
            .order_by("id")
        )
        for trig in rows:
            self.by_type.setdefault(trig.trigger_type, []).append(trig)

    def has(self, trigger_type: str) -> bool:
        return bool(self.by_type.get(trigger_type))

    def keyword(
        self, *, channel: Channel | None, group_ids: set[int], text: str
    ) -> tuple[Trigger, str] | None:
        if not self.has(Trigger.Type.KEYWORD) or not first_word(text):
            return None
        found = _applicable(self.by_type[Trigger.Type.KEYWORD], channel=channel, group_ids=group_ids)
        return _keyword_match(found, text)

    def first(self, *, channel: Channel | None, group_ids: set[int], trigger_type: str) -> Trigger | None:
        if not self.has(trigger_type):
            return None
        found = _applicable(self.by_type[trigger_type], channel=channel, group_ids=group_ids)
        return found[0] if found else None


def next_fire(*, trigger: Trigger, after: dt.datetime) -> dt.datetime | None:
    """The next time a scheduled trigger fires after `after` (None: it was a one-off)."""
    if trigger.next_fire is None:
        return None
    current = trigger.next_fire
    if trigger.repeat == Trigger.Repeat.DAILY:
        while current <= after:
            current += dt.timedelta(days=1)
        return current
    if trigger.repeat == Trigger.Repeat.WEEKLY:
        days = {int(d) for d in trigger.weekdays if d.isdigit()} or {current.weekday()}
        current += dt.timedelta(days=1)
        while current <= after or current.weekday() not in days:
            current += dt.timedelta(days=1)
        return current
    return None


@transaction.atomic
def create_trigger(
    *,
    workspace: Workspace,
    trigger_type: str,
    flow: Flow,
    keywords: list[str] | None = None,
    match_type: str = Trigger.Match.STARTS,
    channel: Channel | None = None,
    group_uuids: list[str] | None = None,
    exclude_group_uuids: list[str] | None = None,
    repeat: str = Trigger.Repeat.NEVER,
    weekdays: str = "",
    start_on: dt.datetime | None = None,
) -> Trigger:
    if trigger_type not in Trigger.Type.values:
        raise TriggerError(f"unknown trigger type {trigger_type!r}; one of {', '.join(Trigger.Type.values)}")
    if match_type not in Trigger.Match.values:
        raise TriggerError("match_type must be 'starts' or 'only'")
    if repeat not in Trigger.Repeat.values:
        raise TriggerError("repeat must be one of never, daily, weekly")
    words = [first_word(k) for k in keywords or []]
    if trigger_type == Trigger.Type.KEYWORD and (
        not words
        or not all(words)
        or any(w != k.strip().lower() for w, k in zip(words, keywords or [], strict=True))
    ):
        raise TriggerError("keyword triggers need one or more single-word keywords")
    if trigger_type == Trigger.Type.SCHEDULE and start_on is None:
        raise TriggerError("scheduled triggers need start_on")
    groups = _groups(workspace, group_uuids)
    excluded = _groups(workspace, exclude_group_uuids)
    trigger = Trigger.objects.create(
        workspace=workspace,
        trigger_type=trigger_type,
        flow=flow,
        keywords=words,
        match_type=match_type,
        channel=channel,
        repeat=repeat,
        weekdays="".join(sorted({d for d in weekdays if d in "0123456"})),
        next_fire=start_on,
    )
    trigger.groups.set(groups)
    trigger.exclude_groups.set(excluded)
    return trigger


def _groups(workspace: Workspace, uuids: list[str] | None) -> list[ContactGroup]:
    if not uuids:
        return []
    found = list(ContactGroup.objects.filter(workspace=workspace, uuid__in=uuids))
    if len(found) != len(set(uuids)):
        raise TriggerError("unknown group in groups/exclude_groups")
    return found


def trigger_payload(trigger: Trigger) -> dict[str, Any]:
    return {
        "uuid": str(trigger.uuid),
        "type": trigger.trigger_type,
        "flow": {"uuid": str(trigger.flow.uuid), "name": trigger.flow.name},
        "keywords": trigger.keywords,
        "match_type": trigger.match_type,
        "channel": str(trigger.channel.uuid) if trigger.channel else None,
        "groups": [str(g.uuid) for g in trigger.groups.all()],
        "exclude_groups": [str(g.uuid) for g in trigger.exclude_groups.all()],
        "repeat": trigger.repeat,
        "weekdays": trigger.weekdays,
        "next_fire": trigger.next_fire,
        "created_on": trigger.created_on,
    }


def fire_schedules(*, now: dt.datetime | None = None) -> int:
    """Start the flows of scheduled triggers that are due; returns how many fired."""
    from flows.services.starts import create_flow_start

    now = now or timezone.now()
    fired = 0
    due = list(
        Trigger.objects.filter(trigger_type=Trigger.Type.SCHEDULE, archived=False, next_fire__lte=now)
        .select_related("flow", "workspace")
        .prefetch_related("groups")[:100]
    )
    for trig in due:
        with transaction.atomic():
            locked = Trigger.objects.select_for_update(skip_locked=True).filter(
                id=trig.id, next_fire__lte=now
            )
            if not locked.exists():
                continue
            create_flow_start(
                workspace=trig.workspace,
                flow=trig.flow,
                group_uuids=[str(g.uuid) for g in trig.groups.all()],
                exclude_in_flow=True,
            )
            upcoming = next_fire(trigger=trig, after=now)
            Trigger.objects.filter(id=trig.id).update(next_fire=upcoming, archived=upcoming is None)
            fired += 1
    return fired
