"""Hostile XML is refused at every door that accepts XML, and no entity is ever expanded.

Kills the mutation "the XML parser made unsafe" (DOCTYPE allowed, entities resolved) in
`aggregators/connector/xmlsafe.py`: every case below fails when the DOCTYPE refusal is removed,
and `test_the_parser_itself_never_expands_entities` also fails when only `resolve_entities`,
`load_dtd` or `no_network` is flipped. The doors: connector files (parser, CLI, API, upload
screen, test console), the External API receive with XPath, XC SMS callbacks and receive, XC
voice callbacks, and provider answers to sends.

Each hostile document carries an internal entity and an external (file) entity whose values are
markers: a marker showing up anywhere (a response, a stored row) means an entity was expanded.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree

from aggregators.connector import map_send_response, parse_connector
from aggregators.connector.cli import check_file
from aggregators.connector.errors import PayloadError
from aggregators.connector.xmlsafe import _parser, parse_payload
from aggregators.models import Connector
from channels_app.models import Call, Msg, MsgEvent
from channels_app.services.channels import create_channel

from .conftest import CONNECTORS, Provider
from .helpers import make_channel

INTERNAL = "XXE-INTERNAL-MARKER"
FILE_MARKER = "XXE-FILE-MARKER"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(FILE_MARKER)
    return path


def doctype(root: str, secret: Path) -> str:
    return f'<!DOCTYPE {root} [<!ENTITY int "{INTERNAL}"><!ENTITY ext SYSTEM "file://{secret}">]>'


def hostile(root: str, inner: str, secret: Path) -> bytes:
    """`<root>inner</root>` behind a DOCTYPE declaring `&int;` and `&ext;`."""
    return f'<?xml version="1.0"?>\n{doctype(root, secret)}\n<{root}>{inner}</{root}>'.encode()


def no_marker(*texts: Any) -> None:
    for text in texts:
        shown = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        assert INTERNAL not in shown and FILE_MARKER not in shown


def nothing_stored_with_a_marker() -> None:
    for model, fields in ((Msg, ("text", "urn", "external_id")), (MsgEvent, ("description", "data"))):
        for row in model.objects.all():
            no_marker(*(getattr(row, f) for f in fields))


# --- the parser ----------------------------------------------------------------------------


def test_the_parser_itself_never_expands_entities(secret_file: Path) -> None:
    """Second line of defence: even a document that reached libxml2 gets no entity expanded."""
    parsed = etree.fromstring(hostile("r", "<a>&int;</a><b>&ext;</b>", secret_file), _parser())
    no_marker(etree.tostring(parsed), "".join(parsed.itertext()))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_a_doctype_is_refused_in_any_encoding(secret_file: Path, encoding: str) -> None:
    """UTF-16 hides `<!DOCTYPE` from the byte scan: the parsed tree's DTD check refuses it."""
    body = (
        hostile("r", "&int;&ext;", secret_file)
        .decode()
        .replace('version="1.0"', f'version="1.0" encoding="{encoding}"')
    )
    with pytest.raises(PayloadError) as refused:
        parse_payload(body.encode(encoding))
    assert "DOCTYPE" in str(refused.value)
    no_marker(str(refused.value))


def test_an_external_dtd_is_refused(secret_file: Path, tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY int "{INTERNAL}">')
    with pytest.raises(PayloadError, match="DOCTYPE"):
        parse_payload(f'<!DOCTYPE r SYSTEM "file://{dtd}"><r>&int;</r>'.encode())


# --- connector files -------------------------------------------------------------------------


def hostile_connector(secret: Path) -> str:
    """The built-in Twilio connector with a DOCTYPE and both entities in its fields' labels."""
    xml = (CONNECTORS / "twilio.xml").read_text()
    xml = xml.replace("<?xml version='1.0'?>", "<?xml version='1.0'?>\n" + doctype("connector", secret), 1)
    return xml.replace('label="Account SID"', 'label="&int; &ext;"', 1)


def test_connector_file_with_a_doctype_is_refused_with_its_position(secret_file: Path) -> None:
    result = parse_connector(hostile_connector(secret_file), name="evil")
    assert not result.ok and result.connector is None
    (error,) = result.errors
    assert (error.line, error.column) == (2, 1)
    assert "DOCTYPE/ENTITY declarations are not allowed" in error.message


def test_connector_check_cli_refuses_a_doctype(secret_file: Path, tmp_path: Path) -> None:
    path = tmp_path / "evil.xml"
    path.write_text(hostile_connector(secret_file))
    out = io.StringIO()
    ok, messages = check_file(path, out=out)
    assert not ok
    assert messages == [
        f"{path}:2:1: DOCTYPE/ENTITY declarations are not allowed (DTDs and entities are disabled)"
    ]
    no_marker(out.getvalue())


def test_connector_api_upload_refuses_a_doctype(api: Any, secret_file: Path) -> None:
    response = api.post(
        "/api/v1/connectors",
        {"name": "evil", "xml": hostile_connector(secret_file)},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "DOCTYPE" in response.json()["errors"][0]["message"]
    no_marker(response.content)
    assert Connector.objects.count() == 0


@pytest.mark.parametrize("screen", ["/connectors/upload/", "/connectors/console/"])
def test_connector_screens_refuse_a_doctype(
    client: Any, workspace: Any, secret_file: Path, screen: str
) -> None:
    assert client.login(username="admin@test.org", password="secret-pass")
    form = {"name": "evil", "xml": hostile_connector(secret_file), "fields_json": "{}", "to": "+250788123123",
            "text": "hi", "connector": ""}  # fmt: skip
    response = client.post(screen, form)
    assert response.status_code == 200  # the form comes back with the errors, nothing saved
    page = response.content.decode()
    assert "DOCTYPE/ENTITY declarations are not allowed" in page
    # The screen echoes the source (form and annotated lines): the internal entity's value may
    # appear only inside its own declaration; an expansion would show it elsewhere too.
    assert page.count(INTERNAL) == page.count(f"ENTITY int &quot;{INTERNAL}") > 0
    assert FILE_MARKER not in page
    assert Connector.objects.count() == 0


# --- inbound webhooks --------------------------------------------------------------------------


def test_external_api_xml_receive_refuses_a_doctype(client: Any, workspace: Any, secret_file: Path) -> None:
    channel = create_channel(
        workspace=workspace, type_code="EX", name="XPath", address="+250788000000", country="RW",
        config={"send_url": "http://127.0.0.1:9/send", "mo_from_xpath": "//sender", "mo_text_xpath": "//text"},
    )  # fmt: skip
    body = hostile("mo", "<sender>+250788123123</sender><text>&int; &ext;</text>", secret_file)
    response = client.post(f"/c/ex/{channel.uuid}/receive", body, content_type="text/xml")
    assert response.status_code == 400, response.content
    assert "DOCTYPE" in response.json()["error"]
    no_marker(response.content)
    assert Msg.objects.count() == 0


@pytest.mark.parametrize(
    ("action", "inner"),
    [
        ("callback", "<MessageSid>&int;&ext;</MessageSid><MessageStatus>delivered</MessageStatus>"),
        ("receive", "<From>+250788123123</From><Body>&int; &ext;</Body><MessageSid>SMx</MessageSid>"),
    ],
)
def test_xc_sms_webhooks_refuse_a_doctype(
    client: Any, api: Any, provider_server: Provider, secret_file: Path, action: str, inner: str
) -> None:
    channel = make_channel(api, "twilio", provider_server)
    response = client.post(
        f"/c/xc/{channel['uuid']}/{action}", hostile("Message", inner, secret_file), content_type="text/xml"
    )
    assert response.status_code == 400, response.content
    assert "DOCTYPE" in response.json()["error"]
    no_marker(response.content)
    nothing_stored_with_a_marker()
    assert Msg.objects.count() == 0


@pytest.mark.parametrize("action", ["answer", "status", "incoming"])
def test_xc_voice_webhooks_refuse_a_doctype(
    client: Any, api: Any, provider_server: Provider, secret_file: Path, action: str
) -> None:
    channel = make_channel(api, "twilio_voice", provider_server)
    inner = "<CallSid>&int;</CallSid><From>&ext;</From><CallStatus>ringing</CallStatus>"
    response = client.post(
        f"/c/xc/{channel['uuid']}/{action}",
        hostile("Call", inner, secret_file),
        content_type="application/xml",
    )
    assert response.status_code == 400, response.content
    assert "DOCTYPE" in response.json()["error"]
    no_marker(response.content)
    assert Call.objects.count() == 0


# --- provider answers --------------------------------------------------------------------------


def test_a_provider_answer_with_a_doctype_fails_the_send_without_expanding(secret_file: Path) -> None:
    from aggregators.connector import builtin_connectors

    body = hostile(
        "TwilioResponse",
        "<Message><Sid>&int;</Sid><Status>queued</Status><To>&ext;</To></Message>",
        secret_file,
    )
    response = httpx.Response(201, content=body, headers={"content-type": "application/xml"})
    result = map_send_response(builtin_connectors()["twilio"], response)
    assert result.status == "failed" and result.external_id is None
    assert "DOCTYPE" in (result.error or "")
    no_marker(result.error, result.to, result.raw_status)
