"""Courier's handler test cases for the connectors added for courier parity, as data.

Source: nyaruka/courier at 350e9350 (v26.3.38), `handlers/<name>/handler_test.go`. Labels are
courier's; the helpers, translations and `gap`/`ours` conventions are those of
`provider_cases.py`. Send outcomes follow courier's errors: a 4xx answer (`ErrResponseStatus`)
fails the message, 429 (`ErrConnectionThrottled`), 5xx (`ErrConnectionFailed`) and an unreadable
2xx answer (`ErrResponseContent`) leave it errored for a retry, `ErrContactStopped` fails it and
stops the contact. In expected request values `{uuid}` is our message uuid and `{callback}` the
channel's callback URL (courier's `https://localhost/c/<type>/<uuid>/status`).
"""

from __future__ import annotations

import json
from typing import Any

from tests.aggregators.external.provider_cases import COURIER_MSG, LONG_PARTS, LONG_TEXT, TWILIO, rx, st, tx

SC_FORM = {"mobile": "250788383383", "pass": "Password", "user": "Username"}
SC_OK = '[{"id": "1002"}]'
SMSCENTRAL: list[dict[str, Any]] = [
    rx("Receive Valid Message", "mobile=%2B2349067554729&message=Join", 200, "Accepted", text="Join",
       urn="tel:+2349067554729"),
    rx("Receive No Message", "mobile=%2B2349067554729", 200, "Accepted", text="", urn="tel:+2349067554729"),
    rx("Receive invalid URN", "mobile=MTN&message=Join", 400, "not a possible number"),
    rx("Receive No Params", "none", 400, "field 'mobile' required", ours="no sender"),
    rx("Receive No Sender", "message=Join", 400, "field 'mobile' required", ours="no sender"),
    tx("Plain Send", "Simple Message", [(200, SC_OK)], "sent", form={**SC_FORM, "content": "Simple Message"}),
    tx("Unicode Send", "☺", [(200, SC_OK)], "sent", form={**SC_FORM, "content": "☺"}),
    tx("Send Attachment", "My pic!", [(200, SC_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       form={**SC_FORM, "content": "My pic!\nhttps://foo.bar/image.jpg"}),
    tx("Error Sending", "Error Message", [(401, '{ "error": "failed" }')], "failed",
       form={**SC_FORM, "content": "Error Message"}),
    tx("Throttled", "Error Message", [(429, '{ "error": "failed" }')], "errored",
       form={**SC_FORM, "content": "Error Message"}),
    tx("Connection Error", "Error Message", [(500, '{ "error": "failed" }')], "errored",
       form={**SC_FORM, "content": "Error Message"}),
]  # fmt: skip

M3_PARAMS = {"MobileNo": "250788383383", "SMSChannel": "0", "AuthKey": "m3-Tech", "HandsetPort": "0",
             "MsgHeader": "2020", "MsgId": "{uuid}", "Telco": "0", "UserId": "Username", "Password": "Password"}  # fmt: skip
M3_OK = '[{"Response": "0"}]'
M3TECH: list[dict[str, Any]] = [
    rx("Receive Valid Message", " ", 200, "Accepted", query="from=+923161909799&text=hello+world",
       text="hello world", urn="tel:+923161909799"),
    rx("Invalid URN", " ", 400, "not a possible number", query="from=MTN&text=hello+world"),
    rx("Receive No From", " ", 400, "missing required field 'from'", query="text=hello", ours="no sender"),
    tx("Plain Send", "Simple Message", [(200, M3_OK)], "sent",
       params={**M3_PARAMS, "SMS": "Simple Message", "SMSType": "0"}),
    tx("Unicode Send", "☺", [(200, M3_OK)], "sent", params={**M3_PARAMS, "SMS": "☺", "SMSType": "7"}),
    tx("Smart Encoding", "Fancy “Smart” Quotes", [(200, M3_OK)], "sent",
       params={**M3_PARAMS, "SMS": 'Fancy "Smart" Quotes', "SMSType": "0"}),
    tx("Send Attachment", "My pic!", [(200, M3_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       params={**M3_PARAMS, "SMS": "My pic!\nhttps://foo.bar/image.jpg", "SMSType": "0"}),
    tx("Error Sending", "Error Sending", [(403, '[{"Response": "101"}]')], "failed"),
    tx("Throttled", "Error Sending", [(429, '[{"Response": "101"}]')], "errored"),
]  # fmt: skip

YO_PARAMS = {
    "destinations": "250788383383",
    "ybsacctno": "yo-username",
    "password": "yo-password",
    "origin": "2020",
}
YO_OK = "ybs_autocreate_status=OK"
YO: list[dict[str, Any]] = [
    rx("Receive Valid Message", None, 200, "Accepted", query="sender=2349067554729&message=Join", text="Join",
       urn="tel:+2349067554729"),
    rx("Receive Valid From", None, 200, "Accepted", query="from=%2B2349067554729&message=Join", text="Join",
       urn="tel:+2349067554729"),
    rx("Receive Valid Message With Date", None, 200, "Accepted",
       query="sender=%2B2349067554729&message=Join&date=2017-06-23T12:30:00.500Z", text="Join",
       urn="tel:+2349067554729", date="2017-06-23T12:30:00.500+00:00"),
    rx("Receive Valid Message With Time", None, 200, "Accepted",
       query="sender=%2B2349067554729&message=Join&time=2017-06-23T12:30:00Z", text="Join",
       urn="tel:+2349067554729", date="2017-06-23T12:30:00+00:00"),
    rx("Invalid URN", None, 400, "not a possible number", query="sender=MTN&message=Join"),
    rx("Receive No Params", None, 400, "must have one of 'sender' or 'from'", ours="no sender",
       gap="a GET without parameters is a URL check for us (answered 200, nothing stored)"),
    rx("Receive No Sender", None, 400, "must have one of 'sender' or 'from'", query="message=Join",
       ours="no sender"),
    rx("Receive Invalid Date", None, 400, "invalid date format, must be RFC 3339",
       query="sender=%2B2349067554729&message=Join&time=20170623T123000Z", ours="invalid date format"),
    tx("Plain Send", "Simple Message", [(200, YO_OK)], "sent", params={**YO_PARAMS, "sms_content": "Simple Message"}),
    tx("Blacklisted", "Simple Message",
       [(200, "ybs_autocreate_status=ERROR&ybs_autocreate_message=256794224665%3ABLACKLISTED")], "failed",
       stopped=True, params={**YO_PARAMS, "sms_content": "Simple Message"}),
    tx("Errored wrong authorization", "Simple Message",
       [(200, "ybs_autocreate_status=ERROR&ybs_autocreate_message=YBS+AutoCreate+Subsystem%3A+Access+denied+due+to"
              "+wrong+authorization+code")], "failed", params={**YO_PARAMS, "sms_content": "Simple Message"}),
    tx("Unicode Send", "☺", [(200, YO_OK)], "sent", params={**YO_PARAMS, "sms_content": "☺"}),
    tx("Error Sending", "Error Message", [(401, "Error")], "failed", params={**YO_PARAMS, "sms_content": "Error Message"}),
    tx("Throttled", "Error Message", [(429, "Error")], "errored", params={**YO_PARAMS, "sms_content": "Error Message"}),
    tx("Connection error", "Error Message", [(500, "Error")], "errored",
       params={**YO_PARAMS, "sms_content": "Error Message"}),
    tx("Send Attachment", "My pic!", [(200, YO_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       params={**YO_PARAMS, "sms_content": "My pic!\nhttps://foo.bar/image.jpg"}),
]  # fmt: skip

DK_RECEIVE = "text=Msg&short_code=2020&tstamp=2017-10-26T15:51:32.906335%2B00:00&msisdn=254791541111"
DK_FORM = {"receiver": "250788383383", "sender": "2020", "dlr_url": "{callback}?uuid={uuid}&status=%s"}
DK_HEADERS = {"Authorization": "Token Authy"}
DMARK: list[dict[str, Any]] = [
    rx("Receive Valid", DK_RECEIVE, 200, "Message Accepted", text="Msg", urn="tel:+254791541111",
       date="2017-10-26T15:51:32.906335+00:00"),
    rx("Invalid URN", DK_RECEIVE.replace("msisdn=254791541111", "msisdn=MTN"), 400, "not a possible number"),
    rx("Receive Empty", "empty", 400, "field 'msisdn' required", ours="no sender"),
    rx("Receive Missing Text", DK_RECEIVE.replace("text=Msg&", ""), 400, "field 'text' required", ours="no text"),
    rx("Receive Invalid TS", DK_RECEIVE.replace("2017-10-26T15:51:32.906335%2B00:00", "2017-10-26"), 400,
       "invalid tstamp", ours="invalid date format"),
    st("Status Invalid", f"uuid={COURIER_MSG}&status=Borked", 400, "unknown status"),
    st("Status Missing", f"uuid={COURIER_MSG}", 400, "field 'status' required", ours="no status"),
    st("Status Valid", f"uuid={COURIER_MSG}&status=1", 200, '"status":"D"', msg_status="delivered"),
    tx("Plain Send", "Simple Message ☺", [(200, '{ "type": "MT", "sms_id": "6b1c15d3-cba2-46f7-9a25-78265e58057d" }')],
       "sent", form={**DK_FORM, "text": "Simple Message ☺"}, headers=DK_HEADERS,
       external_id="6b1c15d3-cba2-46f7-9a25-78265e58057d"),
    tx("Invalid Body", "Error Message", [(200, '{ "error": "failed" }')], "errored",
       form={**DK_FORM, "text": "Error Message"}, headers=DK_HEADERS),
    tx("Error Sending", "Error Message", [(401, '{ "error": "failed" }')], "failed",
       form={**DK_FORM, "text": "Error Message"}, headers=DK_HEADERS),
    tx("Throttled", "Error Message", [(429, '{ "error": "failed" }')], "errored",
       form={**DK_FORM, "text": "Error Message"}, headers=DK_HEADERS),
]  # fmt: skip

BS_FORM = {"to": "250788383383", "from": "2020"}
BURSTSMS: list[dict[str, Any]] = [
    rx("Receive Valid", None, 200, "Message Accepted", query="response=Msg&mobile=254791541111", text="Msg",
       urn="tel:+254791541111"),
    rx("Receive Missing Number", None, 400, "required field 'mobile'", query="response=Msg", ours="no sender"),
    st("Status Valid", None, 200, "Status Update Accepted", query="message_id=12345&status=pending",
       external_id="12345", msg_status="sent"),
    st("Receive Invalid Status", None, 400, "unknown status value", query="message_id=12345&status=unknown",
       external_id="12345", ours="unknown status"),
    tx("Plain Send", "Simple Message ☺", [(200, '{ "message_id": 19835, "recipients": 3, "cost": 1.000 }')], "sent",
       attachments=["image/jpeg:https://foo.bar/image.jpg"],
       form={**BS_FORM, "message": "Simple Message ☺\nhttps://foo.bar/image.jpg"}, external_id="19835"),
    tx("Invalid JSON", "Invalid JSON", [(200, "not json")], "errored", form={**BS_FORM, "message": "Invalid JSON"}),
    tx("Error Response", "Error Response", [(200, '{ "message_id": 0 }')], "errored",
       form={**BS_FORM, "message": "Error Response"},
       gap="a message id of 0 meaning 'refused' cannot be said in the language yet"),
    tx("Error Sending", "Error Message", [(501, "Bad Gateway")], "errored", form={**BS_FORM, "message": "Error Message"}),
    tx("Throttled", "Error Message", [(429, "Bad Gateway")], "errored", form={**BS_FORM, "message": "Error Message"}),
]  # fmt: skip


def _clicksend_answer(message_id: str, status: str) -> str:
    return json.dumps({"http_code": 200, "response_code": "SUCCESS", "response_msg": "Here are your data.",
                       "data": {"total_price": 0.28, "total_count": 2, "queued_count": 2, "messages": [
                           {"direction": "out", "date": 1436871253, "to": "+61411111111", "from": "sendmobile",
                            "message_id": message_id, "message_parts": 1, "status": status}]}})  # fmt: skip


CS_OK = _clicksend_answer("BF7AD270-0DE2-418B-B606-71D527D9C1AE", "SUCCESS")
CS_AUTH = {"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}


def _cs_body(text: str) -> dict[str, Any]:
    return {"messages": [{"to": "+250788383383", "from": "2020", "body": text, "source": "courier"}]}


CLICKSEND: list[dict[str, Any]] = [
    rx("Receive Valid Message", "from=639171234567&body=hello+world", 200, "Accepted", text="hello world",
       urn="tel:+639171234567"),
    rx("Receive Missing From", "body=hello+world", 400, "Error", ours="no sender"),
    tx("Plain Send", "Simple Message", [(200, CS_OK)], "sent", headers=CS_AUTH, json=_cs_body("Simple Message"),
       external_id="BF7AD270-0DE2-418B-B606-71D527D9C1AE"),
    tx("Unicode Send", "☺", [(200, CS_OK)], "sent", headers=CS_AUTH, json=_cs_body("☺"),
       external_id="BF7AD270-0DE2-418B-B606-71D527D9C1AE"),
    tx("Send Attachment", "My pic!", [(200, CS_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       headers=CS_AUTH, json=_cs_body("My pic!\nhttps://foo.bar/image.jpg"),
       external_id="BF7AD270-0DE2-418B-B606-71D527D9C1AE"),
    tx("Error Sending", "Error Sending", [(403, '[{"Response": "101"}]')], "failed", headers=CS_AUTH,
       json=_cs_body("Error Sending")),
    tx("Throttled", "Error Sending", [(429, '[{"Response": "101"}]')], "errored", headers=CS_AUTH,
       json=_cs_body("Error Sending")),
    tx("Failure Response", "Error Sending", [(200, _clicksend_answer("BF7AD270-0DE2-418B-B606-71D527D9C1AE", "FAILURE"))],
       "errored", headers=CS_AUTH, json=_cs_body("Error Sending")),
    tx("Failure Response (no message id)", "Error Sending", [(200, _clicksend_answer("", "SUCCESS"))], "errored",
       headers=CS_AUTH, json=_cs_body("Error Sending")),
]  # fmt: skip

# courier's SignalWire cases: the TwiML handler's inbound cases (no signature) and its own sends
SW_INBOUND = ("Receive Valid", "Receive No Params", "Receive Media", "Receive Media With Msg", "Receive Base64",
              "Status Stop contact", "Status No Params", "Status Invalid Status", "Status Valid", "Status ID Valid",
              "Status ID Invalid")  # fmt: skip
SW_FORM = {"To": "+250788383383", "From": "2020", "StatusCallback": "{callback}?uuid={uuid}"}
SW_AUTH = {"Authorization": "Basic YWNjb3VudFNJRDphdXRoVG9rZW4="}
SIGNALWIRE: list[dict[str, Any]] = [c for c in TWILIO if c["kind"] != "send" and c["label"] in SW_INBOUND] + [
    tx("Plain Send", "Simple Message ☺", [(200, '{ "sid": "1002" }')], "sent", headers=SW_AUTH,
       form={**SW_FORM, "Body": "Simple Message ☺"}, external_id="1002", path="/2010-04-01/Accounts/accountSID/Messages.json"),
    tx("Long Send", LONG_TEXT, [(200, '{ "sid": "1002" }'), (200, '{ "sid": "1002" }')], "sent", requests=2,
       headers=SW_AUTH, part_forms=[{**SW_FORM, "Body": LONG_PARTS[0]}, {**SW_FORM, "Body": LONG_PARTS[1]}],
       external_id="1002"),
    tx("Error Sending", "Error Message", [(401, '{ "error": "out of credits" }')], "failed",
       form={**SW_FORM, "Body": "Error Message"}),
    tx("Error Code", "Error Code", [(400, '{ "code": 1001 }')], "failed", form={**SW_FORM, "Body": "Error Code"}),
    tx("Stopped Contact Code", "Stopped Contact", [(400, '{ "code": 21610 }')], "failed", stopped=True,
       form={**SW_FORM, "Body": "Stopped Contact"}),
    tx("No SID", "No SID", [(200, "{ }")], "sent", form={**SW_FORM, "Body": "No SID"}),
    tx("Send Attachment", "My pic!", [(200, '{ "sid": "1002" }')], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       form={**SW_FORM, "Body": "My pic!", "MediaUrl": ["https://foo.bar/image.jpg"]}, external_id="1002"),
]  # fmt: skip

MB_RECEIVE = {"id": "OzQ5UqIOdoY8", "from": "12067799294", "to": "18444651185", "body": "Hello World",
              "type": "mo_text", "received_at": "2016-03-30T19:33:06.643Z"}  # fmt: skip
MB_OK = '{ "id":"OzYDlvf3SQVc" }'
MB_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Authorization": "Bearer Password",
}


def _mb_body(text: str) -> dict[str, Any]:
    return {"from": "2020", "to": ["250788383383"], "body": text, "delivery_report": "per_recipient"}


# Courier's Mblox takes status reports at its receive URL too; ours go to the channel's /callback.
MBLOX: list[dict[str, Any]] = [
    rx("Receive Valid", json.dumps(MB_RECEIVE), 200, "Message Accepted", text="Hello World", urn="tel:+12067799294",
       date="2016-03-30T19:33:06.643+00:00", external_id="OzQ5UqIOdoY8"),
    rx("Receive Missing Params", json.dumps({k: v for k, v in MB_RECEIVE.items() if k != "from"}), 400,
       "missing one of 'id', 'from', 'to', 'body' or 'received_at' in request body", ours="no sender"),
    rx("Invalid URN", json.dumps({**MB_RECEIVE, "from": "MTN"}), 400, "not a possible number"),
    st("Status Valid", json.dumps({"batch_id": "12345", "status": "Delivered", "type": "recipient_delivery_report_sms"}),
       200, '"status":"D"', external_id="12345", msg_status="delivered"),
    st("Status Unknown", json.dumps({"batch_id": "12345", "status": "INVALID", "type": "recipient_delivery_report_sms"}),
       400, "unknown status 'INVALID'", external_id="12345"),
    st("Status Missing Batch ID", json.dumps({"status": "Delivered", "type": "recipient_delivery_report_sms"}), 400,
       "missing one of 'batch_id' or 'status' in request body", ours="no message id"),
    tx("Plain Send", "Simple Message ☺", [(200, MB_OK)], "sent", headers=MB_HEADERS, json=_mb_body("Simple Message ☺"),
       external_id="OzYDlvf3SQVc"),
    tx("Long Send", LONG_TEXT, [(200, MB_OK), (200, MB_OK)], "sent", requests=2, headers=MB_HEADERS,
       json=_mb_body(LONG_PARTS[0]), part_jsons=[_mb_body(LONG_PARTS[0]), _mb_body(LONG_PARTS[1])],
       external_id="OzYDlvf3SQVc"),
    tx("Send Attachment", "My pic!", [(200, MB_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       headers=MB_HEADERS, json=_mb_body("My pic!\nhttps://foo.bar/image.jpg"), external_id="OzYDlvf3SQVc"),
    tx("No External Id", "No External ID", [(200, '{ "missing":"OzYDlvf3SQVc" }')], "sent", headers=MB_HEADERS,
       json=_mb_body("No External ID")),
    tx("Error Sending", "Error Message", [(401, '{ "error": "failed" }')], "failed", json=_mb_body("Error Message")),
    tx("Throttled", "Error Message", [(429, '{ "error": "failed" }')], "errored", json=_mb_body("Error Message")),
]  # fmt: skip

AC_FORM = {"userName": "user1", "password": "pass1", "handlerType": "send_msg", "serviceId": "service1",
           "msisdn": "+250788383383", "chargingLevel": "0"}  # fmt: skip
ARABIACELL: list[dict[str, Any]] = [
    rx("Receive Valid", "B=Msg&M=254791541111", 200, "Message Accepted", text="Msg", urn="tel:+254791541111"),
    rx("Receive Missing Number", "B=Msg", 400, "required field 'M'", ours="no sender"),
    tx("Plain Send", "Simple Message ☺",
       [(200, "<response><code>204</code><text>MT is successfully sent</text><message_id>external1</message_id></response>")],
       "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       form={**AC_FORM, "messageBody": "Simple Message ☺\nhttps://foo.bar/image.jpg"}, external_id="external1"),
    tx("Invalid XML", "Invalid XML", [(200, "not xml")], "errored"),
    tx("Error Response", "Error Response",
       [(200, "<response><code>501</code><text>failure</text><message_id></message_id></response>")], "errored"),
    tx("Error Sending", "Error Message", [(501, "Bad Gateway")], "errored"),
    tx("Throttled", "Error Message", [(429, "Bad Gateway")], "errored"),
]  # fmt: skip

MORE_PROVIDERS: dict[str, list[dict[str, Any]]] = {
    "smscentral": SMSCENTRAL,
    "m3tech": M3TECH,
    "yo": YO,
    "dmark": DMARK,
    "burstsms": BURSTSMS,
    "clicksend": CLICKSEND,
    "signalwire": SIGNALWIRE,
    "mblox": MBLOX,
    "arabiacell": ARABIACELL,
}
