"""Contact actions: name, language, status, timezone, channel, URNs, groups and fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import contactql
from ..contact import parse_field_value
from ..definition import Action, Flow, Node
from ..environment import load_zone
from ..session import jsonable
from ..urns import normalize_tel, parse_urn
from .base import (
    MAX_FIELD_VALUE,
    _missing_dependency,
)
from .registry import handler

if TYPE_CHECKING:
    from ..runner import SprintContext
    from ..session import Run


def set_contact_name(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    name = sc.render(run, action.get("name", "")).strip()[:128]
    if name != sc.session.contact.name:
        sc.session.contact.name = name
        sc.event("contact_name_changed", name=name)
        reevaluate_query_groups(sc, after_change=True)


handler("set_contact_name")(set_contact_name)


def set_contact_language(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    lang = sc.render(run, action.get("language", "")).strip()
    if lang and len(lang) != 3:
        sc.event("error", text=f"'{lang}' is not a valid language code")
        return
    if lang != sc.session.contact.language:
        sc.session.contact.language = lang
        sc.event("contact_language_changed", language=lang)
        reevaluate_query_groups(sc, after_change=True)


handler("set_contact_language")(set_contact_language)


def set_contact_status(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    status = action.get("status", "")
    if status not in ("active", "blocked", "stopped", "archived"):
        sc.event("error", text=f"'{status}' is not a valid contact status")
        return
    if status != sc.session.contact.status:
        sc.session.contact.status = status
        sc.event("contact_status_changed", status=status)
        reevaluate_query_groups(sc, after_change=True)


handler("set_contact_status")(set_contact_status)


def set_contact_timezone(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    tz = sc.render(run, action.get("timezone", "")).strip()
    if tz and load_zone(tz) is None:
        sc.event("error", text=f"unrecognized timezone: '{tz}'")
        return
    if tz != sc.session.contact.timezone:
        sc.session.contact.timezone = tz
        sc.event("contact_timezone_changed", timezone=tz)


handler("set_contact_timezone")(set_contact_timezone)


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


handler("set_contact_channel")(set_contact_channel)


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


handler("add_contact_urn")(add_contact_urn)


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


def add_contact_groups(sc: SprintContext, run: Run, flow: Flow, node: Node, action: Action) -> None:
    contact = sc.session.contact
    added = []
    for g in _resolve_groups(sc, run, action.get("groups") or []):
        if not contact.in_group(g["uuid"]):
            contact.groups.append(g)
            added.append(g)
    if added:
        sc.event("contact_groups_changed", groups_added=added)


handler("add_contact_groups")(add_contact_groups)


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


handler("remove_contact_groups")(remove_contact_groups)


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


handler("set_contact_field")(set_contact_field)
