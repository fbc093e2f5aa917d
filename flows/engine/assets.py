"""Session assets: the flows, fields, groups, channels, labels, locations a session can reference.

Assets are read from goflow's JSON asset format (also what a RapidPro export provides), so the
Django side can hand over plain dicts loaded from its own tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .definition import Flow, read_flow
from .legacy.definition import is_legacy_definition, migrate_definition
from .locations import Hierarchy


@dataclass
class FieldAsset:
    uuid: str
    key: str
    name: str
    type: str = "text"

    def ref(self) -> dict[str, str]:
        return {"key": self.key, "name": self.name}


@dataclass
class GroupAsset:
    uuid: str
    name: str
    query: str = ""

    def ref(self) -> dict[str, str]:
        return {"name": self.name, "uuid": self.uuid}


@dataclass
class ChannelAsset:
    uuid: str
    name: str
    address: str = ""
    schemes: list[str] = field(default_factory=lambda: ["tel"])
    roles: list[str] = field(default_factory=lambda: ["send", "receive"])
    country: str = ""

    def ref(self) -> dict[str, str]:
        return {"name": self.name, "uuid": self.uuid}


@dataclass
class Assets:
    flows: dict[str, Flow] = field(default_factory=dict)
    fields: dict[str, FieldAsset] = field(default_factory=dict)
    groups: dict[str, GroupAsset] = field(default_factory=dict)
    channels: dict[str, ChannelAsset] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    globals: dict[str, str] = field(default_factory=dict)
    resthooks: dict[str, list[str]] = field(default_factory=dict)
    locations: Hierarchy | None = None
    raw_flows: dict[str, dict[str, Any]] = field(default_factory=dict)
    templates: dict[str, dict[str, Any]] = field(default_factory=dict)  # channel msg templates, as JSON
    topics: dict[str, dict[str, str]] = field(default_factory=dict)  # ticket topics: uuid -> ref
    llms: dict[str, dict[str, Any]] = field(default_factory=dict)  # uuid -> {uuid, name, type, roles}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Assets:
        a = cls()
        for f in data.get("flows") or []:
            if is_legacy_definition(f):
                # goflow's assets may hold legacy (action_sets/rule_sets) definitions: migrate on load
                f, _ = migrate_definition(f)
            a.raw_flows[f["uuid"]] = f
        for f in data.get("fields") or []:
            a.fields[f["key"]] = FieldAsset(
                f.get("uuid", ""), f["key"], f.get("name", f["key"]), f.get("type", "text")
            )
        for g in data.get("groups") or []:
            a.groups[g["uuid"]] = GroupAsset(g["uuid"], g.get("name", ""), g.get("query") or "")
        for c in data.get("channels") or []:
            a.channels[c["uuid"]] = ChannelAsset(
                c["uuid"],
                c.get("name", ""),
                c.get("address", ""),
                list(c.get("schemes") or ["tel"]),
                list(c.get("roles") or ["send", "receive"]),
                c.get("country", "") or "",
            )
        for lb in data.get("labels") or []:
            a.labels[lb["uuid"]] = {"name": lb.get("name", ""), "uuid": lb["uuid"]}
        for g in data.get("globals") or []:
            a.globals[g["key"]] = g.get("value", "")
        for r in data.get("resthooks") or []:
            a.resthooks[r["slug"]] = list(r.get("subscribers") or [])
        for t in data.get("templates") or []:
            a.templates[t["uuid"]] = t
        for t in data.get("topics") or []:
            a.topics[t["uuid"]] = {"name": t.get("name", ""), "uuid": t["uuid"]}
        for m in data.get("llms") or []:
            a.llms[m["uuid"]] = dict(m)
        if data.get("locations"):
            a.locations = Hierarchy.from_json(data["locations"])
        return a

    def get_flow(self, uuid: str) -> Flow | None:
        """Flows are parsed lazily: a session usually touches one or two flows of many."""
        flow = self.flows.get(uuid)
        if flow is None and uuid in self.raw_flows:
            flow = read_flow(self.raw_flows[uuid])
            self.flows[uuid] = flow
        return flow

    def add_flow(self, flow: Flow) -> None:
        self.flows[flow.uuid] = flow

    def group_by_name(self, name: str) -> GroupAsset | None:
        low = name.strip().lower()
        return next((g for g in self.groups.values() if g.name.lower() == low), None)

    def channel_for_scheme(self, scheme: str) -> ChannelAsset | None:
        for c in self.channels.values():
            if scheme in c.schemes and "send" in c.roles:
                return c
        return None
