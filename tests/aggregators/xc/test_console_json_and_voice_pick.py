"""Issue 18: the connector console prints what the mapping produced as JSON values (null, false,
"…"), never Python's None/False; phone-call (voice) connectors are listed and added like SMS ones."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from .conftest import local_connector_xml


@pytest.fixture
def web(workspace) -> Client:
    client = Client()
    assert client.login(username="admin@test.org", password="secret-pass")
    return client


def test_console_mapped_values_are_json(web, provider_server):
    provider_server.sends = [provider_server.recorded("telnyx", "send_ok.json", 200, "application/json")]
    response = web.post(
        "/connectors/console/",
        {
            "connector": "",
            "xml": local_connector_xml("telnyx", provider_server.url),
            "fields_json": json.dumps({"api_key": "KEY-very-secret", "from": "+18445550001"}),
            "to": "+18665550001",
            "text": "console hello",
            "sender": "",
        },
    )
    page = response.content.decode()
    values = re.findall(r"<dd><code>(.*?)</code></dd>", page, re.S)
    assert values, page
    for v in values:
        assert v not in ("None", "False", "True"), values
        json.loads(v.replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&"))


def test_voice_connectors_are_listed_and_their_form_opens(web):
    types = web.get("/channels/add/").content.decode()
    for slug in ("twilio_voice", "plivo_voice", "ozonetel"):
        assert f'data-connector="{slug}"' in types
    picker = web.get("/channels/add/XC/").content.decode()
    assert (
        "Phone calls (voice)" in picker
        and "?connector=twilio_voice" in picker
        and '?connector=twilio"' in picker
    )
    form = web.get("/channels/add/XC/?connector=twilio_voice")
    assert form.status_code == 200 and 'name="field_' in form.content.decode()
