"""The contact as the engine sees it, in goflow's contact JSON shape.

Field values are stored like goflow does: always the raw text plus whichever typed readings parse
(number, datetime, state/district/ward), so changing a field's type doesn't lose data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from . import dates
from .environment import Environment
from .locations import DISTRICT, STATE, WARD
from .urns import parse_urn
from .values import format_datetime_iso


@dataclass
class Contact:
    uuid: str
    name: str = ""
    id: int | None = None
    status: str = "active"
    language: str = ""
    timezone: str = ""
    created_on: str = ""
    last_seen_on: str | None = None
    urns: list[str] = field(default_factory=list)
    groups: list[dict[str, str]] = field(default_factory=list)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # unknown keys kept for round trips

    _KNOWN = (
        "uuid",
        "name",
        "id",
        "status",
        "language",
        "timezone",
        "created_on",
        "last_seen_on",
        "urns",
        "groups",
        "fields",
    )

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Contact:
        return cls(
            uuid=d.get("uuid", ""),
            name=d.get("name") or "",
            id=d.get("id"),
            status=d.get("status") or "active",
            language=d.get("language") or "",
            timezone=d.get("timezone") or "",
            created_on=d.get("created_on") or "",
            last_seen_on=d.get("last_seen_on"),
            urns=list(d.get("urns") or []),
            groups=[{"name": g.get("name", ""), "uuid": g["uuid"]} for g in d.get("groups") or []],
            fields={k: dict(v) for k, v in (d.get("fields") or {}).items() if v},
            extra={k: v for k, v in d.items() if k not in cls._KNOWN},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uuid": self.uuid, "name": self.name, "status": self.status}
        if self.id is not None:
            out["id"] = self.id
        if self.language:
            out["language"] = self.language
        if self.timezone:
            out["timezone"] = self.timezone
        out["created_on"] = self.created_on
        if self.last_seen_on:
            out["last_seen_on"] = self.last_seen_on
        if self.urns:
            out["urns"] = list(self.urns)
        if self.groups:
            out["groups"] = [dict(g) for g in self.groups]
        if self.fields:
            out["fields"] = {k: dict(v) for k, v in self.fields.items()}
        out.update(self.extra)
        return out

    def ref(self) -> dict[str, str]:
        return {"name": self.name, "uuid": self.uuid}

    def urn_identities(self) -> list[str]:
        out = []
        for u in self.urns:
            p = parse_urn(u)
            out.append(p.identity if p else u)
        return out

    def first_urn(self, scheme: str | None = None) -> str | None:
        for u in self.urns:
            p = parse_urn(u)
            if p and (scheme is None or p.scheme == scheme):
                return u
        return None

    def in_group(self, uuid: str) -> bool:
        return any(g["uuid"] == uuid for g in self.groups)


def parse_field_value(text: str, field_type: str, env: Environment) -> dict[str, Any] | None:
    """The stored form of a field value: text plus every typed reading that parses."""
    if text == "":
        return None
    value: dict[str, Any] = {"text": text}
    try:
        num = Decimal(text.strip())
        if num.is_finite():
            value["number"] = num
    except InvalidOperation:
        pass
    parsed = dates.parse_date_text(text, env)
    if parsed:
        value["datetime"] = format_datetime_iso(parsed[0])
    hier = env.locations
    if hier is not None and field_type in ("state", "district", "ward"):
        state = hier.find(text, STATE)
        if state:
            value["state"] = state.path
        district = hier.find(text, DISTRICT, state) if field_type in ("district", "ward") else None
        if district:
            value["district"] = district.path
            value["state"] = district.parent.path if district.parent else value.get("state")
        if field_type == "ward":
            ward = hier.find(text, WARD, district)
            if ward:
                value["ward"] = ward.path
    return value


def typed_field_value(value: dict[str, Any] | None, field_type: str) -> Any:
    """The value an expression sees for a field (a number for number fields, etc.)."""
    if not value:
        return None
    if field_type == "number" and value.get("number") is not None:
        return Decimal(str(value["number"]))
    if field_type == "datetime" and value.get("datetime"):
        parsed = dt.datetime.fromisoformat(str(value["datetime"]).replace("Z", "+00:00"))
        return parsed
    if field_type in ("state", "district", "ward") and value.get(field_type):
        return value[field_type]
    return value.get("text", "")
