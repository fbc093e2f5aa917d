"""Turning workspace rows into what the pure engine reads: assets, contacts, an engine.

Flow definitions are fetched lazily: a session usually touches one or two flows of a workspace
that may have hundreds, so only the flows the engine asks for are loaded.
"""

from __future__ import annotations

from typing import Any

import httpx

from channels_app import urlguard
from channels_app.models import Channel, Contact, ContactField, ContactGroup, Global, Label, Workspace
from flows.engine import Assets, Engine, Environment
from flows.engine.contact import parse_field_value
from flows.models import Flow, Topic
from flows.services.service_actions import engine_services, llms_json, resthooks_json
from infra import urlguard as infra_urlguard

WEBHOOK_TIMEOUT_SECONDS = 10.0


class WorkspaceFlows(dict[str, dict[str, Any]]):
    """A dict of flow definitions by uuid that loads a flow on first lookup."""

    def __init__(self, workspace_id: int, overrides: dict[str, dict[str, Any]] | None = None) -> None:
        super().__init__(overrides or {})
        self.workspace_id = workspace_id
        self._missing: set[str] = set()

    def _load(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if dict.__contains__(self, key):
            return True
        if key in self._missing:
            return False
        try:
            row = Flow.objects.filter(workspace_id=self.workspace_id, uuid=key).values("definition").first()
        except Exception:  # a malformed uuid from a definition is simply a missing flow
            row = None
        if row is None:
            self._missing.add(key)
            return False
        self[key] = row["definition"]
        return True

    def __contains__(self, key: object) -> bool:
        return self._load(key)

    def __getitem__(self, key: str) -> dict[str, Any]:
        if not self._load(key):
            raise KeyError(key)
        return dict.__getitem__(self, key)


def channel_asset(channel: Channel) -> dict[str, Any]:
    return {
        "uuid": str(channel.uuid),
        "name": channel.name,
        "address": channel.address,
        "schemes": list(channel.type.schemes),
        "roles": ["send", "receive"],
        "country": channel.country,
    }


def build_assets(*, workspace: Workspace, overrides: dict[str, dict[str, Any]] | None = None) -> Assets:
    """Assets of a workspace; `overrides` are definitions used instead of the stored ones."""
    data: dict[str, Any] = {
        "fields": [
            {"uuid": str(f.uuid), "key": f.key, "name": f.name, "type": f.value_type}
            for f in ContactField.objects.filter(workspace=workspace)
        ],
        "groups": [
            {"uuid": str(g.uuid), "name": g.name, "query": g.query}
            for g in ContactGroup.objects.filter(workspace=workspace)
        ],
        "channels": [
            channel_asset(c)
            for c in Channel.objects.filter(workspace=workspace, is_active=True).order_by("id")
        ],
        "topics": [{"uuid": str(t.uuid), "name": t.name} for t in Topic.objects.filter(workspace=workspace)],
        "llms": llms_json(workspace=workspace),
        "resthooks": resthooks_json(workspace=workspace),
        "labels": [
            {"uuid": str(lb.uuid), "name": lb.name} for lb in Label.objects.filter(workspace=workspace)
        ],
        "globals": [
            {"key": g.key, "name": g.name, "value": g.value}
            for g in Global.objects.filter(workspace=workspace)
        ],
    }
    assets = Assets.from_json(data)
    assets.raw_flows = WorkspaceFlows(workspace.id, overrides)
    return assets


def environment_for(*, workspace: Workspace) -> dict[str, Any]:
    channel = Channel.objects.filter(workspace=workspace, is_active=True).exclude(country="").first()
    # RapidPro's environment zone is the workspace's: flows' dates and "today" are read in it
    return {"timezone": workspace.timezone or "UTC", "default_country": channel.country if channel else ""}


class _GuardedTransport(httpx.BaseTransport):
    """Webhook URLs come from flow authors: refuse private addresses like channel URLs do."""

    def __init__(self) -> None:
        # Made on the first webhook call: building a transport loads the CA bundle (tens of
        # ms), and most engines (one per inbound batch) never call a webhook.
        self._inner: httpx.BaseTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            urlguard.check_url_sync(str(request.url))
        except urlguard.URLNotAllowed as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        if self._inner is None:
            self._inner = urlguard.outbound_transport()
        return self._inner.handle_request(request)

    def close(self) -> None:
        if self._inner is not None:
            self._inner.close()


def make_engine(
    assets: Assets, *, http: httpx.Client | None = None, workspace: Workspace | None = None
) -> Engine:
    """An engine over `assets`; with `workspace`, its airtime and LLM services are wired in
    (the simulator leaves them out: a test run must not send airtime)."""
    if http is None:
        http = infra_urlguard.client(_GuardedTransport(), timeout=WEBHOOK_TIMEOUT_SECONDS)
    services = engine_services(workspace=workspace, http=http) if workspace is not None else {}
    return Engine(assets, http=http, webhook_timeout=WEBHOOK_TIMEOUT_SECONDS, **services)


def field_text(value: Any) -> str:
    """Contact.fields holds one text per key; accept the engine's value dicts too."""
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return "" if value is None else str(value)


def contact_json(contact: Contact, field_types: dict[str, str] | None = None) -> dict[str, Any]:
    """The engine's view of a contact (URNs by priority, groups, typed field values)."""
    env = Environment()
    types = field_types if field_types is not None else {}
    fields: dict[str, Any] = {}
    for key, raw in (contact.fields or {}).items():
        parsed = parse_field_value(field_text(raw), types.get(key, "text"), env)
        if parsed:
            fields[key] = parsed
    return {
        "uuid": str(contact.uuid),
        "id": contact.id,
        "name": contact.name,
        "language": contact.language,
        "status": contact.status,
        "created_on": contact.created_on.isoformat().replace("+00:00", "Z") if contact.created_on else "",
        "urns": [u.identity for u in contact.urns.all()],
        "groups": [{"uuid": str(g.uuid), "name": g.name} for g in contact.groups.all()],
        "fields": fields,
    }


def field_types(*, workspace_id: int) -> dict[str, str]:
    return dict(ContactField.objects.filter(workspace_id=workspace_id).values_list("key", "value_type"))
