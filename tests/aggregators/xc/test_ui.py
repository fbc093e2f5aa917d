"""Connector pages: upload errors beside their line, test console, XC add-channel form."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from channels_app.crypto import reveal
from channels_app.models import Channel

from .conftest import CONNECTORS, local_connector_xml
from .test_connectors_api import UNCLOSED


@pytest.fixture
def web(workspace) -> Client:
    client = Client()
    assert client.login(username="admin@test.org", password="secret-pass")
    return client


def test_list_shows_builtins_and_nav(web):
    page = web.get("/connectors/").content.decode()
    assert "Twilio" in page and "<code>bulksms</code>" in page
    assert 'href="/connectors/"' in page


def test_upload_errors_are_shown_beside_their_line(web):
    response = web.post("/connectors/upload/", {"name": "Broken", "xml": UNCLOSED})
    assert response.status_code == 200
    page = response.content.decode()
    line6 = re.search(r'<li id="L6" class="has-error">(.*?)</li>', page, re.S)
    assert line6, page
    assert "line 6, column 18: Opening and ending tag mismatch" in line6.group(1)
    assert '<li id="L1">' in page  # clean lines carry no error


def test_upload_saves_and_redirects(web):
    response = web.post(
        "/connectors/upload/", {"name": "My Telnyx", "xml": (CONNECTORS / "telnyx.xml").read_text()}
    )
    assert response.status_code == 302 and response["Location"] == "/connectors/my-telnyx/"
    assert "api_key" in web.get("/connectors/my-telnyx/").content.decode()


def test_console_sends_a_draft_and_shows_the_exact_exchange(web, provider_server):
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
    assert response.status_code == 200
    page = response.content.decode()
    assert f"POST {provider_server.url}/v2/messages" in page
    assert "console hello" in page  # the request body
    assert "Authorization: Bearer ********" in page.replace("authorization", "Authorization")
    assert "KEY-very-secret" not in page
    assert "40385f64-5717-4562-b3fc-2c963f66afa6" in page  # response body and mapped id
    assert "HTTP 200" in page
    (seen,) = provider_server.requests
    assert seen.headers["Authorization"] == "Bearer KEY-very-secret"  # the real request had it


def test_console_shows_draft_errors(web):
    response = web.post(
        "/connectors/console/",
        {"connector": "", "xml": UNCLOSED, "fields_json": "{}", "to": "+1", "text": "x"},
    )
    assert "line 6, column 18" in response.content.decode()


def test_xc_add_channel_form_comes_from_connector_fields(web, workspace):
    picker = web.get("/channels/add/XC/").content.decode()
    assert "?connector=twilio" in picker
    form = web.get("/channels/add/XC/?connector=twilio").content.decode()
    assert 'name="field_AccountSID"' in form and 'name="field_AuthToken"' in form
    assert re.search(r'<input type="password" name="field_AuthToken"', form)

    missing = web.post("/channels/add/XC/", {"connector": "twilio", "name": "T", "field_AccountSID": "AC1"})
    assert missing.status_code == 200 and "This field is required" in missing.content.decode()

    response = web.post(
        "/channels/add/XC/",
        {
            "connector": "twilio",
            "name": "Twilio RW",
            "field_AccountSID": "AC1",
            "field_AuthToken": "ui-secret-9",
            "field_From": "+15005550006",
        },
    )
    assert response.status_code == 302, response.content.decode()
    channel = Channel.objects.get(name="Twilio RW")
    assert reveal(channel.config) == {
        "connector": "twilio",
        "fields": {"AccountSID": "AC1", "AuthToken": "ui-secret-9", "From": "+15005550006"},
    }
    assert "ui-secret-9" not in str(channel.config)  # stored encrypted
    detail = web.get(response["Location"]).content.decode()
    assert "ui-secret-9" not in detail and "********" in detail
