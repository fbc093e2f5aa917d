"""Connector upload/list/get over the API, the `connector check` command, channel config rules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.test import Client

from aggregators.services import resolve_connector
from aggregators.xmlsafe import UnsafeXML, parse_xml
from channels_app.crypto import decrypt
from channels_app.models import Channel
from channels_app.urlguard import URLNotAllowed, check_url_sync
from tests import ROOT

from .conftest import CONNECTORS, FIXTURES

UNCLOSED = """<?xml version="1.0"?>
<connector for="SMSNotifier">
    <config>
        <fields>
            <field name="token" type="password">
        </fields>
    </config>
</connector>
"""


def _upload(api, name, xml):
    return api.post("/api/v1/connectors", {"name": name, "xml": xml}, content_type="application/json")


def test_upload_returns_slug_kind_and_fields(api):
    response = _upload(api, "Twilio", (CONNECTORS / "twilio.xml").read_text())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "twilio-2"  # never shadows the built-in "twilio"
    assert body["kind"] == "sms" and body["uuid"]
    assert [f["name"] for f in body["fields"]] == ["AccountSID", "AuthToken", "From"]
    assert [f["secret"] for f in body["fields"]] == [False, True, False]

    listed = api.get("/api/v1/connectors").json()
    slugs = {c["slug"]: c["builtin"] for c in listed}
    assert slugs["twilio"] is True and slugs["twilio-2"] is False and "bulksms" in slugs
    one = api.get(f"/api/v1/connectors/{body['uuid']}").json()
    assert one["slug"] == "twilio-2" and "<connector" in one["xml"]
    assert api.get("/api/v1/connectors/twilio-2").json()["uuid"] == body["uuid"]
    assert api.get("/api/v1/connectors/plivo").json()["builtin"] is True


@pytest.mark.parametrize(
    ("xml", "line", "column", "fragment"),
    [
        (UNCLOSED, 6, 18, "Opening and ending tag mismatch"),
        (
            '<connector for="SMSNotifier"><provider><url>https://x</url></provider><message_send>'
            '<request method="post"><parameters><parameter name="t" value="@nope"/></parameters></request>'
            '<response format="json"><message_id use="id"/></response></message_send></connector>',
            1,
            None,
            "@nope",
        ),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<connector/>',
            2,
            1,
            "DOCTYPE",
        ),
    ],
)
def test_invalid_upload_is_400_with_line_and_column(api, xml, line, column, fragment):
    response = _upload(api, "Broken", xml)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    hit = [e for e in errors if fragment in e["message"]]
    assert hit, errors
    assert hit[0]["line"] == line
    if column is not None:
        assert hit[0]["column"] == column
    assert api.get("/api/v1/connectors").json()[-1]["builtin"] is True  # nothing stored


def test_connectors_are_isolated_between_workspaces(api, workspace):
    from channels_app.workspaces import create_workspace

    uploaded = _upload(api, "Mine", (CONNECTORS / "telnyx.xml").read_text()).json()
    _other, other_token = create_workspace(name="Other", email="o@test.org", password="pw-other")
    other = Client(HTTP_AUTHORIZATION=f"Token {other_token}")
    assert other.get(f"/api/v1/connectors/{uploaded['uuid']}").status_code == 404
    assert other.get("/api/v1/connectors/mine").status_code == 404
    assert "mine" not in {c["slug"] for c in other.get("/api/v1/connectors").json()}
    response = other.post(
        "/api/v1/channels",
        {"type": "XC", "name": "x", "config": {"connector": uploaded["uuid"], "fields": {}}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "no connector" in response.json()["errors"]["connector"]


def test_channel_config_required_fields_unknown_fields_and_masking(api, workspace):
    bad = api.post(
        "/api/v1/channels",
        {
            "type": "XC",
            "name": "T",
            "config": {"connector": "twilio", "fields": {"AccountSID": "AC1", "x": "1"}},
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "fields.x": "not a field of this connector",
        "fields.AuthToken": "this field is required",
        "fields.From": "this field is required",
    }
    fields = {"AccountSID": "AC1", "AuthToken": "tok-secret-1", "From": "+15005550006"}
    response = api.post(
        "/api/v1/channels",
        {"type": "XC", "name": "T", "config": {"connector": "twilio", "fields": fields}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    channel = response.json()
    assert channel["config"]["fields"] == {**fields, "AuthToken": "********"}
    assert set(channel["urls"]) == {"callback", "receive"}
    assert channel["urls"]["callback"].endswith(f"/c/xc/{channel['uuid']}/callback")
    assert "tok-secret-1" not in api.get(f"/api/v1/channels/{channel['uuid']}").content.decode()
    # Saving the form back with the mask keeps the stored secret.
    patched = api.patch(
        f"/api/v1/channels/{channel['uuid']}",
        {"config": {"fields": {**fields, "AuthToken": "********", "From": "+15005550007"}}},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    stored = Channel.objects.get(uuid=channel["uuid"]).config["fields"]
    assert decrypt(stored["AuthToken"]) == "tok-secret-1" and stored["From"] == "+15005550007"
    assert stored["AuthToken"].startswith("enc:v1:")


def test_phone_connector_channels_make_calls_not_sms(api, transactional_db):
    """A phone connector backs a voice channel: it is accepted, but an SMS through it fails clearly."""
    from channels_app.models import Msg
    from tests.conftest import run_jobs

    response = api.post(
        "/api/v1/channels",
        {"type": "XC", "name": "V", "config": {"connector": "twilio_voice", "fields": {}}},
        content_type="application/json",
    )
    assert response.status_code == 400  # its mandatory fields are named
    assert "authtoken" in json.dumps(response.json()["errors"])
    fields = {"authid": "AC123", "authtoken": "secret", "callerid": "+15005550006"}
    response = api.post(
        "/api/v1/channels",
        {"type": "XC", "name": "V", "config": {"connector": "twilio_voice", "fields": fields}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    channel = response.json()
    assert set(channel["urls"]) >= {"answer", "status", "incoming"} and "receive" not in channel["urls"]
    msg = api.post(
        "/api/v1/messages",
        {"channel": channel["uuid"], "to": "+250788123123", "text": "hi"},
        content_type="application/json",
    ).json()
    run_jobs()
    sent = Msg.objects.get(uuid=msg["uuid"])
    assert sent.status == "failed" and "cannot send messages" in sent.error


def _command(*args):
    return subprocess.run(
        [sys.executable, "manage.py", "connector", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_connector_check_command_reports_line_and_column(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text(UNCLOSED)
    result = _command("check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:6:18: Opening and ending tag mismatch: field line 5 and fields" in result.stdout
    seed = FIXTURES / "invalid" / "seed_picklist.xml"
    result = _command("check", str(seed))
    assert result.returncode == 1 and result.stdout.startswith(f"{seed}:")

    result = _command("check", str(CONNECTORS / "twilio.xml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK (sms connector, 3 fields)" in result.stdout


def test_resolution_is_builtin_or_own(workspace):
    assert resolve_connector(workspace_id=workspace.id, ref="vonage").builtin is True


def test_one_guard_and_one_xml_parser(settings):
    settings.FLOWGATE_ALLOW_PRIVATE_URLS = False
    with pytest.raises(URLNotAllowed, match="private"):
        check_url_sync("http://127.0.0.1:8000/send")
    with pytest.raises(URLNotAllowed, match="scheme"):
        check_url_sync("ftp://example.org/")
    settings.FLOWGATE_ALLOW_PRIVATE_URLS = True
    check_url_sync("http://127.0.0.1:8000/send")
    with pytest.raises(UnsafeXML, match="DOCTYPE"):
        parse_xml(b'<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>')
    assert parse_xml("<r><a>1</a></r>").findtext("a") == "1"


def test_private_provider_url_is_refused_when_not_allowed(api, provider_server, settings):
    from tests.conftest import run_jobs

    from .helpers import make_channel, queue_message

    channel = make_channel(api, "telnyx", provider_server)
    settings.FLOWGATE_ALLOW_PRIVATE_URLS = False
    msg = queue_message(api, channel, "telnyx")
    run_jobs()
    detail = api.get(f"/api/v1/messages/{msg['uuid']}").json()
    assert detail["status"] == "failed" and "private" in detail["error"]
    assert provider_server.requests == []
