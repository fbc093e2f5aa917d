"""The connector language's <signature> element: validation with line:column, the model, built-ins."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from aggregators.connector import builtin_paths, load_connector_file, parse_connector
from channels_app.inbound_auth import InboundSignature, expected_signature

MINIMAL = """<?xml version='1.0'?>
<connector for="SMSNotifier" name="Signed">
    <config><fields>
        <field name="Secret" type="password"/>
    </fields></config>
    <provider><url>https://sms.example/send</url></provider>
    {signature}
    <message_send>
        <request method="post"/>
        <response format="json"><message_id use="id"/></response>
    </message_send>
</connector>
"""


def test_generic_signature_is_parsed_with_defaults_and_options() -> None:
    result = parse_connector(
        MINIMAL.format(
            signature='<signature header="X-Sig" key="$config.$fields.Secret" algorithm="hmac-sha256" '
            'encoding="hex" payload="body" prefix="sha256="/>'
        )
    )
    assert result.ok, result.errors
    assert result.connector is not None and result.connector.signature is not None
    sig = result.connector.signature
    assert (sig.header, sig.algorithm, sig.encoding, sig.payload, sig.prefix) == (
        "X-Sig", "hmac-sha256", "hex", "body", "sha256=",
    )  # fmt: skip
    assert sig.key.render_str({"Secret": "k"}, {}) == "k"
    defaults = parse_connector(
        MINIMAL.format(signature='<signature header="X-Sig" key="$config.$fields.Secret"/>')
    )
    assert defaults.connector is not None and defaults.connector.signature is not None
    assert (defaults.connector.signature.algorithm, defaults.connector.signature.payload) == (
        "hmac-sha256",
        "body",
    )


@pytest.mark.parametrize(
    ("element", "line", "column", "message"),
    [
        ('<signature header="X-Sig" key="$config.$fields.Secret" algorithm="md5"/>', 7, 60,
         "algorithm='md5' must be one of hmac-sha1, hmac-sha256, hmac-sha512"),
        ('<signature header="X-Sig" key="$config.$fields.Secret" encoding="b32"/>', 7, 60,
         "encoding='b32' must be one of base64, hex"),
        ('<signature header="X-Sig" key="$config.$fields.Secret" payload="headers"/>', 7, 60,
         "payload='headers' must be one of url-params, body"),
        ('<signature key="$config.$fields.Secret"/>', 7, 5, "<signature> needs a 'header' attribute"),
        ('<signature header="X Sig" key="$config.$fields.Secret"/>', 7, 16, "'X Sig' is not a valid HTTP header name"),
        ('<signature header="X-Sig" key="plain-text-key"/>', 7, 31, "the signature key must come from a config field"),
        ('<signature header="X-Sig" key="$config.$fields.Nope"/>', 7, 36, "$config.$fields.Nope names no declared field"),
        ('<signature header="X-Sig" key="@message"/>', 7, 36, "the signature key cannot use @message"),
        ('<signature header="X-Sig" key="$config.$fields.Secret" colour="red"/>', 7, 60,
         "unknown attribute 'colour' on <signature>"),
        ('<signature header="X-Sig" key="$config.$fields.Secret"/><signature header="Y" key="$config.$fields.Secret"/>',
         7, 61, "a connector declares at most one <signature>"),
    ],
)  # fmt: skip
def test_bad_signature_elements_are_reported_with_line_and_column(
    element: str, line: int, column: int, message: str
) -> None:
    result = parse_connector(MINIMAL.format(signature=element))
    assert not result.ok
    found = [(e.line, e.column, e.message) for e in result.errors]
    assert any(e[0] == line and e[1] == column and message in e[2] for e in found), found


def test_built_in_twilio_connectors_declare_their_signature() -> None:
    paths = builtin_paths()
    for name, key_field in (("twilio", "AuthToken"), ("twilio_voice", "authtoken")):
        signature = load_connector_file(paths[name]).signature
        assert signature is not None
        assert (signature.header, signature.algorithm, signature.encoding, signature.payload) == (
            "X-Twilio-Signature", "hmac-sha1", "base64", "url-params",
        )  # fmt: skip
        assert [name for name, _ in signature.key.refs("field")] == [key_field]


def test_twilio_scheme_matches_twilios_documented_example() -> None:
    # The example in Twilio's "Webhooks security" documentation: token 12345 and this request.
    params = [
        ("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
        ("From", "+12349013030"), ("To", "+18005551212"),
    ]  # fmt: skip
    twilio = InboundSignature(
        header="X-Twilio-Signature",
        key="12345",
        algorithm="hmac-sha1",
        encoding="base64",
        payload="url-params",
    )
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert expected_signature(twilio, url=url, params=params, body=b"") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_body_scheme_is_a_plain_hmac_of_the_body() -> None:
    body = b'{"id": 1}'
    generic = InboundSignature(
        header="X-Sig", key="k3y", algorithm="hmac-sha256", encoding="hex", prefix="sha256="
    )
    digest = hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    assert expected_signature(generic, url="ignored", params=[], body=body) == "sha256=" + digest
    b64 = InboundSignature(header="X-Sig", key="k3y", algorithm="hmac-sha512")
    expected = base64.b64encode(hmac.new(b"k3y", body, hashlib.sha512).digest()).decode()
    assert expected_signature(b64, url="ignored", params=[], body=body) == expected
