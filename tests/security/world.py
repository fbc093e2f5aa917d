"""Two workspaces, each holding one of every kind of object, built through the public API.

Workspace B's names all carry a marker (`MARKER_B`) so a page or list answer that shows any of
B's data is caught by a plain substring check, whatever the shape of the answer.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.test import Client

from tests.aggregators.xc.conftest import local_connector_xml, local_fields

MARKER_B = "bravozulu"
FLOW_EXPORT = Path(__file__).resolve().parents[1] / "flows" / "fixtures" / "two_questions.json"
HANDLER_URL = "http://127.0.0.1:9/handler"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class World:
    """One workspace's clients and the ids of its objects, keyed like URL parameters."""

    name: str
    workspace: Any
    token: str
    email: str
    password: str
    api: Client
    ids: dict[str, str] = field(default_factory=dict)
    app_token: str = ""

    def session(self, **kwargs: Any) -> Client:
        client = Client(**kwargs)
        assert client.login(username=self.email, password=self.password)
        return client


def _ok(response: Any, *statuses: int) -> Any:
    assert response.status_code in (statuses or (200, 201, 202)), (
        response.status_code,
        response.content[:2000],
    )
    return response.json()


def _post(client: Client, path: str, body: Any) -> Any:
    return _ok(client.post(path, data=json.dumps(body), content_type="application/json"))


def _fresh_uuids(text: str) -> str:
    """The export with every uuid replaced consistently, so the copy is a distinct flow."""
    mapping: dict[str, str] = {}
    return _UUID.sub(lambda m: mapping.setdefault(m.group(0), str(uuid.uuid4())), text)


def build_world(*, name: str, marker: str, aggregator_url: str, fresh_flow_uuids: bool) -> World:
    from channels_app.models import Call, Channel, Contact, Msg, WebhookDelivery, WebhookSubscription
    from channels_app.workspaces import create_workspace
    from tests.conftest import run_jobs

    email = f"admin@{marker}.org"
    password = "secret-pass-123"
    workspace, token = create_workspace(name=f"{name} {marker}", email=email, password=password)
    world = World(
        name=name,
        workspace=workspace,
        token=token,
        email=email,
        password=password,
        api=Client(HTTP_AUTHORIZATION=f"Token {token}"),
    )
    api, ids = world.api, world.ids

    # Connectors (an SMS one and a phone one) and a channel of every type.
    sms_connector = _post(
        api,
        "/api/v1/connectors",
        {"name": f"{marker} sms", "xml": local_connector_xml("twilio", aggregator_url)},
    )
    phone_xml = (Path(__file__).resolve().parents[2] / "aggregators/connectors/twilio_voice.xml").read_text()
    phone_connector = _post(api, "/api/v1/connectors", {"name": f"{marker} voice", "xml": phone_xml})
    ids["ref"] = sms_connector["slug"]
    ids["connector_uuid"] = sms_connector["uuid"]
    channels = {
        "EX": {"send_url": f"{aggregator_url}/send", "content_type": "urlencoded"},
        "DV": {},
        "XC": {"connector": sms_connector["uuid"], "fields": local_fields("twilio", aggregator_url)},
        "SM": {"host": "127.0.0.1", "port": 9, "system_id": marker[:8], "password": "smpp-secret"},
    }
    for code, config in channels.items():
        body = {"type": code, "name": f"{marker} {code}", "address": "+250788000001", "config": config}
        ids[f"channel_{code}"] = _post(api, "/api/v1/channels", body)["uuid"]
    voice_fields = {f["name"]: "x" for f in phone_connector["fields"] if f.get("required")}
    ids["channel_XCV"] = _post(
        api,
        "/api/v1/channels",
        {
            "type": "XC",
            "name": f"{marker} voice",
            "address": "+250788000002",
            "config": {"connector": phone_connector["uuid"], "fields": voice_fields},
        },
    )["uuid"]
    ids["channel_uuid"] = ids["channel_EX"]

    # Tokens: an extra API key and a handler-app token, whose sender becomes the HX channel.
    ids["token_ref"] = str(_post(api, "/api/v1/tokens", {"name": f"{marker} key"})["id"])
    ids["token_id"] = ids["token_ref"]
    app = _post(api, "/api/v1/tokens/apps", {"name": f"{marker} app"})
    ids["app_uuid"], world.app_token = app["uuid"], app["access_token"]
    response = Client().post(
        "/rest/messageservice.sender.add",
        {
            "auth": world.app_token,
            "CODE": f"{marker}sender",
            "TYPE": "SMS",
            "HANDLER": HANDLER_URL,
            "NAME": marker,
        },
    )
    assert response.json().get("result") is True, response.content
    ids["channel_HX"] = str(Channel.objects.get(workspace=workspace, channel_type="HX").uuid)
    ids["sender_code"] = f"{marker}sender"

    # Contacts, groups, fields, templates, webhooks.
    ids["group_uuid"] = _post(api, "/api/v1/groups", {"name": f"{marker} group"})["uuid"]
    ids["field_key"] = _post(api, "/api/v1/fields", {"key": f"{marker}_field", "name": f"{marker} field"})[
        "key"
    ]
    contact = _post(
        api,
        "/api/v1/contacts",
        {
            "name": f"{marker} contact",
            "urns": ["tel:+250788123001"],
            "groups": [ids["group_uuid"]],
            "fields": {ids["field_key"]: f"{marker} value"},
        },
    )
    ids["contact_uuid"] = contact["uuid"]
    ids["code"] = _post(
        api,
        "/api/v1/templates",
        {"code": f"{marker}_tpl", "name": f"{marker} template", "translations": {"eng": f"Hello {marker}"}},
    )["code"]
    ids["webhook_uuid"] = _post(
        api,
        "/api/v1/webhooks",
        {"url": f"{aggregator_url}/hook", "events": ["message.received", "message.status_changed"]},
    )["uuid"]
    ids["subscription_uuid"] = ids["webhook_uuid"]

    # Messages: one outbound through the API, one inbound through the channel's receive URL.
    ids["msg_uuid"] = _post(
        api,
        "/api/v1/messages",
        {"channel": ids["channel_EX"], "to": "tel:+250788123001", "text": f"{marker} outbound"},
    )["uuid"]
    inbound = Client().post(
        f"/c/ex/{ids['channel_EX']}/receive", {"from": "+250788123002", "text": f"{marker} inbound"}
    )
    ids["msg_in_uuid"] = _ok(inbound)["uuid"]

    # People: a contact import (run by the worker), a label on the inbound message.
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv_file = SimpleUploadedFile(
        "people.csv", f"URN:Tel,Name,Field:{marker} imported\n+250788123009,{marker} imported\n".encode()
    )
    imported_people = api.post("/api/v1/contacts/imports", {"file": csv_file})
    assert imported_people.status_code == 202, imported_people.content
    ids["import_uuid"] = imported_people.json()["uuid"]
    ids["label_uuid"] = _post(api, "/api/v1/labels", {"name": f"{marker} label"})["uuid"]
    _post(
        api,
        "/api/v1/message_actions",
        {"messages": [ids["msg_in_uuid"]], "action": "label", "label": ids["label_uuid"]},
    )

    # Flows: an import (B keeps the export's uuids, A gets fresh ones), a second revision, a
    # keyword trigger, a start with its sessions and runs, a results export.
    export_text = FLOW_EXPORT.read_text().replace("Two Questions", f"{marker} survey")
    if fresh_flow_uuids:
        export_text = _fresh_uuids(export_text)
    imported = _ok(api.post("/api/v1/flows/import", data=export_text, content_type="application/json"))
    flow_uuid = imported["flows"][0]["uuid"]
    ids["flow_uuid"] = flow_uuid
    definition = _ok(api.get(f"/api/v1/flows/{flow_uuid}"))["definition"]
    _ok(
        api.put(
            f"/api/v1/flows/{flow_uuid}/definition",
            data=json.dumps({"definition": definition, "comment": f"{marker} edit"}),
            content_type="application/json",
        )
    )
    revisions = _ok(api.get(f"/api/v1/flows/{flow_uuid}/revisions"))
    ids["revision"] = str(min(r["revision"] for r in revisions))
    ids["trigger_uuid"] = _post(
        api, "/api/v1/triggers", {"type": "keyword", "flow": flow_uuid, "keywords": [marker]}
    )["uuid"]
    ids["start_uuid"] = _post(
        api, "/api/v1/flow_starts", {"flow": flow_uuid, "contacts": [ids["contact_uuid"]]}
    )["uuid"]
    run_jobs()
    ids["export_uuid"] = _post(api, f"/api/v1/flows/{flow_uuid}/results/export", {"format": "csv"})["uuid"]
    ids["broadcast_uuid"] = _post(
        api,
        "/api/v1/broadcasts",
        {"text": f"{marker} broadcast", "contacts": [ids["contact_uuid"]], "spread_over_minutes": 60},
    )["uuid"]
    run_jobs()

    # A call (placing one needs a provider conversation; the row is what the screens show).
    call = Call.objects.create(
        workspace=workspace,
        channel=Channel.objects.get(uuid=ids["channel_XCV"]),
        contact=Contact.objects.get(uuid=ids["contact_uuid"]),
        direction="out",
        status="completed",
        to_number="+250788123001",
        external_id=f"{marker}-call",
    )
    ids["call_uuid"] = str(call.uuid)

    # What the service actions use: a resthook subscriber, an LLM, the airtime service, a ticket.
    ids["subscriber_uuid"] = _post(
        api,
        "/api/v1/resthook_subscribers",
        {"resthook": f"{marker.lower()}-hook", "target_url": f"https://hooks.example.com/{marker}"},
    )["uuid"]
    ids["llm_uuid"] = _post(
        api,
        "/api/v1/llms",
        {
            "name": f"{marker} llm",
            "url": "https://llm.example.com/v1/chat/completions",
            "model": "m",
            "api_key": "k",
        },
    )["uuid"]
    _ok(
        api.put(
            "/api/v1/airtime_service",
            data=json.dumps({"url": f"https://airtime.example.com/{marker}", "currency": "RWF"}),
            content_type="application/json",
        )
    )
    topic = _post(api, "/api/v1/topics", {"name": f"{marker} topic"})
    from flows.models import Ticket, Topic

    ticket = Ticket.objects.create(
        workspace=workspace,
        contact=Contact.objects.get(uuid=ids["contact_uuid"]),
        topic=Topic.objects.get(uuid=topic["uuid"]),
        note=f"{marker} ticket",
    )
    ids["ticket_uuid"] = str(ticket.uuid)

    # A campaign with an event (a pending fire for the contact), and the admin's membership.
    date_key = _post(
        api, "/api/v1/fields", {"key": f"{marker}_date", "name": f"{marker} date", "value_type": "datetime"}
    )
    ids["date_key"] = date_key["key"]
    ids["campaign_uuid"] = _post(
        api, "/api/v1/campaigns", {"name": f"{marker} campaign", "group": ids["group_uuid"]}
    )["uuid"]
    ids["event_uuid"] = _post(
        api,
        "/api/v1/campaign_events",
        {
            "campaign": ids["campaign_uuid"],
            "relative_to": date_key["key"],
            "offset": 1,
            "unit": "days",
            "message": {"eng": f"{marker} reminder"},
        },
    )["uuid"]
    from channels_app.models import Membership

    ids["membership_id"] = str(
        Membership.objects.filter(workspace=workspace).values_list("id", flat=True).first()
    )

    subscription = WebhookSubscription.objects.get(uuid=ids["webhook_uuid"])
    delivery = WebhookDelivery.objects.filter(subscription=subscription).first()
    assert delivery is not None, "the inbound message should have made a webhook delivery"
    ids["delivery_uuid"] = str(delivery.uuid)

    # Provider ids on the outbound messages, so callbacks can name them.
    Msg.objects.filter(workspace=workspace, direction="out").update(external_id=f"{marker}-ext")
    ids["msg_id"] = str(Msg.objects.get(uuid=ids["msg_uuid"]).id)
    return world


def snapshot(workspace: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row that belongs to `workspace`, in every model (children found through their FKs)."""
    from django.apps import apps

    result: dict[str, list[dict[str, Any]]] = {}
    for model in apps.get_models(include_auto_created=True):
        path = _workspace_path(model, depth=0)
        if path is None:
            continue
        rows = model._default_manager.filter(**{path: workspace.id}).order_by("pk").values()
        result[model._meta.label] = list(rows)
    return result


def _workspace_path(model: Any, *, depth: int) -> str | None:
    from channels_app.models import Workspace

    if model is Workspace:
        return "id"
    for f in model._meta.fields:
        if f.many_to_one and f.related_model is Workspace:
            return f"{f.name}_id"
    if depth >= 2:
        return None
    for f in model._meta.fields:
        if f.many_to_one and f.related_model is not model:
            sub = _workspace_path(f.related_model, depth=depth + 1)
            if sub is not None:
                return f"{f.name}__{sub}"
    return None


def changed_models(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> list[str]:
    return sorted(label for label in before.keys() | after.keys() if before.get(label) != after.get(label))


def foreign_links() -> list[str]:
    """Rows whose foreign key points at a row of another workspace (should never exist)."""
    from django.apps import apps
    from django.db.models import F

    from channels_app.models import Workspace

    problems = []
    for model in apps.get_models(include_auto_created=True):
        own = _workspace_path(model, depth=0)
        if own is None or model is Workspace:
            continue
        for f in model._meta.fields:
            if not f.many_to_one or f.related_model is Workspace:
                continue
            target = _workspace_path(f.related_model, depth=0)
            if target is None or f.related_model is Workspace or own.startswith(f"{f.name}__"):
                continue
            rows = model._default_manager.filter(**{f"{f.name}__isnull": False}).exclude(
                **{f"{f.name}__{target}": F(own)}
            )
            if count := rows.count():
                problems.append(f"{model._meta.label}.{f.name}: {count} row(s) point into another workspace")
    return problems
