"""The connector model built from XML, pinned whole: every attribute read, every default.

Written against the mutation run (`scripts/mutation.py --only connector-parser-mapping`): each
case compares the whole built `Connector` (templates by their source: `compile_template` is
tested in test_values_and_request.py), so a value read from the wrong attribute, a default
changed, a case or whitespace rule dropped, or a section built from the wrong element fails.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from aggregators.connector import ConnectorInvalid
from aggregators.connector.parser import _truthy, load_connector, load_connector_file, parse_connector
from aggregators.connector.values import Template


def plain(value: Any) -> Any:
    """The built model as plain data; a template as its source."""
    if isinstance(value, Template):
        return value.source
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def ref(use: str = "", **attrs: Any) -> dict[str, Any]:
    """A mapped value (`PathRef`) with its defaults."""
    out: dict[str, Any] = dict.fromkeys(("default", "fallback", "charset", "format", "timezone", "prefix"))
    return {"use": use, **out, "required": False, **attrs}


def param(name: str, value: str | None = None, **attrs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "value": value, "type": "string", "children": []}
    out.update(attrs=[], omit_empty=False)
    return {**out, "charset": None, **attrs}


def request(method: str, url: str | None, line: int, **attrs: Any) -> dict[str, Any]:
    return {
        "method": method,
        "url": url,
        "headers": [],
        "params": [],
        "pos": {"line": line, "column": 0},
        **attrs,
    }


def response(fmt: str = "json", messages: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"format": fmt, "fields": fields, "messages": messages}


def reply(fmt: str = "xml", root: str = "Response", **attrs: Any) -> dict[str, Any]:
    return {"format": fmt, "root": root, "headers": [], "params": [], "agentdialing": None, **attrs}


def field(name: str, **attrs: Any) -> dict[str, Any]:
    out = {"name": name, "label": name, "type": "text", "required": False, "default": None, "options": []}
    return {**out, **attrs}


NOTHING = dict.fromkeys(
    (
        "message_send",
        "message_status",
        "message_receive",
        "outgoing_call",
        "answer_callback",
        "status_callback",
        "incoming_call",
        "signature",
    )
)

# Every attribute given, in the spellings authors use: upper case, spaces around values.
SMS_FULL = """<?xml version='1.0'?>
<connector for="SMSNotifier" name="Full">
  <config><fields>
    <field name="user" label="  User name " type="TEXT" required=" Yes " default="u1" help="h"/>
    <field name="secret" type="password" presence="Mandatory"/>
    <field name="kind" label=" " type="picklist" required="no" presence="optional">
      <options><option value=" a "/><option> b </option><option value="c">ignored</option><option/></options>
    </field>
    <field name="flag" required="1"/>
    <field name="on" required="true"/>
    <field name="off" required="false"/>
  </fields></config>
  <provider>
    <url>
      https://sms.example.com/
      api
    </url>
    <auth><basic username="$config.$fields.user" password="$config.$fields.secret"/></auth>
    <token ttl=" 600 ">
      <request method="PUT"><url>/oauth</url></request>
      <response format="FORM"><access_token use="tok"/><expires_in use="exp" default="5"/></response>
    </token>
  </provider>
  <message_send split="$config.$fields.user">
    <request>
      <url>/send</url>
      <headers><header name="Content-Type" value="application/json"/><header name="X-Key" value="$config.$fields.secret"/></headers>
      <parameters>
        <parameter name="to" value="@to" type="STRING" omit_empty=" TRUE " charset="utf-16be"/>
        <parameter name="obj"><parameter name="a" value="1" type="Number"/><parameter name="b" omit_empty="yes"/></parameter>
        <parameter name="n" value="" omit_empty="1"/>
        <parameter name="m" value="x" omit_empty="false"/>
        <parameter name="k" value="y" omit_empty="no"/>
      </parameters>
    </request>
    <response format="XML">
      <messages use="list"/>
      <message_id use="id" default="d" fallback="alt" required=" TRUE " charset="cs"/>
      <message_status use="st" required="yes"/>
      <error use="err" required="1"/>
      <error_code use="code" required="no"/>
      <message_to default="x" charset=""/>
    </response>
    <callback>
      <message_responses use="items"/>
      <message_id use="ref"/>
    </callback>
    <callback_response format="TEXT" root="Ack" agentdialing="no">
      <headers><header name="X-A" value="1"/></headers>
      <parameters><parameter name="ok" value="000"/></parameters>
    </callback_response>
    <statuses unknown=" Reject ">
      <status Processing="Sent, QUEUED ,"/>
      <status Delivered="DELIVRD,10-20"/>
      <status Failed=" 21-999 , Undeliv"/>
      <status Retry="Throttled"/>
      <status Ignore="Waiting"/>
      <status Processing="sent"/>
    </statuses>
    <errors>
      <error codes=" 21610, ABC ," means=" Opted_Out "/>
      <error contains="BLACK, Stop ," means="failed"/>
      <error codes="21610" contains="black" means="opted_out"/>
      <error codes="42" means="retry"/>
    </errors>
  </message_send>
  <message_status>
    <request method="get"><url>/status</url></request>
    <response><message_status use="s"/></response>
  </message_status>
  <message_receive format="JSON">
    <messages use="batch"/>
    <from use="from" prefix="tel:"/>
    <text use="text"/>
    <date use="time" format="%Y" timezone=" Asia/Kuala_Lumpur "/>
    <to use="to" prefix=""/>
    <send_response><parameters><parameter name="ok" value="1"/></parameters></send_response>
  </message_receive>
  <signature header="X-Sig" key="$config.$fields.secret" algorithm=" HMAC-SHA1 " encoding=" HEX "
             payload=" URL-PARAMS " prefix="sha1="/>
</connector>
"""

FULL_STATUSES: dict[str, Any] = {
    "groups": {
        "sent": "processing",
        "queued": "processing",
        "delivrd": "delivered",
        "undeliv": "failed",
        "throttled": "retry",
        "waiting": "ignore",
    },
    "unknown": "reject",
    "ranges": [[10, 20, "delivered"], [21, 999, "failed"]],
}
# The third <error> repeats a code and a phrase: the first meaning stays.
FULL_ERRORS: dict[str, Any] = {
    "meanings": {"21610": "opted_out", "abc": "opted_out", "42": "retry"},
    "phrases": {"black": "failed", "stop": "failed"},
}

SMS_FULL_MODEL: dict[str, Any] = {
    "kind": "sms",
    "fields": [
        field("user", label="User name", required=True, default="u1"),
        field("secret", type="password", required=True),
        field("kind", type="picklist", options=["a", "b", "c", ""]),
        field("flag", required=True),
        field("on", required=True),
        field("off"),
    ],
    "provider": {
        "url": "https://sms.example.com/api",
        "auth": {
            "kind": "basic",
            "username": "$config.$fields.user",
            "password": "$config.$fields.secret",
            "token": None,
        },
        "token": {
            "request": request("PUT", "/oauth", 20),
            "response": response("form", access_token=ref("tok"), expires_in=ref("exp", default="5")),
            "ttl": 600,
        },
    },
    "name": "Full",
    "message_send": {
        "request": request(
            "POST",
            "/send",
            25,
            headers=[
                {"name": "Content-Type", "value": "application/json"},
                {"name": "X-Key", "value": "$config.$fields.secret"},
            ],
            params=[
                param("to", "@to", omit_empty=True, charset="utf-16be"),
                param(
                    "obj",
                    type="object",
                    children=[param("a", "1", type="number"), param("b", omit_empty=True)],
                ),
                param("n", "", omit_empty=True),
                param("m", "x"),
                param("k", "y"),
            ],
        ),
        "response": response(
            "xml",
            "list",
            message_id=ref("id", default="d", fallback="alt", required=True, charset="cs"),
            message_status=ref("st", required=True),
            error_message=ref("err", required=True),
            error_code=ref("code"),
            message_to=ref("", default="x"),
        ),
        "statuses": FULL_STATUSES,
        "callback": response("form", "items", message_id=ref("ref")),
        "errors": FULL_ERRORS,
        "split": "$config.$fields.user",
        "callback_response": reply(
            "text",
            "Ack",
            headers=[{"name": "X-A", "value": "1"}],
            params=[param("ok", "000")],
            agentdialing="no",
        ),
    },
    # no statuses or errors of its own: the send's are the fallback
    "message_status": {
        "request": request("GET", "/status", 68),
        "response": response(message_status=ref("s")),
        "statuses": FULL_STATUSES,
        "errors": FULL_ERRORS,
    },
    # <send_response> sits beside the mapped values: it is the reply, not a value to read
    "message_receive": {
        "mapping": response(
            "json",
            "batch",
            **{
                "from": ref("from", prefix="tel:"),
                "text": ref("text"),
                "date": ref("time", format="%Y", timezone="Asia/Kuala_Lumpur"),
                "to": ref("to"),
            },
        ),
        "send_response": reply(params=[param("ok", "1")]),
    },
    "outgoing_call": None,
    "answer_callback": None,
    "status_callback": None,
    "incoming_call": None,
    "signature": {
        "header": "X-Sig",
        "key": "$config.$fields.secret",
        "algorithm": "hmac-sha1",
        "encoding": "hex",
        "payload": "url-params",
        "prefix": "sha1=",
    },
}

# Only what is required: every default shows.
SMS_DEFAULTS = """<connector for="SMSNotifier">
  <config><fields><field name="key"/></fields></config>
  <provider>
    <url>https://sms.example.com</url>
    <auth><bearer token="$config.$fields.key"/></auth>
    <token><request><url>/oauth</url></request><response><access_token use="a"/></response></token>
  </provider>
  <message_send>
    <request><url>/send</url><parameters/></request>
    <response/>
    <callback format="JSON"><message_id use="id"/></callback>
    <callback_response/>
    <statuses><status Delivered="ok"/></statuses>
    <errors><error codes="1" means="failed"/></errors>
  </message_send>
  <message_status>
    <request><url>/status</url></request>
    <response format="text"><message_status use="s"/></response>
    <statuses unknown="fail"><status Failed="no"/></statuses>
  </message_status>
  <message_receive><send_response format="json"/><from use="f"/></message_receive>
  <signature header="X-Sig" key="$config.$fields.key"/>
</connector>
"""

SMS_DEFAULTS_MODEL: dict[str, Any] = {
    "kind": "sms",
    "fields": [field("key")],
    "provider": {
        "url": "https://sms.example.com",
        "auth": {"kind": "bearer", "username": None, "password": None, "token": "$config.$fields.key"},
        "token": {
            "request": request("POST", "/oauth", 6),
            "response": response(access_token=ref("a")),
            "ttl": 3600,
        },
    },
    "name": "file-stem",
    "message_send": {
        "request": request("POST", "/send", 9),
        "response": response(),
        "statuses": {"groups": {"ok": "delivered"}, "unknown": "ignore", "ranges": []},
        "callback": response(message_id=ref("id")),
        "errors": {"meanings": {"1": "failed"}, "phrases": {}},
        "split": None,
        "callback_response": reply(),
    },
    # statuses of its own, errors from the send
    "message_status": {
        "request": request("POST", "/status", 17),
        "response": response("text", message_status=ref("s")),
        "statuses": {"groups": {"no": "failed"}, "unknown": "fail", "ranges": []},
        "errors": {"meanings": {"1": "failed"}, "phrases": {}},
    },
    # the reply first: the values after it are still read
    "message_receive": {
        "mapping": response("form", None, **{"from": ref("f")}),
        "send_response": reply("json"),
    },
    "signature": {
        "header": "X-Sig",
        "key": "$config.$fields.key",
        "algorithm": "hmac-sha256",
        "encoding": "base64",
        "payload": "body",
        "prefix": "",
    },
    **{k: None for k in ("outgoing_call", "answer_callback", "status_callback", "incoming_call")},
}

SMS_MINIMAL = """<connector for="SMSNotifier">
  <provider><url>https://sms.example.com</url></provider>
  <message_send><request><url>/send</url></request><response/></message_send>
</connector>
"""

SMS_MINIMAL_MODEL: dict[str, Any] = {
    **NOTHING,
    "kind": "sms",
    "fields": [],
    "provider": {"url": "https://sms.example.com", "auth": None, "token": None},
    "name": "file-stem",
    "message_send": {
        "request": request("POST", "/send", 3),
        "response": response(),
        "statuses": {"groups": {}, "unknown": "ignore", "ranges": []},
        "callback": None,
        "errors": {"meanings": {}, "phrases": {}},
        "split": None,
        "callback_response": None,
    },
}

PHONE_FULL = """<connector for="PhoneCalls" name="Calls">
  <config><fields><field name="sid"/><field name="token" type="password"/></fields></config>
  <provider>
    <url><![CDATA[https://voice.example.com/$config.$fields.sid]]></url>
    <auth><bearer token="$config.$fields.token"/></auth>
  </provider>
  <outgoing_call>
    <request method="patch">
      <url>Calls</url>
      <parameters><parameter name="To" value="@to_number"/></parameters>
    </request>
    <response format="FORM"><callid use="sid"/><status use="state"/><error use="msg"/><uui use="data.UUI"/></response>
    <callbacks>
      <answer_callback>
        <response><call_id use="CallSid"/></response>
        <send_response format="JSON" root="Top" agentdialing="Number">
          <headers><header name="Content-Type" value="application/json"/></headers>
          <parameters>
            <parameter name="Dial">
              <attrs><attr name="action" value="@status_callback"/><attr name="x"/></attrs>
              <parameter name="Number" value="@to_number"/>
            </parameter>
          </parameters>
        </send_response>
      </answer_callback>
      <status_callback use="CallStatus">
        <status for=" Completed , BUSY,">
          <response format="json"><call_id use="CallSid"/><duration use="d" default="0"/></response>
        </status>
        <status for="ringing"><response><call_id use="Sid"/></response></status>
      </status_callback>
    </callbacks>
  </outgoing_call>
  <incoming_call>
    <response format="xml"><call_id use="CallSid"/><from_number use="From"/></response>
    <send_response><parameters><parameter name="Say" value="hi"/></parameters></send_response>
  </incoming_call>
</connector>
"""

PHONE_FULL_MODEL: dict[str, Any] = {
    **NOTHING,
    "kind": "phone",
    "fields": [field("sid"), field("token", type="password")],
    "provider": {
        "url": "https://voice.example.com/$config.$fields.sid",
        "auth": {"kind": "bearer", "username": None, "password": None, "token": "$config.$fields.token"},
        "token": None,
    },
    "name": "Calls",
    "outgoing_call": {
        "request": request("PATCH", "Calls", 8, params=[param("To", "@to_number")]),
        # the seeds' names (callid, status, error) read as ours
        "response": response(
            "form",
            call_id=ref("sid"),
            call_status=ref("state"),
            error_message=ref("msg"),
            uui=ref("data.UUI"),
        ),
    },
    "answer_callback": {
        "response": response("form", call_id=ref("CallSid")),
        "send_response": reply(
            "json",
            "Top",
            agentdialing="Number",
            headers=[{"name": "Content-Type", "value": "application/json"}],
            params=[
                param(
                    "Dial",
                    type="object",
                    # an attr without a value is empty
                    attrs=[{"name": "action", "value": "@status_callback"}, {"name": "x", "value": ""}],
                    children=[param("Number", "@to_number")],
                )
            ],
        ),
    },
    "status_callback": {
        "use": "CallStatus",
        "branches": [
            {
                "values": ["completed", "busy"],
                "response": response("json", call_id=ref("CallSid"), duration=ref("d", default="0")),
            },
            {"values": ["ringing"], "response": response("form", call_id=ref("Sid"))},
        ],
    },
    "incoming_call": {
        "response": response("xml", call_id=ref("CallSid"), from_number=ref("From")),
        "send_response": reply(params=[param("Say", "hi")]),
    },
}

# <callbacks> beside <outgoing_call> (not inside it), no send_response anywhere.
PHONE_ROOT_CALLBACKS = """<connector for="PhoneCalls">
  <provider><url>https://voice.example.com</url><auth><basic username="u"/></auth></provider>
  <outgoing_call><request><url>Calls</url></request></outgoing_call>
  <callbacks>
    <answer_callback><response format="json"><call_id use="id"/></response></answer_callback>
    <status_callback use="s"><status for="x"><response><call_id use="id"/></response></status></status_callback>
  </callbacks>
  <incoming_call/>
</connector>
"""

PHONE_ROOT_CALLBACKS_MODEL: dict[str, Any] = {
    **NOTHING,
    "kind": "phone",
    "fields": [],
    "provider": {
        "url": "https://voice.example.com",
        # no password: an empty one
        "auth": {"kind": "basic", "username": "u", "password": "", "token": None},
        "token": None,
    },
    "name": "file-stem",
    "outgoing_call": {"request": request("POST", "Calls", 3), "response": response()},
    "answer_callback": {"response": response("json", call_id=ref("id")), "send_response": None},
    "status_callback": {
        "use": "s",
        "branches": [{"values": ["x"], "response": response("form", call_id=ref("id"))}],
    },
    "incoming_call": {"response": response("form"), "send_response": None},
}

# Only an answer callback, inside <outgoing_call>: no status callback, no incoming call.
PHONE_ANSWER_ONLY = """<connector for="PhoneCalls">
  <provider><url>https://voice.example.com</url></provider>
  <outgoing_call>
    <request><url>Calls</url></request>
    <callbacks><answer_callback><response><call_id use="id"/></response></answer_callback></callbacks>
  </outgoing_call>
</connector>
"""

PHONE_ANSWER_ONLY_MODEL: dict[str, Any] = {
    **NOTHING,
    "kind": "phone",
    "fields": [],
    "provider": {"url": "https://voice.example.com", "auth": None, "token": None},
    "name": "file-stem",
    "outgoing_call": {"request": request("POST", "Calls", 4), "response": response()},
    "answer_callback": {"response": response("form", call_id=ref("id")), "send_response": None},
}


@pytest.mark.parametrize(
    ("source", "model"),
    [
        (SMS_FULL, SMS_FULL_MODEL),
        (SMS_DEFAULTS, SMS_DEFAULTS_MODEL),
        (SMS_MINIMAL, SMS_MINIMAL_MODEL),
        (PHONE_FULL, PHONE_FULL_MODEL),
        (PHONE_ROOT_CALLBACKS, PHONE_ROOT_CALLBACKS_MODEL),
        (PHONE_ANSWER_ONLY, PHONE_ANSWER_ONLY_MODEL),
    ],
    ids=[
        "sms-full",
        "sms-defaults",
        "sms-minimal",
        "phone-full",
        "phone-root-callbacks",
        "phone-answer-only",
    ],
)
def test_the_built_model_is_exactly_what_the_xml_says(source: str, model: dict[str, Any]) -> None:
    result = parse_connector(source, name="file-stem")
    assert (result.errors, result.warnings, result.ok) == ([], [], True)
    assert plain(result.connector) == model
    # bytes in (what an upload is) build the same model
    assert plain(parse_connector(source.encode(), name="file-stem").connector) == model


@pytest.mark.parametrize(
    ("value", "truthy"),
    [
        (None, False),
        ("", False),
        ("true", True),
        (" TRUE ", True),
        ("1", True),
        ("Yes", True),
        ("no", False),
        ("0", False),
        ("false", False),
        ("y", False),
    ],
)
def test_truthy(value: str | None, truthy: bool) -> None:
    assert _truthy(value) is truthy


def test_load_connector_file_names_it_after_the_file_unless_it_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "my_gateway.xml"
    path.write_text(SMS_MINIMAL)
    assert load_connector_file(path).name == "my_gateway"
    assert load_connector_file(str(path)).name == "my_gateway"
    path.write_text(SMS_MINIMAL.replace('for="SMSNotifier"', 'for="SMSNotifier" name="Own name"'))
    assert load_connector_file(path).name == "Own name"


def test_load_connector_raises_with_every_error() -> None:
    bad = SMS_MINIMAL.replace("<request>", '<request method="fetch">').replace("<response/>", "")
    with pytest.raises(ConnectorInvalid) as info:
        load_connector(bad, name="x")
    assert [(e.line, e.column, e.message) for e in info.value.errors] == [
        (3, 3, "<message_send> is missing <response>"),
        (3, 26, "method='fetch' must be one of get, post, put, patch, delete"),
    ]
    assert load_connector(SMS_MINIMAL, name="x").name == "x"
    assert load_connector(SMS_MINIMAL).name == ""
    result = parse_connector(SMS_MINIMAL)
    assert result.connector is not None and result.connector.name == ""  # no name given, none in the file


def test_errors_of_an_uploaded_file_count_characters_not_bytes() -> None:
    # bytes (an upload) are decoded to find positions: "é" is one column, not two bytes
    source = SMS_MINIMAL.replace("<request>", '<!--é--><request method="fetch">')
    for doc in (source, source.encode()):
        result = parse_connector(doc)
        assert (result.connector, result.ok) == (None, False)
        assert [(e.line, e.column, e.message) for e in result.errors] == [
            (3, 34, "method='fetch' must be one of get, post, put, patch, delete")
        ]


def test_errors_of_a_utf16_upload_are_placed_as_in_utf8() -> None:
    # libxml2 reads a UTF-16 document with a BOM; its positions were once counted in its bytes
    # read as UTF-8 (garbage), and a strict decode would raise instead of reporting
    source = SMS_MINIMAL.replace("<request>", '<request method="fetch">')
    for encoding in ("utf-16", "utf-32"):
        result = parse_connector(source.encode(encoding))
        assert [(e.line, e.column, e.message) for e in result.errors] == [
            (3, 26, "method='fetch' must be one of get, post, put, patch, delete")
        ]
    assert parse_connector(SMS_MINIMAL.encode("utf-16"), name="u16").connector == load_connector(
        SMS_MINIMAL, name="u16"
    )


def test_the_size_limit_is_the_callers() -> None:
    result = parse_connector(SMS_MINIMAL, max_bytes=50)
    size = len(SMS_MINIMAL.encode())
    assert (result.connector, result.ok, result.warnings) == (None, False, [])
    assert [(e.line, e.column, e.message) for e in result.errors] == [
        (1, 1, f"document is {size} bytes; the limit is 50 bytes")
    ]
    assert parse_connector(SMS_MINIMAL, max_bytes=size).ok


def test_warnings_are_kept_whether_the_connector_builds_or_not() -> None:
    typo = SMS_MINIMAL.replace(
        "<provider>", '<config><fields><field name="a" presense="mandatory"/></fields></config>\n  <provider>'
    )
    result = parse_connector(typo)
    assert result.ok and result.connector is not None
    assert result.connector.fields[0].required is True
    warning = "'presense' read as 'presence' (a typo in Vtiger's sample connector); please write 'presence'"
    assert [(w.line, w.message) for w in result.warnings] == [(2, warning)]
    broken = parse_connector(typo.replace("<response/>", ""))
    assert broken.connector is None and not broken.ok
    assert [(w.line, w.message) for w in broken.warnings] == [(2, warning)]
    assert [e.message for e in broken.errors] == ["<message_send> is missing <response>"]
