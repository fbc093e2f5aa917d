"""Courier's handler test cases for Clickatell, Kannel, Jasmin, ... (batch A of issue 25), as data.

Source: nyaruka/courier at 350e9350 (v26.3.38), `handlers/<name>/handler_test.go`. Labels are
courier's; helpers, translations and the `gap`/`ours` conventions are those of
`provider_cases.py` and `more_provider_cases.py` (send outcomes: a 4xx answer fails the message,
429, 5xx and an unreadable or id-less 2xx answer leave it errored for a retry). In expected
request values `{uuid}` is our message uuid and `{callback}` the channel's callback URL.
"""

from __future__ import annotations

import json
from typing import Any

from tests.aggregators.external.provider_cases import COURIER_MSG, LONG_PARTS, LONG_TEXT, rx, st, tx

CT_MO = {"messageId": "1234", "fromNumber": "250788383383", "timestamp": 1516217711000, "text": "Hello World!",
         "charset": "UTF-8"}  # fmt: skip
CT_UTF16 = (
    "%00m%00e%00x%00i%00c%00o%00+%00k%00+%00m%00i%00s%00+%00p%00a%00p%00a%00s%00+%00n%00o%00+%00t%00e%00n%00%ED"
    "%00a%00+%00d%00i%00n%00e%00r%00o%00+%00p%00a%00r%00a%00+%00c%00o%00m%00p%00r%00a%00r%00n%00o%00s%00+%00l%00o"
    "%00+%00q%00+%00q%00u%00e%00r%00%ED%00a%00m%00o%00s%00.%00."
)
CT_DATE = "2018-01-17T19:35:11+00:00"
CT_PARAMS = {"to": "250788383383", "from": "2020", "apiKey": "API-KEY"}
CT_OK = (
    '{"messages":[{"apiMessageId":"id1002","accepted":true,"to":"12067799299","error":null}],"error":null}'
)
CT_REFUSED = '{"messages":[],"error":"Two-Way integration error - From number is not related to integration"}'
CLICKATELL: list[dict[str, Any]] = [
    rx("Valid Receive", json.dumps(CT_MO), 200, "Accepted", text="Hello World!", urn="tel:+250788383383",
       external_id="1234", date=CT_DATE),
    rx("Valid Receive ISO-8859-1", json.dumps({**CT_MO, "text": "hello%21", "charset": "ISO-8859-1"}), 200,
       "Accepted", text="hello!", urn="tel:+250788383383", external_id="1234", date=CT_DATE),
    rx("Invalid URN", json.dumps({**CT_MO, "fromNumber": "MTN"}), 400, "not a possible number"),
    # "foo" goes as a form post (courier's harness guesses the type from the body): no sender in it
    rx("Error invalid JSON", "foo", 400, "unable to parse request JSON", ours="no sender"),
    rx("Error missing JSON", "{}", 400, "missing one of 'messageId", ours="no sender"),
    rx("Valid Receive UTF-16BE", json.dumps({**CT_MO, "text": CT_UTF16, "charset": "UTF-16BE"}), 200, "Accepted",
       text="mexico k mis papas no tenýa dinero para comprarnos lo q querýamos..", urn="tel:+250788383383",
       external_id="1234", date=CT_DATE,
       gap="courier reads byte 0xED as U+FFFD and keeps its low byte (ý); we decode the bytes sent (í)"),
    st("Valid Failed status report", '{"messageId": "msg1", "statusCode": 5}', 200, '"status":"F"',
       external_id="msg1", msg_status="failed"),
    st("Valid Delivered status report", '{"messageId": "msg1", "statusCode": 4}', 200, '"status":"S"',
       external_id="msg1", msg_status="sent"),
    st("Unexpected status report", '{"messageId": "msg1", "statusCode": -1}', 400, "unknown status '-1'",
       external_id="msg1"),
    st("Invalid status report", "{}", 400, "missing one of 'messageId'", ours="no message id"),
    st("Invalid JSON", "foo", 400, "unable to parse request JSON", ours="no message id"),
    tx("Plain Send", "Simple Message", [(200, CT_OK)], "sent", params={**CT_PARAMS, "content": "Simple Message"},
       external_id="id1002"),
    tx("Unicode Send", "Unicode ☺", [(200, CT_OK)], "sent", params={**CT_PARAMS, "content": "Unicode ☺"},
       external_id="id1002"),
    tx("Send Attachment", "My pic!", [(200, CT_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       params={**CT_PARAMS, "content": "My pic!\nhttps://foo.bar/image.jpg"}, external_id="id1002"),
    tx("Error Sending", "Error Message", [(400, "Error")], "failed", params={**CT_PARAMS, "content": "Error Message"}),
    tx("Throttled", "Error Message", [(429, "Error")], "errored", params={**CT_PARAMS, "content": "Error Message"}),
    tx("Error Response", "Error Message", [(200, CT_REFUSED)], "errored",
       params={**CT_PARAMS, "content": "Error Message"}),
]  # fmt: skip

KN_MO = "backend=NIG_MTN&sender=%2B2349067554729&message=Join&ts=1493735509&id=asdf-asdf&to=24453"
KN_DATE = "2017-05-02T14:31:49+00:00"
KN_PARAMS = {"to": "+250788383383", "from": "2020", "dlr-mask": "27", "dlr-url": "{callback}?uuid={uuid}&status=%d",
             "username": "Username", "password": "Password"}  # fmt: skip
KN_OK = "0: Accepted for delivery"
# Courier's Kannel tests posting "empty" with the fields in the URL; its second and third channels
# (`ignore_sent`, a send URL with its own parameters, `use_national`) are other configurations
# of one connector and are not ported.
KANNEL: list[dict[str, Any]] = [
    rx("Receive Valid Message", "empty", 200, "Accepted", query=KN_MO, text="Join", urn="tel:+2349067554729",
       external_id="asdf-asdf", date=KN_DATE),
    rx("Receive KI Message", "empty", 200, "Accepted", query=KN_MO.replace("2349067554729", "68673076228"),
       text="Join", urn="tel:+68673076228", external_id="asdf-asdf", date=KN_DATE),
    rx("Receive Empty Message", "empty", 200, "Accepted", query=KN_MO.replace("message=Join", "message="), text="",
       urn="tel:+2349067554729", external_id="asdf-asdf", date=KN_DATE),
    rx("Receive No Params", "empty", 400, "field 'sender' required", ours="no sender"),
    rx("Invalid URN", "empty", 400, "not a possible number", query=KN_MO.replace("%2B2349067554729", "MTN")),
    st("Status No Params", None, 400, "field 'status' required",
       gap="a callback without parameters is a URL check for us (answered 200, nothing changed)"),
    st("Status Unknown", None, 200, "ignoring unknown status '66'", query=f"uuid={COURIER_MSG}&status=66",
       msg_status="sent"),
    st("Status Zero", None, 400, "field 'status' required", query=f"uuid={COURIER_MSG}&status=0",
       gap="status 0 is an unknown status for us (logged and ignored, 200), courier reads it as missing"),
    st("Status Valid by UUID", None, 200, '"status":"S"', query=f"uuid={COURIER_MSG}&status=4",
       msg_status="sent"),
    st("Write Status Delivered", None, 200, '"status":"D"', query=f"uuid={COURIER_MSG}&status=1",
       msg_status="delivered"),
    tx("Plain Send", "Simple Message", [(200, KN_OK)], "sent", params={**KN_PARAMS, "text": "Simple Message"}),
    tx("Unicode Send", "☺", [(200, KN_OK)], "sent",
       params={**KN_PARAMS, "text": "\x26\x3a", "coding": "2"}),
    tx("Unicode Send Mixed", "Hi ☺", [(200, KN_OK)], "sent",
       params={**KN_PARAMS, "text": "\x00H\x00i\x00 \x26\x3a", "coding": "2"}),
    tx("Smart Encoding", "Fancy “Smart” Quotes", [(200, KN_OK)], "sent",
       params={**KN_PARAMS, "text": 'Fancy "Smart" Quotes'}),
    tx("Not Routable", "Not Routable", [(403, "Not routable. Do not try again.")], "failed",
       params={**KN_PARAMS, "text": "Not Routable"}),
    tx("Throttled", "Not Routable", [(429, "Not routable. Do not try again.")], "errored",
       params={**KN_PARAMS, "text": "Not Routable"}),
    tx("Error Sending", "Error Message", [(401, "1: Unknown channel")], "failed",
       params={**KN_PARAMS, "text": "Error Message"}),
    tx("Send Attachment", "My pic!", [(200, KN_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       params={**KN_PARAMS, "text": "My pic!\nhttps://foo.bar/image.jpg", "priority": "1"},
       gap="courier's message is high priority (priority=1); Flowgate messages have no priority"),
]  # fmt: skip

JS_MO = "content=%05v%05nement&coding=0&From=2349067554729&To=2349067554711&id=1001"
JS_PARAMS = {"to": "250788383383", "from": "2020", "dlr-level": "2", "dlr": "yes", "dlr-method": "POST",
             "username": "Username", "password": "Password", "dlr-url": "{callback}"}  # fmt: skip
JS_OK = 'Success "External ID1"'
JASMIN: list[dict[str, Any]] = [
    rx("Receive Valid Message", JS_MO, 200, "ACK/Jasmin", text="événement", urn="tel:+2349067554729",
       external_id="1001"),
    rx("Receive Missing To", JS_MO.replace("&To=2349067554711", ""), 400, "field 'to' required", ours="no to"),
    rx("Invalid URN", JS_MO.replace("From=2349067554729", "From=MTN"), 400, "not a possible number"),
    st("Status Delivered", "id=external1&dlvrd=1", 200, "ACK/Jasmin", external_id="external1", msg_status="delivered"),
    st("Status Delivered via message_status", "id=external1&dlvrd=001&message_status=DELIVRD", 200, "ACK/Jasmin",
       external_id="external1", msg_status="delivered"),
    st("Status Accepted", "id=external1&dlvrd=001&message_status=ACCEPTD", 200, "ACK/Jasmin", external_id="external1",
       msg_status="sent"),
    st("Status Failed", "id=external1&err=1", 200, "ACK/Jasmin", external_id="external1", msg_status="failed",
       gap="a report with err=1 and neither message_status nor dlvrd: the status falls back to one path only"),
    st("Status Missing", "nothing", 400, "field 'id' required", ours="no message id"),
    st("Status Unknown", "id=external1&err=0&dlvrd=0", 400,
       "must have a known message_status or either dlvrd or err set to 1", ours="unknown status '0'",
       external_id="external1"),
    tx("Plain Send", "Simple Message", [(200, JS_OK)], "sent", params={**JS_PARAMS, "content": "Simple Message",
       "coding": "0"}, external_id="External ID1"),
    tx("Unicode Send", "☺", [(200, JS_OK)], "sent", params={**JS_PARAMS, "hex-content": "263a", "coding": "8"},
       external_id="External ID1"),
    tx("Smart Encoding", "Fancy “Smart” Quotes", [(200, JS_OK)], "sent",
       params={**JS_PARAMS, "content": 'Fancy "Smart" Quotes', "coding": "0"}, external_id="External ID1"),
    tx("Send Attachment", "My pic!", [(200, JS_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       params={**JS_PARAMS, "content": "My pic!\nhttps://foo.bar/image.jpg", "coding": "0"},
       external_id="External ID1"),
    tx("Error Sending", "Error Message", [(401, "Failed Sending")], "failed",
       params={**JS_PARAMS, "content": "Error Message", "coding": "0"}),
    tx("Throttled", "Error Message", [(429, "Failed Sending")], "errored",
       params={**JS_PARAMS, "content": "Error Message", "coding": "0"}),
]  # fmt: skip

MBD_MO = ("receiver=18005551515&body=Test+again&date=1690386569&date_utc=1690418969&reference=1"
          "&id=b6aae1b5dfb2427a8f7ea6a717ba31a9&id=3b53c137369242138120d6b0b2122607&recipient=18005551515"
          "&originator=18885551515&body=Test+3&CreatedDatetime=2023-07-27T00%3A49%3A29%2B00%3A00")  # fmt: skip
MBD_SHORTCODE = ("shortcode=51515&message=Test+again&date=1690386569&date_utc=1690418969&reference=1"
                 "&id=b6aae1b5dfb2427a8f7ea6a717ba31a9&mid=3b53c137369242138120d6b0b2122607&recipient=18005551515"
                 "&originator=18885551515&body=Test+3&receive_datetime=20230727004929")  # fmt: skip
MBD_MMS = ("receiver=18005551515&message=Test+again&date=1690386569&date_utc=1690418969&reference=1"
           "&id=b6aae1b5dfb2427a8f7ea6a717ba31a9&message_id=3b53c137369242138120d6b0b2122607&recipient=18005551515"
           "&originator=18885551515&mediaURLs=https%3A%2F%2Ffoo.bar%2Fimage.jpg"
           "&CreatedDatetime=2023-07-27T00%3A49%3A29%2B00%3A00")  # fmt: skip
MBD_EMPTY = "originator=18885551515&recipient=18005551515&&CreatedDatetime=2023-07-27T00%3A49%3A29%2B00%3A00"
MBD_STATUS = ("datacoding=plain&id=b6aae1b5dfb2427a8f7ea6a717ba31a9&mccmnc=310010&messageLength=4&messagePartCount=1"
              "&ported=0&price%5Bamount%5D=0.000&price%5Bcurrency%5D=USD&recipient=18885551515"
              f"&reference={COURIER_MSG}&statusDatetime=2023-07-28T17%3A57%3A12%2B00%3A00")  # fmt: skip
MBD_DATE = "2023-07-27T00:49:29+00:00"
MBD_OK = json.dumps({"id": "efa6405d518d4c0c88cce11f7db775fb", "href": "https://rest.messagebird.com/mms/efa6405d518d4c0c88cce11f7db775fb",
                     "direction": "mt", "originator": "+188885551515", "subject": "Great logo",
                     "reference": "the-customers-reference", "mediaUrls": ["https://www.messagebird.com/assets/images/og/messagebird.gif"],
                     "recipients": {"totalCount": 1, "totalSentCount": 1}})  # fmt: skip
MBD_HEADERS = {"Content-Type": "application/json", "Authorization": "AccessKey authtoken"}
MBD_ID = "efa6405d518d4c0c88cce11f7db775fb"


def _mbd_body(text: str = "", media: list[str] | None = None) -> dict[str, Any]:
    # courier sends to tel:188885551515; our harness always sends to +250788383383
    body: dict[str, Any] = {
        "recipients": ["250788383383"],
        "reference": "{uuid}",
        "originator": "18005551212",
    }
    if text:
        body["body"] = text
    if media:
        body["mediaUrls"] = media
    return body


# Not ported: the cases of courier's MessageBird signatures (`Messagebird-Signature-Jwt`, a JWT
# over hashes of the URL and the body); `<signature>` has no JWT scheme yet.
MESSAGEBIRD: list[dict[str, Any]] = [
    rx("Receive Valid text w Signature", MBD_MO, 200, "OK", text="Test 3", urn="tel:+18885551515", date=MBD_DATE,
       gap="a repeated form field: courier keeps the last value (body=Test 3), Flowgate the first"),
    rx("Receive Valid text w shortcode date", MBD_SHORTCODE, 200, "OK", text="Test again", urn="tel:+18885551515",
       date=MBD_DATE),
    rx("Receive Valid w image w Signature", MBD_MMS, 200, "OK", urn="tel:+18885551515", date=MBD_DATE,
       attachments=["https://foo.bar/image.jpg"]),
    rx("Empty Body", MBD_EMPTY, 400, "no text or media", ours="no text"),
    st("Status Valid", None, 200, "", query=MBD_STATUS + "&status=sent", msg_status="sent"),
    st("Status- Stop Received", None, 200, "", query=MBD_STATUS + "&status=delivery_failed&statusErrorCode=103",
       msg_status="failed", stopped=True),
    st("Receive Invalid Status", None, 400, "unknown status 'expiryttd'", query=MBD_STATUS + "&status=expiryttd"),
    tx("Plain Send", "Simple Message ☺", [(200, MBD_OK)], "sent", headers=MBD_HEADERS,
       json=_mbd_body("Simple Message ☺"), path="/messages", external_id=MBD_ID),
    tx("Send with text and image", "Simple Message ☺", [(200, MBD_OK)], "sent",
       attachments=["image/jpeg:https://foo.bar/image.jpg"], headers=MBD_HEADERS,
       json=_mbd_body("Simple Message ☺", ["https://foo.bar/image.jpg"]), path="/mms", external_id=MBD_ID),
    tx("Send with image only", "", [(200, MBD_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       headers=MBD_HEADERS, json=_mbd_body(media=["https://foo.bar/image.jpg"]), path="/mms", external_id=MBD_ID),
    tx("Send with two images", "", [(200, MBD_OK)], "sent",
       attachments=["image/jpeg:https://foo.bar/image.jpg", "image/jpeg:https://foo.bar/image2.jpg"],
       headers=MBD_HEADERS, json=_mbd_body(media=["https://foo.bar/image.jpg", "https://foo.bar/image2.jpg"]),
       path="/mms", external_id=MBD_ID),
    tx("Send with video only", "", [(200, MBD_OK)], "sent", attachments=["video/mp4:https://foo.bar/movie.mp4"],
       headers=MBD_HEADERS, json=_mbd_body(media=["https://foo.bar/movie.mp4"]), path="/mms", external_id=MBD_ID),
    tx("Send with pdf", "", [(200, MBD_OK)], "sent", attachments=["application/pdf:https://foo.bar/document.pdf"],
       headers=MBD_HEADERS, json=_mbd_body(media=["https://foo.bar/document.pdf"]), path="/mms", external_id=MBD_ID),
    tx("500 on Send", "Simple Message ☺", [(500, MBD_OK)], "errored", headers=MBD_HEADERS,
       json=_mbd_body("Simple Message ☺"), path="/messages"),
    tx("404 on Send", "Simple Message ☺", [(404, MBD_OK)], "failed", headers=MBD_HEADERS,
       json=_mbd_body("Simple Message ☺"), path="/messages"),
    tx("Throttled", "Simple Message ☺", [(429, MBD_OK)], "errored", headers=MBD_HEADERS,
       json=_mbd_body("Simple Message ☺"), path="/messages"),
]  # fmt: skip

BW_MEDIA = (
    "https://messaging.bandwidth.com/api/v2/users/{accountId}/media/14762070468292kw2fuqty55yp2b2/0/bw.png"
)
BW_MO = {"type": "message-received", "time": "2016-09-14T18:20:16Z", "description": "Incoming message received",
         "to": "12345678902", "message": {"id": "14762070468292kw2fuqty55yp2b2", "time": "2016-09-14T18:20:16Z",
         "to": ["+12345678902"], "from": "+12065551234", "text": "hello world",
         "applicationId": "93de2206-9669-4e07-948d-329f4b722ee2", "media": [BW_MEDIA], "owner": "+12345678902",
         "direction": "in", "segmentCount": 1}}  # fmt: skip


def _bw_mo(**message: Any) -> str:
    item = {**BW_MO, "message": {**BW_MO["message"], **message}}
    if "time" in message:
        item["time"] = message["time"]
    return json.dumps([item])


def _bw_status(kind: str, msg_id: str, **extra: Any) -> str:
    return json.dumps([{"time": "2020-06-25T18:42:36.979Z", "type": kind, "to": "+15554443333",
                        "description": "Message is sending to carrier", **extra,
                        "message": {"id": msg_id, "owner": "+15552221111", "direction": "out", "to": ["+15554443333"],
                                    "from": "+15552221111", "text": "", "segmentCount": 1}}])  # fmt: skip


BW_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Authorization": "Basic dXNlcjE6cGFzczE=",
}
BW_OK = '{"id": "55555"}'
BW_REFUSED = '{ "type": "request-validation", "description": "Your request could not be accepted" }'


def _bw_body(text: str, media: list[str] | None = None) -> dict[str, Any]:
    # courier sends to tel:+12067791234; our harness always sends to +250788383383
    body: dict[str, Any] = {
        "applicationId": "application-id",
        "to": ["+250788383383"],
        "from": "2020",
        "text": text,
    }
    if media:
        body["media"] = media
    return body


BANDWIDTH: list[dict[str, Any]] = [
    rx("Receive Valid", _bw_mo(), 200, "Accepted", text="hello world", urn="tel:+12065551234",
       external_id="14762070468292kw2fuqty55yp2b2", attachments=[BW_MEDIA]),
    rx("Invalid URN", _bw_mo(**{"from": "MTN"}), 400, "not a possible number"),
    # courier's second "Invalid URN" case is about the date (its sender is MTN too)
    rx("Invalid URN", _bw_mo(**{"from": "MTN", "time": "2016-09-14 18:20:16"}), 400, "invalid date format",
       gap="a date with a space instead of T is accepted; this post is refused for its sender (MTN) instead"),
    st("Invalid Status", _bw_status("message-bla", "12345"), 400, "unknown status 'message-bla'", external_id="12345"),
    st("Status delivered", _bw_status("message-sending", "12345"), 200, '"status":"S"', external_id="12345",
       msg_status="sent"),
    st("Status delivered", _bw_status("message-delivered", "12345", description="ok"), 200, '"status":"D"',
       external_id="12345", msg_status="delivered"),
    st("Status failed", _bw_status("message-failed", "14762070468292kw2fuqty55yp2b2", errorCode=4432,
       description="forbidden to country"), 200, '"status":"F"', external_id="14762070468292kw2fuqty55yp2b2",
       msg_status="failed"),
    tx("Plain send", "Simple Message ☺", [(200, BW_OK)], "sent", headers=BW_HEADERS, json=_bw_body("Simple Message ☺"),
       path="/api/v2/users/accound-id/messages", external_id="55555"),
    tx("Attachment", "My pic!", [(200, BW_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       headers=BW_HEADERS, json=_bw_body("My pic!", ["https://foo.bar/image.jpg"]), external_id="55555"),
    tx("Send Attachment no text", "", [(200, BW_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       headers=BW_HEADERS, json=_bw_body("", ["https://foo.bar/image.jpg"]), external_id="55555"),
    tx("No External ID", "No External ID", [(200, "{}")], "sent", headers=BW_HEADERS, json=_bw_body("No External ID")),
    tx("Error sending", "Error Message", [(401, BW_REFUSED)], "failed", headers=BW_HEADERS,
       json=_bw_body("Error Message")),
    tx("Throttled", "Error Message", [(429, BW_REFUSED)], "errored", headers=BW_HEADERS, json=_bw_body("Error Message")),
]  # fmt: skip


def _zv_mo(content: dict[str, Any], timestamp: str = "2017-05-03T03:04:45Z", msg_id: str = "string") -> str:
    return json.dumps({"id": "string", "timestamp": timestamp,
                       "message": {"id": msg_id, "from": "254791541111", "to": "2020", "contents": [content],
                                   "visitor": {"name": "Bob"}}})  # fmt: skip


def _zv_status(code: str) -> str:
    return json.dumps({"id": "string", "messageId": "hs765939216",
                       "messageStatus": {"timestamp": "2021-03-12T12:15:31Z", "code": code}})  # fmt: skip


ZV_DATE = "2017-05-03T03:04:45+00:00"
ZV_HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "X-API-TOKEN": "zv-api-token"}
ZV_OK = '{"id": "55555"}'
ZV_URN = "courier's SMS channel stores a whatsapp: URN; ours is the tel: URN of the SMS sender"


def _zv_body(*parts: str) -> dict[str, Any]:
    return {"from": "2020", "to": "250788383383", "contents": [{"type": "text", "text": p} for p in parts]}


# courier's Zenvia SMS (ZVS) channel; its WhatsApp channel (ZVW) is not an SMS aggregator
ZENVIA: list[dict[str, Any]] = [
    rx("Receive Valid", _zv_mo({"text": "Msg", "payload": "string"}), 200, "Message Accepted", text="Msg",
       urn="whatsapp:254791541111", date=ZV_DATE, gap=ZV_URN),
    rx("Receive file Valid", _zv_mo({"fileUrl": "https://foo.bar/v1/media/41"}), 200, "Message Accepted", text="",
       attachments=["https://foo.bar/v1/media/41"], urn="whatsapp:254791541111", date=ZV_DATE, gap=ZV_URN),
    rx("Receive location Valid", _zv_mo({"longitude": 1.00, "latitude": 0.00}), 200, "Message Accepted", text="",
       attachments=["geo:0.000000,1.000000"], urn="whatsapp:254791541111", date=ZV_DATE,
       gap=ZV_URN + "; a location content is not turned into a geo: attachment"),
    # "empty" goes as a form post (courier's harness guesses the type from the body): no sender in it
    rx("Not JSON body", "empty", 400, "unable to parse request JSON", ours="no sender"),
    rx("Wrong JSON schema", "{}", 400, "request JSON doesn't match required schema", ours="no sender"),
    rx("Missing field", _zv_mo({"text": "Msg", "payload": "string"}, msg_id=""), 400,
       "validation for 'ID' failed on the 'required'", ours="no message_id"),
    rx("Bad Date", _zv_mo({"text": "Msg", "payload": "string"}, timestamp="2014-08-26T12:55:48.593-03:00"), 400,
       "invalid date format", gap="an ISO 8601 date with an offset is accepted; courier wants UTC with Z"),
    st("Valid Status", _zv_status("SENT"), 200, "Accepted", external_id="hs765939216", msg_status="sent"),
    st("Unknown Status", _zv_status("FOO"), 200, "Accepted", external_id="hs765939216", msg_status="errored",
       gap="an unknown status is logged and ignored; courier marks the message errored"),
    st("Not JSON body", "empty", 400, "unable to parse request JSON", ours="no message id"),
    st("Wrong JSON schema", "{}", 400, "request JSON doesn't match required schema", ours="no message id"),
    tx("Plain Send", "Simple Message ☺", [(200, ZV_OK)], "sent", headers=ZV_HEADERS, json=_zv_body("Simple Message ☺"),
       external_id="55555"),
    tx("Long Send", LONG_TEXT, [(200, ZV_OK)], "sent", headers=ZV_HEADERS, json=_zv_body(*LONG_PARTS),
       external_id="55555",
       gap="courier sends the 160-character parts as several contents of one request; we send one content"),
    tx("Send Attachment", "My pic!", [(200, ZV_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       headers=ZV_HEADERS, json=_zv_body("My pic!\nhttps://foo.bar/image.jpg"), external_id="55555"),
    tx("No External ID", "No External ID", [(200, '{"code": "400","message": "Validation error","details": '
       '[{"code": "400","path": "Error","message": "Error description"}]}')], "errored", headers=ZV_HEADERS,
       json=_zv_body("No External ID")),
    tx("Error Sending", "Error Message", [(401, '{ "error": "failed" }')], "failed", json=_zv_body("Error Message")),
]  # fmt: skip

WV_MO = {"id": "external_id", "subAccount": "iFoodMarketing", "campaignAlias": "iFoodPromo", "carrierId": 1,
         "carrierName": "VIVO", "source": "5516981562820", "shortCode": "2020", "messageText": "Eu quero pizza",
         "receivedAt": 1459991487970, "receivedDate": "2016-09-05T12:13:25Z",
         "mt": {"id": "8be584fd-2554-439b-9ba9-aab507278992", "correlationId": "1876", "username": "iFoodCS",
                "email": "customer.support@ifood.com"}}  # fmt: skip
WV_REPORT = {"id": "58b36497-fb0f-474c-9c35-20b184ac4227", "correlationId": "12345"}
WV_HEADERS = {"Content-Type": "application/json", "Accept": "application/json", "username": "user1",
              "authenticationtoken": "token"}  # fmt: skip
# Courier's Wavy channel takes reports at /sent and /delivered; both go to the channel's /callback.
WAVY: list[dict[str, Any]] = [
    rx("Receive Message", json.dumps(WV_MO), 200, "Message Accepted", text="Eu quero pizza", urn="tel:+5516981562820",
       external_id="external_id", date="2016-04-07T01:11:27.970+00:00"),
    # "blargh" goes as a form post (courier's harness guesses the type from the body): no sender in it
    rx("Invalid JSON receive", "blargh", 400, "unable to parse request JSON", ours="no sender"),
    rx("Missing Keys receive", "{}", 400, "validation for 'ID' failed on the 'required'", ours="no sender"),
    st("Sent Status Valid", json.dumps({**WV_REPORT, "sentStatusCode": 2, "sentStatus": "SENT_SUCCESS"}), 200,
       "Status Update Accepted", external_id="12345", msg_status="sent"),
    st("Unknown Sent Status Valid", json.dumps({**WV_REPORT, "sentStatusCode": 777, "sentStatus": "Blabla"}), 400,
       "unknown sent status code", ours="unknown status '777'", external_id="12345"),
    st("Invalid JSON sent Status", "blargh", 400, "unable to parse request JSON", ours="no message id"),
    st("Missing Keys sent Status", "{}", 400, "validation for 'CollerationID' failed", ours="no message id"),
    st("Delivered Status Valid", json.dumps({**WV_REPORT, "sentStatusCode ": 2, "sentStatus": "SENT_SUCCESS ",
       "deliveredStatusCode": 4, "deliveredStatus": "DELIVERED_SUCCESS"}), 200, "Status Update Accepted",
       external_id="12345", msg_status="delivered"),
    st("Unknown Delivered Status Valid", json.dumps({**WV_REPORT, "sentStatusCode ": 2, "sentStatus": "SENT_SUCCESS",
       "deliveredStatusCode": 777, "deliveredStatus": "BlaBal"}), 400, "unknown delivered status code",
       ours="unknown status '777'", external_id="12345"),
    st("Invalid JSON delivered Statu", "blargh", 400, "unable to parse request JSON", ours="no message id"),
    st("Missing Keys sent Status", "{}", 400, "validation for 'CollerationID' failed", ours="no message id"),
    tx("Plain Send", "Simple Message ☺", [(200, '{"id": "external1"}')], "sent",
       attachments=["image/jpeg:https://foo.bar/image.jpg"], headers=WV_HEADERS,
       json={"destination": "250788383383", "messageText": "Simple Message ☺\nhttps://foo.bar/image.jpg"},
       external_id="external1"),
    tx("Error status 403", "Error Response", [(403, "Error")], "failed", headers=WV_HEADERS,
       json={"destination": "250788383383", "messageText": "Error Response"}),
    tx("Throttled", "Error Response", [(429, "Error")], "errored", headers=WV_HEADERS,
       json={"destination": "250788383383", "messageText": "Error Response"}),
    tx("Error Sending", "Error Message", [(501, "Bad Gateway")], "errored"),
]  # fmt: skip

# Courier drops the first digit of the numbers (the US country code); the connector sends national
# numbers (`|national`), so our harness recipient +250788383383 goes as 788383383.
TQ_AUTH = {"Authorization": "Basic dXNlcjE6c2VzYW1l"}


def _tq_body(text: str) -> dict[str, Any]:
    return {"from_did": "2065551212", "to_did": "788383383", "message": text}


TQ_MMS = "ThinQ takes each attachment as a multipart MMS request of its own; the connector sends one request"
THINQ: list[dict[str, Any]] = [
    rx("Receive Valid", "message=hello+world&from=2065551234&type=sms&to=2065551212", 200, "Accepted",
       text="hello world", urn="tel:+12065551234"),
    rx("Receive No Params", " ", 400, "'From' failed on the 'required'", ours="no sender"),
    rx("Receive attachment as URL", "message=http://foo.bar/foo.png&from=2065551234&type=mms&to=2065551212", 200,
       "Accepted", urn="tel:+12065551234", attachments=["http://foo.bar/foo.png"],
       gap="an MMS (type=mms) puts its media URL in `message`; the connector stores it as text"),
    st("Status Valid", "guid=1234&status=DELIVRD", 200, '"status":"D"', external_id="1234", msg_status="delivered"),
    st("Status Invalid", "guid=1234&status=UN", 400, "unknown status: 'UN'", ours="unknown status 'UN'",
       external_id="1234"),
    st("Status Missing GUID", "status=DELIVRD", 400, "'GUID' failed on the 'required' tag", ours="no message id",
       external_id="1234"),
    tx("Plain Send", "Simple Message ☺", [(200, '{ "guid": "1002" }')], "sent", headers=TQ_AUTH,
       json=_tq_body("Simple Message ☺"), path="/account/1234/product/origination/sms/send", external_id="1002"),
    tx("Send Attachment", "My pic!", [(200, '{ "guid": "1002" }'), (200, '{ "guid": "1002" }')], "sent", requests=2,
       attachments=["image/jpeg:https://foo.bar/image.jpg"],
       form={"from_did": "2065551212", "to_did": "788383383", "media_url": "https://foo.bar/image.jpg"},
       external_id="1002", gap=TQ_MMS),
    tx("Only Attachment", "", [(200, '{ "guid": "1002" }')], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       form={"from_did": "2065551212", "to_did": "788383383", "media_url": "https://foo.bar/image.jpg"},
       external_id="1002", gap=TQ_MMS),
    tx("No External ID", "No External ID", [(200, "{}")], "errored", json=_tq_body("No External ID")),
    tx("Error Sending", "Error Message", [(401, '{ "error": "failed" }')], "failed", json=_tq_body("Error Message")),
    tx("Throttled", "Error Message", [(429, '{ "error": "failed" }')], "errored", json=_tq_body("Error Message")),
    tx("Connection Error", "Error Message", [(500, '{ "error": "failed" }')], "errored",
       json=_tq_body("Error Message")),
    tx("Reponse Unexpected", "Simple Message ☺", [(200, '{ "missing": "1002" }')], "errored", headers=TQ_AUTH,
       json=_tq_body("Simple Message ☺")),
]  # fmt: skip

BATCH_A_PROVIDERS: dict[str, list[dict[str, Any]]] = {
    "clickatell": CLICKATELL,
    "kannel": KANNEL,
    "jasmin": JASMIN,
    "messagebird": MESSAGEBIRD,
    "bandwidth": BANDWIDTH,
    "zenvia": ZENVIA,
    "wavy": WAVY,
    "thinq": THINQ,
}
