"""Courier's own test cases for its External (EX) handler, as data.

Source: nyaruka/courier `handlers/external/handler_test.go` at commit 350e9350 (v26.3.38):
`TestIncoming` (28 cases) and `TestOutgoing` (47 case runs: some case lists run against
several channels, exactly as `TestOutgoing` runs them). Each case keeps courier's label and the
name of the Go variable it comes from, so a failure names the courier case.

Translation (and nothing else): courier's mock channel uuid and message uuid stand for the
channel created through our API and an outgoing message of ours; `http://example.com/send` is
the local fake aggregator; config keys are ours where they differ (`from_xpath` ->
`mo_from_xpath`, `text_xpath` -> `mo_text_xpath`, `headers` for `ConfigSendHeaders`).
Courier's `encoding: "S"` and MIME-type `content_type` values are passed as courier stores
them: the channel accepts both spellings. An `ExpectedError` of courier's (`ErrResponseStatus`,
`ErrConnectionThrottled`, `ErrResponseContent`) is an `errored` message here: retried later.
"""

from __future__ import annotations

from typing import Any

COURIER_CHANNEL = "8eb23e93-5ecb-45ba-b726-3b064e0c56ab"
COURIER_MSG = "019a0719-ac96-7eb9-a837-cac215164834"
RECEIVE = f"/c/ex/{COURIER_CHANNEL}/receive/"
STATUS = f"/c/ex/{COURIER_CHANNEL}"

# ---- incoming ------------------------------------------------------------------------------
# Channels of TestIncoming: (address, country, scheme, config)
INCOMING_CHANNELS: dict[str, dict[str, Any]] = {
    "testChannels": {"address": "2020", "country": "US", "config": {}},
    "testSOAPReceiveChannels": {
        "address": "2020",
        "country": "US",
        "config": {
            "mo_text_xpath": "//content",
            "mo_from_xpath": "//source",
            "mo_response": "<?xml version=“1.0”?><return>0</return>",
            "mo_response_content_type": "text/xml",
        },
    },
    "gmChannels": {"address": "2020", "country": "GM", "config": {}},
    "customChannels": {
        "address": "2020",
        "country": "US",
        "config": {
            "mo_from_field": "from_number",
            "mo_date_field": "timestamp",
            "mo_text_field": "messageText",
        },
    },
    "extChannels": {"address": "2020", "country": "GM", "config": {"scheme": "ext"}},
}


def _in(
    group: str, channel: str, label: str, url: str, status: int, contains: str, **kw: Any
) -> dict[str, Any]:
    return {
        "group": group,
        "channel": channel,
        "label": label,
        "url": url,
        "status": status,
        "contains": contains,
        **kw,
    }


SOAP_OK = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:com="com.hero">'
    "<soapenv:Header/><soapenv:Body><com:moRequest><source>2349067554729</source><content>Join</content>"
    "</com:moRequest></soapenv:Body></soapenv:Envelope>"
)
SOAP_MISSING = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:com="com.hero">'
    "<soapenv:Header/><soapenv:Body></soapenv:Body></soapenv:Envelope>"
)
NG = "tel:+2349067554729"
H, C = "handleTestCases", "testChannels"

INCOMING: list[dict[str, Any]] = [
    _in(H, C, "Receive Valid Message", RECEIVE + "?sender=%2B2349067554729&text=Join", 200, "Accepted",
        data="empty", text="Join", urn=NG),
    _in(H, C, "Receive Valid Post", RECEIVE, 200, "Accepted", data="sender=%2B2349067554729&text=Join",
        text="Join", urn=NG),
    _in(H, C, "Receive Valid Post multipart form", RECEIVE, 200, "Accepted",
        multipart={"sender": "2349067554729", "text": "Join"}, text="Join", urn=NG),
    _in(H, C, "Receive Valid From", RECEIVE + "?from=%2B2349067554729&text=Join", 200, "Accepted",
        data="empty", text="Join", urn=NG),
    _in(H, C, "Receive Country Parse", RECEIVE + "?from=2349067554729&text=Join", 200, "Accepted",
        data="empty", text="Join", urn=NG),
    _in(H, C, "Receive Valid Message With Date",
        RECEIVE + "?sender=%2B2349067554729&text=Join&date=2017-06-23T12:30:00.500Z", 200, "Accepted",
        data="empty", text="Join", urn=NG, date="2017-06-23T12:30:00.500000+00:00"),
    _in(H, C, "Receive Valid Message With Time",
        RECEIVE + "?sender=%2B2349067554729&text=Join&time=2017-06-23T12:30:00Z", 200, "Accepted",
        data="empty", text="Join", urn=NG, date="2017-06-23T12:30:00+00:00"),
    _in(H, C, "Invalid URN", RECEIVE + "?sender=MTN&text=Join", 400, "not a possible number", data="empty"),
    _in(H, C, "Receive No Params", RECEIVE, 400, "must have one of 'sender' or 'from' set", data="empty"),
    _in(H, C, "Receive No Sender", RECEIVE + "?text=Join", 400, "must have one of 'sender' or 'from' set",
        data="empty"),
    _in(H, C, "Receive Invalid Date", RECEIVE + "?sender=%2B2349067554729&text=Join&time=20170623T123000Z", 400,
        "invalid date format, must be RFC 3339", data="empty"),
    _in(H, C, "Failed No Params", STATUS + "/failed/", 400, "parameters id or uuid should not be empty"),
    _in(H, C, "Failed Valid", STATUS + f"/failed/?id={COURIER_MSG}", 200, '"status":"F"', msg_status="failed"),
    _in(H, C, "Invalid Status", STATUS + "/wired/", 404, "page not found"),
    _in(H, C, "Sent Valid", STATUS + f"/sent/?id={COURIER_MSG}", 200, '"status":"S"', msg_status="sent"),
    _in(H, C, "Delivered Valid", STATUS + f"/delivered/?id={COURIER_MSG}", 200, '"status":"D"', data="nothing",
        msg_status="delivered"),
    _in(H, C, "Delivered Valid Post", STATUS + "/delivered/", 200, '"status":"D"', data=f"id={COURIER_MSG}",
        msg_status="delivered"),
    _in(H, C, "Stopped Event", STATUS + "/stopped/?from=%2B2349067554729", 200, "Accepted", data="nothing",
        stopped=NG),
    _in(H, C, "Stopped Event Post", STATUS + "/stopped/", 200, "Accepted", data="from=%2B2349067554729",
        stopped=NG),
    _in(H, C, "Stopped Event Invalid URN", STATUS + "/stopped/?from=MTN", 400, "not a possible number",
        data="empty"),
    _in(H, C, "Stopped event No Params", STATUS + "/stopped/", 400, "field 'from' required"),
    _in("handleSOAPReceiveTestCases", "testSOAPReceiveChannels", "Receive Valid Post SOAP", RECEIVE, 200,
        "<?xml version=“1.0”?><return>0</return>", data=SOAP_OK, text="Join", urn=NG),
    _in("handleSOAPReceiveTestCases", "testSOAPReceiveChannels", "Receive Invalid SOAP", RECEIVE, 400,
        "missing from", data=SOAP_MISSING),
    _in("gmTestCases", "gmChannels", "Receive Non Plus Message", RECEIVE + "?sender=2207222333&text=Join", 200,
        "Accepted", data="empty", text="Join", urn="tel:+2207222333"),
    _in("customTestCases", "customChannels", "Receive Custom Message",
        RECEIVE + "?from_number=12067799192&messageText=Join&timestamp=2017-06-23T12:30:00Z", 200, "Accepted",
        data="empty", text="Join", urn="tel:+12067799192", date="2017-06-23T12:30:00+00:00"),
    _in("customTestCases", "customChannels", "Receive Custom Missing",
        RECEIVE + "?sent_from=12067799192&messageText=Join", 400, "must have one of 'sender' or 'from' set",
        data="empty"),
    _in("extReceiveTestCases", "extChannels", "Receive Valid Message", RECEIVE + "?sender=%2B2349067554729&text=Join",
        200, "Accepted", data="empty", text="Join", urn="ext:+2349067554729"),
    _in("extReceiveTestCases", "extChannels", "Receive Valid Message trim spaces",
        RECEIVE + "?sender=+2349067554729&text=Join", 200, "Accepted", data="empty", text="Join",
        urn="ext:2349067554729"),
]  # fmt: skip

# ---- outgoing ------------------------------------------------------------------------------
SEND = "http://example.com/send"
GET_URL = SEND + "?to={{to}}&text={{text}}&from={{from}}{{quick_replies}}"
FORM_BODY = "to={{to}}&text={{text}}&from={{from}}{{quick_replies}}"
JSON_BODY = '{ "to":{{to}}, "text":{{text}}, "from":{{from}}, "quick_replies":{{quick_replies}} }'
XML_BODY = (
    "<msg><to>{{to}}</to><text>{{text}}</text><from>{{from}}</from><quick_replies>{{quick_replies}}"
    "</quick_replies></msg>"
)
AUTH_HEADERS = {"Authorization": "Token ABCDEF", "foo": "bar"}

# The channels of TestOutgoing (all address "2020", country US, scheme tel).
OUTGOING_CHANNELS: dict[str, dict[str, Any]] = {
    "getChannel": {"send_url": GET_URL, "method": "GET"},
    "getSmartChannel": {"send_url": GET_URL, "encoding": "S", "method": "GET"},
    "postChannel": {"send_url": SEND, "body": FORM_BODY, "method": "POST"},
    "postChannelCustomContentType": {
        "send_url": SEND,
        "body": "to={{to_no_plus}}&text={{text}}&from={{from_no_plus}}{{quick_replies}}",
        "content_type": "application/x-www-form-urlencoded; charset=utf-8",
        "method": "POST",
    },
    "postSmartChannel": {"send_url": SEND, "body": FORM_BODY, "encoding": "S", "method": "POST"},
    "jsonChannel": {
        "send_url": SEND, "body": JSON_BODY, "content_type": "json", "method": "POST", "headers": AUTH_HEADERS,
    },
    "xmlChannel": {"send_url": SEND, "body": XML_BODY, "content_type": "xml", "method": "PUT"},
    "xmlChannelWithResponseContent": {
        "send_url": SEND, "body": XML_BODY, "mt_response_check": "<return>0</return>", "content_type": "xml",
        "method": "PUT",
    },
    "getChannel30IntLength": {"max_length": 30, "send_url": GET_URL, "method": "GET"},
    "getChannel30StrLength": {"max_length": "30", "send_url": GET_URL, "method": "GET"},
    "jsonChannel30IntLength": {
        "send_url": SEND, "max_length": 30, "body": JSON_BODY, "content_type": "json", "method": "POST",
        "headers": AUTH_HEADERS,
    },
    "xmlChannel30IntLength": {
        "send_url": SEND, "max_length": 30, "body": XML_BODY, "content_type": "xml", "method": "POST",
        "headers": AUTH_HEADERS,
    },
    "nationalChannel": {"send_url": GET_URL, "use_national": True, "method": "GET"},
    "jsonChannelWithSendAuthorization": {
        "send_url": SEND, "body": JSON_BODY, "content_type": "json", "method": "POST",
        "send_authorization": "Token ABCDEF",
    },
}  # fmt: skip

OK = (200, "0: Accepted for delivery")
URN = "tel:+250788383383"
FORM_CT = {"Content-Type": "application/x-www-form-urlencoded"}
JSON_CT = {"Authorization": "Token ABCDEF", "Content-Type": "application/json"}
XML_CT = {"Content-Type": "text/xml; charset=utf-8"}
QR3 = ["One", "Two", "Three"]
LONG = "This is a long message that will be longer than 30....... characters"
PIC = ["image/jpeg:https://foo.bar/image.jpg"]


def _fields(text: str, to: str = "+250788383383", **extra: list[str]) -> dict[str, list[str]]:
    return {"text": [text], "to": [to], "from": ["2020"], **extra}


def _json(text: str, replies: str = "[]") -> str:
    return '{ "to":"+250788383383", "text":' + text + ', "from":"2020", "quick_replies":' + replies + " }"


def _xml(text: str, replies: str = "") -> str:
    return (
        f"<msg><to>+250788383383</to><text>{text}</text><from>2020</from>"
        f"<quick_replies>{replies}</quick_replies></msg>"
    )


def _out(
    label: str,
    text: str,
    requests: list[dict[str, Any]],
    responses: list[tuple[int, str]] | None = None,
    error: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    return {"label": label, "text": text, "urn": URN, "responses": responses or [OK], "requests": requests,
            "error": error, **kw}  # fmt: skip


GET_SEND = [
    _out("Plain Send", "Simple Message", [{"headers": FORM_CT, "params": _fields("Simple Message")}]),
    _out("Unicode Send", "☺", [{"headers": FORM_CT, "params": _fields("☺")}]),
    _out("Error Sending", "Error Message", [{"headers": FORM_CT, "params": _fields("Error Message")}],
         [(401, "1: Unknown channel")], "ErrResponseStatus"),
    _out("Throttled", "Error Message", [{"headers": FORM_CT, "params": _fields("Error Message")}],
         [(429, "1: Unknown channel")], "ErrConnectionThrottled"),
    _out("Send Attachment", "My pic!", [{"headers": FORM_CT, "params": _fields("My pic!\nhttps://foo.bar/image.jpg")}],
         attachments=PIC),
]  # fmt: skip
GET_SMART = [
    _out(
        "Smart Encoding",
        "Fancy “Smart” Quotes",
        [{"headers": FORM_CT, "params": _fields('Fancy "Smart" Quotes')}],
    ),
]
POST_SEND = [
    _out("Plain Send", "Simple Message", [{"headers": FORM_CT, "form": _fields("Simple Message")}]),
    _out("Unicode Send", "☺", [{"headers": FORM_CT, "form": _fields("☺")}]),
    _out("Error Sending", "Error Message", [{"headers": FORM_CT, "form": _fields("Error Message")}],
         [(401, "1: Unknown channel")], "ErrResponseStatus"),
    _out("Send Attachment", "My pic!", [{"headers": FORM_CT, "form": _fields("My pic!\nhttps://foo.bar/image.jpg")}],
         attachments=PIC),
]  # fmt: skip
POST_SMART = [
    _out(
        "Smart Encoding",
        "Fancy “Smart” Quotes",
        [{"headers": FORM_CT, "form": _fields('Fancy "Smart" Quotes')}],
    ),
]
POST_CUSTOM = [
    _out("Plain Send", "Simple Message", [{
        "headers": {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        "form": _fields("Simple Message", to="250788383383"),
    }]),
]  # fmt: skip
JSON_SEND = [
    _out("Plain Send", "Simple Message", [{"headers": JSON_CT, "body": _json('"Simple Message"')}]),
    _out("Unicode Send", '☺ "hi!"', [{"headers": JSON_CT, "body": _json('"☺ \\"hi!\\""')}]),
    _out("Error Sending", "Error Message", [{"headers": JSON_CT, "body": _json('"Error Message"')}],
         [(401, "1: Unknown channel")], "ErrResponseStatus"),
    _out("Send Attachment", "My pic!", [{"headers": JSON_CT, "body": _json('"My pic!\\nhttps://foo.bar/image.jpg"')}],
         attachments=PIC),
    _out("Send Quick Replies", "Some message",
         [{"headers": JSON_CT, "body": _json('"Some message"', '["One","Two","Three"]')}], quick_replies=QR3),
]  # fmt: skip
XML_SEND = [
    _out("Plain Send", "Simple Message", [{"headers": XML_CT, "body": _xml("Simple Message")}]),
    _out("Unicode Send", "☺", [{"headers": XML_CT, "body": _xml("☺")}]),
    _out("Error Sending", "Error Message", [{"headers": XML_CT, "body": _xml("Error Message")}],
         [(401, "1: Unknown channel")], "ErrResponseStatus"),
    _out("Send Attachment", "My pic!", [{"headers": XML_CT, "body": _xml("My pic!&#xA;https://foo.bar/image.jpg")}],
         attachments=PIC),
    _out("Send Quick Replies", "Some message",
         [{"headers": XML_CT, "body": _xml("Some message", "<item>One</item><item>Two</item><item>Three</item>")}],
         quick_replies=QR3),
]  # fmt: skip
RET0, RET1 = (200, "<return>0</return>"), (200, "<return>1</return>")
XML_RESPONSE_CONTENT = [
    _out("Plain Send", "Simple Message", [{"headers": XML_CT, "body": _xml("Simple Message")}], [RET0]),
    _out("Unicode Send", "☺", [{"headers": XML_CT, "body": _xml("☺")}], [RET0]),
    _out("Error Sending", "Error Message", [{"headers": XML_CT, "body": _xml("Error Message")}],
         [(401, "<return>0</return>")], "ErrResponseStatus"),
    _out("Error Sending with 200 status code", "Error Message", [{"headers": XML_CT, "body": _xml("Error Message")}],
         [RET1], "ErrResponseContent"),
    _out("Send Attachment", "My pic!", [{"headers": XML_CT, "body": _xml("My pic!&#xA;https://foo.bar/image.jpg")}],
         [RET0], attachments=PIC),
    _out("Send Quick Replies", "Some message",
         [{"headers": XML_CT, "body": _xml("Some message", "<item>One</item><item>Two</item><item>Three</item>")}],
         [RET0], quick_replies=QR3),
]  # fmt: skip
LONG_SEND = [
    _out("Long Send", LONG, [
        {"params": _fields("This is a long message that")},
        {"params": _fields("will be longer than 30.......")},
        {"params": _fields("characters", quick_reply=["One"])},
    ], [OK, OK, OK], quick_replies=["One"]),
]  # fmt: skip
JSON_LONG = [
    _out("Send Long message JSON", LONG, [
        {"headers": JSON_CT, "body": _json('"This is a long message that"')},
        {"headers": JSON_CT, "body": _json('"will be longer than 30......."')},
        {"headers": JSON_CT, "body": _json('"characters"', '["One","Two","Three"]')},
    ], [OK, OK, OK], quick_replies=QR3),
]  # fmt: skip
XML_LONG = [
    _out("Send Long message XML", LONG, [
        {"headers": XML_CT, "body": _xml("This is a long message that")},
        {"headers": XML_CT, "body": _xml("will be longer than 30.......")},
        {"headers": XML_CT, "body": _xml("characters", "<item>One</item><item>Two</item><item>Three</item>")},
    ], [OK, OK, OK], quick_replies=QR3),
]  # fmt: skip
NATIONAL_GET = [
    _out(
        "Plain Send",
        "Simple Message",
        [{"headers": FORM_CT, "params": _fields("Simple Message", to="788383383")}],
    ),
]

# TestOutgoing's RunOutgoingTestCases calls, in order: (channel, case list name, cases).
OUTGOING_RUNS: list[tuple[str, str, list[dict[str, Any]]]] = [
    ("getChannel", "getSendTestCases", GET_SEND),
    ("getSmartChannel", "getSendTestCases", GET_SEND),
    ("getSmartChannel", "getSendSmartEncodingTestCases", GET_SMART),
    ("postChannel", "postSendTestCases", POST_SEND),
    ("postChannelCustomContentType", "postSendCustomContentTypeTestCases", POST_CUSTOM),
    ("postSmartChannel", "postSendTestCases", POST_SEND),
    ("postSmartChannel", "postSendSmartEncodingTestCases", POST_SMART),
    ("jsonChannel", "jsonSendTestCases", JSON_SEND),
    ("xmlChannel", "xmlSendTestCases", XML_SEND),
    ("xmlChannelWithResponseContent", "xmlSendWithResponseContentTestCases", XML_RESPONSE_CONTENT),
    ("getChannel30IntLength", "longSendTestCases", LONG_SEND),
    ("getChannel30StrLength", "longSendTestCases", LONG_SEND),
    ("jsonChannel30IntLength", "jsonLongSendTestCases", JSON_LONG),
    ("xmlChannel30IntLength", "xmlLongSendTestCases", XML_LONG),
    ("nationalChannel", "nationalGetSendTestCases", NATIONAL_GET),
    ("jsonChannelWithSendAuthorization", "jsonSendTestCases", JSON_SEND),
]
