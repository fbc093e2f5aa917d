"""Callback fields a phone connector declares (answer/status/incoming_callback, as in Vtiger's
sample) are filled with the channel's real webhook URLs and shown read-only, never asked for."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

import aggregators

XML = (Path(aggregators.__file__).parent / "connectors" / "twilio_voice.xml").read_text()
WITH_CALLBACKS = XML.replace(
    '<field name="callerid" label="Caller id (a Twilio number)" type="text" presence="mandatory"/>',
    '<field name="callerid" label="Caller id (a Twilio number)" type="text" presence="mandatory"/>'
    '<field name="answer_callback" label="Answer callback" type="text" presense="mandatory"/>'
    '<field name="status_callback" label="Status callback" type="text" presence="mandatory"/>'
    '<field name="incoming_callback" label="Incoming callback" type="text" presence="mandatory"/>',
)


def test_callback_fields_get_the_real_urls_and_are_not_asked_for(api: Any) -> None:
    assert WITH_CALLBACKS != XML
    uploaded = api.post(
        "/api/v1/connectors",
        {"name": "Twilio (Vtiger sample)", "xml": WITH_CALLBACKS},
        content_type="application/json",
    )
    assert uploaded.status_code == 201, uploaded.content
    assert [w["message"].split(" read")[0] for w in uploaded.json()["warnings"]] == ["'presense'"]
    fields = {
        "authid": "AC1",
        "authtoken": "tok",
        "callerid": "+15550001",
        "status_callback": "http://typed.example/x",
    }
    created = api.post(
        "/api/v1/channels",
        {
            "type": "XC",
            "name": "voice",
            "address": "+15550001",
            "config": {"connector": uploaded.json()["uuid"], "fields": fields},
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content  # the three mandatory callbacks were not required
    body = created.json()
    shown = body["config"]["fields"]
    assert shown["answer_callback"] == body["urls"]["answer"]
    assert shown["status_callback"] == body["urls"]["status"]  # what the admin typed is not kept
    assert shown["incoming_callback"] == body["urls"]["incoming"]
    assert "typed.example" not in created.content.decode()

    web = Client()
    web.force_login(get_user_model().objects.get(username="admin@test.org"))
    form = web.get(f"/channels/add/XC/?connector={uploaded.json()['uuid']}").content.decode()
    tag = re.search(r"<input[^>]*name=\"field_answer_callback\"[^>]*>", form)
    assert tag and "disabled" in tag.group(0)
    assert "filled by Flowgate with this channel" in form


def test_requests_read_the_real_urls(api: Any) -> None:
    from aggregators import services
    from aggregators.voice.services import channel_fields
    from channels_app.models import Channel

    uploaded = api.post(
        "/api/v1/connectors", {"name": "Twilio cb", "xml": WITH_CALLBACKS}, content_type="application/json"
    ).json()
    created = api.post(
        "/api/v1/channels",
        {
            "type": "XC",
            "name": "voice",
            "address": "+15550001",
            "config": {
                "connector": uploaded["uuid"],
                "fields": {"authid": "AC1", "authtoken": "tok", "callerid": "+1555"},
            },
        },
        content_type="application/json",
    ).json()
    channel = Channel.objects.get(uuid=created["uuid"])
    resolved = services.resolve_cached(workspace_id=channel.workspace_id, ref=uploaded["uuid"])
    values = channel_fields(channel, resolved)
    assert values["answer_callback"] == created["urls"]["answer"] and values["authid"] == "AC1"
