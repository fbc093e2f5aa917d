"""Courier's handler test cases for the second batch of connectors added for courier parity, as data.

Source: nyaruka/courier at 350e9350 (v26.3.38), `handlers/<name>/handler_test.go`. Labels are
courier's; the helpers, translations and `gap`/`ours` conventions are those of
`provider_cases.py` and `more_provider_cases.py`. A send case may name its recipient (`to`,
courier's `MsgURN`) and check every request of a send in order (`part_requests`: a token fetch,
then the message).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from tests.aggregators.external.provider_cases import COURIER_MSG, LONG_PARTS, LONG_TEXT, rx, st, tx

KW_ID = "58f86fab-85c5-4f7c-9b68-9c323248afc4:0"
KW_FORM = {"api-key": "123456", "callback_url": "{callback}", "channel": "WhatsApp", "from": "250788383383",
           "type": "text"}  # fmt: skip
KW_MEDIA_ID = "f75fbe1e-a0c0-4923-96e8-5043aa617b2b:0"
KW_WHATSAPP = "an XC channel is a phone channel: the WhatsApp sender is stored as tel:+14133881111"
KW_MEDIA = "courier downloads each attachment and uploads it as multipart media; the connector sends its URL"
# Courier's Kaleyra handler is its WhatsApp channel (KWA): URNs are whatsapp:<number>.
KALEYRA: list[dict[str, Any]] = [
    rx("Receive Msg", None, 200, "Accepted",
       query="created_at=1603914166&type=text&from=14133881111&name=John%20Cruz&body=Hello%20World",
       text="Hello World", urn="whatsapp:14133881111", date="2020-10-28T19:42:46+00:00", gap=KW_WHATSAPP),
    rx("Receive Media", None, 200, "Accepted",
       query="created_at=1603914166&type=image&from=14133881111&name=John%20Cruz&media_url=https://link.to/image.jpg",
       text="", urn="whatsapp:14133881111", attachments=["https://link.to/image.jpg"], gap=KW_WHATSAPP),
    rx("Receive Empty", None, 400, "no text or media",
       query="created_at=1603914166&type=text&from=14133881111&name=John%20Cruz", ours="no text"),
    rx("Receive Invalid CreatedAt", None, 400, "invalid created_at",
       query="created_at=nottimestamp&type=text&from=14133881111&name=John%20Cruz&body=Hi", ours="invalid date format"),
    rx("Receive Invalid Type", None, 200, "unknown message type",
       query="created_at=1603914166&type=sticker&from=14133881111&name=John%20Cruz",
       gap="the language cannot yet ignore a message by its type (a sticker without text is refused, 400)"),
    rx("Receive Invalid From", None, 400, "invalid whatsapp id",
       query="created_at=1603914166&type=text&from=notnumber&name=John%20Cruz&body=Hi", ours="not a possible number"),
    rx("Receive Blank From", None, 400, "field 'from' required",
       gap="a GET without parameters is a URL check for us (answered 200, nothing stored)"),
    st("Receive Valid Status", None, 200, '"type":"status"', query=f"id={KW_ID.replace(':', '%3A')}&status=read",
       external_id=KW_ID, msg_status="delivered"),  # courier: read; Flowgate has no read status
    st("Receive Invalid Status", None, 200, "unknown status", query=f"id={KW_ID.replace(':', '%3A')}&status=deleted",
       external_id=KW_ID, msg_status="sent"),
    st("Receive Blank status", None, 400, "field 'status' required",
       gap="a GET without parameters is a URL check for us (answered 200, nothing changed)"),
    tx("Plain Send", "Simple Message", [(200, f'{{"id":"{KW_ID}"}}')], "sent", to="+14133881111",
       headers={"Content-type": "application/x-www-form-urlencoded"},
       form={**KW_FORM, "body": "Simple Message", "to": "14133881111"}, external_id=KW_ID),
    tx("URL Send", "foo https://foo.bar bar", [(200, f'{{"id":"{KW_ID}"}}')], "sent", to="+14133881111",
       form={**KW_FORM, "body": "foo https://foo.bar bar", "to": "14133881111", "preview_url": "true"},
       external_id=KW_ID, gap="the language cannot yet add a parameter only when the text is a URL (preview_url)"),
    tx("Plain Send Error", "Error", [(400, '{"error":{"to":"invalid number"}}')], "failed", to="+14133881112",
       form={**KW_FORM, "body": "Error", "to": "14133881112"}),
    tx("Throttled", "Error", [(429, '{"error":{"to":"invalid number"}}')], "errored", to="+14133881112",
       form={**KW_FORM, "body": "Error", "to": "14133881112"}),
    tx("Medias Send", "Medias", [(200, f'{{"id":"{KW_MEDIA_ID}"}}'), (200, f'{{"id":"{KW_MEDIA_ID}"}}')], "sent",
       to="+14133881111", attachments=["image/jpg:https://foo.bar/image.jpg", "image/png:https://foo.bar/video.mp4"],
       requests=2, external_id=KW_MEDIA_ID, gap=KW_MEDIA),
    tx("Media Send Error", "Medias",
       [(200, f'{{"id":"{KW_MEDIA_ID}"}}'), (400, '{"error":{"media":"invalid media type"}}')], "failed",
       to="+14133881111", attachments=["image/jpg:https://foo.bar/image.jpg", "image/png:https://foo.bar/video.wmv"],
       requests=2, gap=KW_MEDIA),
]  # fmt: skip

TS_RECEIVE = "mobile=%2B2349067554729&msg=Join"
TS_FORM = {"to": "0788383383", "from": "2020"}
TS_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
TS_URL_CHECK = "a GET without parameters is a URL check for us (answered 200, nothing stored)"
# Courier pins the clock at 2018-04-11 (`TELESOM_CLOCK`): the key is an MD5 of the values and the date.
TELESOM: list[dict[str, Any]] = [
    rx("Receive Valid Message", None, 200, "Accepted", query=TS_RECEIVE, text="Join", urn="tel:+2349067554729"),
    rx("Invalid URN", None, 400, "not a possible number", query="mobile=MTN&msg=Join"),
    rx("Receive No Params", None, 400, "field 'mobile' required", ours="no sender", gap=TS_URL_CHECK),
    rx("Receive No Sender", None, 400, "field 'mobile' required", query="msg=Join", ours="no sender"),
    rx("Receive Valid Message", TS_RECEIVE, 200, "Accepted", text="Join", urn="tel:+2349067554729"),
    rx("Invalid URN", "mobile=MTN&msg=Join", 400, "not a possible number"),
    rx("Receive No Params", "empty", 400, "field 'mobile' required", ours="no sender"),
    rx("Receive No Sender", "msg=Join", 400, "field 'mobile' required", ours="no sender"),
    tx("Plain Send", "Simple Message", [(200, "<return>Success</return>")], "sent", to="+252788383383",
       headers=TS_HEADERS, form={**TS_FORM, "msg": "Simple Message", "key": "D69BB824F88F20482B94ECF3822EBD84"}),
    tx("Unicode Send", "☺", [(200, "<return>Success</return>")], "sent", to="+252788383383", headers=TS_HEADERS,
       form={**TS_FORM, "msg": "☺", "key": "60421A7D99BD79FE02697D567315AD0E"}),
    tx("Error Sending", "Error Message", [(401, "<return>error</return>")], "failed", to="+252788383383",
       headers=TS_HEADERS, form={**TS_FORM, "msg": "Error Message", "key": "3F1E492B2186551570F24C2F07D5D7E2"}),
    tx("Throttled", "Error Message", [(429, "<return>error</return>")], "errored", to="+252788383383",
       headers=TS_HEADERS, form={**TS_FORM, "msg": "Error Message", "key": "3F1E492B2186551570F24C2F07D5D7E2"}),
    tx("Send Attachment", "My pic!", [(200, "<return>Success</return>")], "sent", to="+252788383383",
       attachments=["image/jpeg:https://foo.bar/image.jpg"], headers=TS_HEADERS,
       form={**TS_FORM, "msg": "My pic!\nhttps://foo.bar/image.jpg", "key": "DBE569579FD899628C17254ECCE15DB7"}),
    tx("Connection Error", "Error Message", [(500, "<return>error</return>")], "errored", to="+252788383383",
       headers=TS_HEADERS, form={**TS_FORM, "msg": "Error Message", "key": "3F1E492B2186551570F24C2F07D5D7E2"}),
    tx("Response Unexpected", "Simple Message", [(200, "<return>Missing</return>")], "errored", to="+252788383383",
       headers=TS_HEADERS, form={**TS_FORM, "msg": "Simple Message", "key": "D69BB824F88F20482B94ECF3822EBD84"}),
]  # fmt: skip
TELESOM_CLOCK = datetime(2018, 4, 11, 18, 24, 30, 123456, tzinfo=UTC)

HM_RECEIVE = "/receive?Sender=%2B2349067554729&MessageText=Join&TimeSent=20230418&&ShortCode=2020"
HM_OK = '{"ResCode": "res", "ResMsg": "msg", "Data": { "MessageID": "msg1", "Description": "accepted" } }'
HM_TOKEN = '{"access_token": "ghK_Wt4lshZhN"}'
HM_TOKEN_FORM = {"Username": "foo@bar.com", "Password": "sesame", "grant_type": "password"}
HM_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Authorization": "Bearer ghK_Wt4lshZhN",
}


def _hm_body(text: str) -> dict[str, Any]:
    return {
        "mobile": "250788383383",
        "message": text,
        "senderid": "2020",
        "mType": -1,
        "eType": -1,
        "UDH": "",
    }


# Courier fetches the token once and caches it: only the first send case (and the one run after
# the cache is cleared, `fresh_token`) asks for it.
HORMUUD: list[dict[str, Any]] = [
    rx("Receive Valid Message", "empty", 200, "Accepted", query=HM_RECEIVE.split("?")[1], text="Join",
       urn="tel:+2349067554729"),
    rx("Receive Empty Message", "empty", 200, "Accepted",
       query=HM_RECEIVE.split("?")[1].replace("MessageText=Join", "MessageText="), text="", urn="tel:+2349067554729"),
    rx("Receive No Params", "empty", 400, "field 'sender' required", ours="no sender"),
    rx("Invalid URN", "empty", 400, "not a possible number",
       query=HM_RECEIVE.split("?")[1].replace("%2B2349067554729", "bad")),
    tx("Plain Send", "Simple Message", [(200, HM_TOKEN), (200, HM_OK)], "sent", requests=2,
       part_requests=[{"form": HM_TOKEN_FORM, "path": "/token"},
                      {"json": _hm_body("Simple Message"), "headers": HM_HEADERS, "path": "/api/SendSMS"}],
       external_id="msg1"),
    tx("Unicode Send", "☺", [(200, HM_OK)], "sent", headers=HM_HEADERS, json=_hm_body("☺"), external_id="msg1"),
    tx("Send Attachment", "My pic!", [(200, HM_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       headers=HM_HEADERS, json=_hm_body("My pic!\nhttps://foo.bar/image.jpg"), external_id="msg1"),
    tx("Error Sending", "Error Sending", [(403, '[{"Response": "101"}]')], "failed", headers=HM_HEADERS,
       json=_hm_body("Error Sending")),
    tx("Throttled", "Error Sending", [(429, '[{"Response": "101"}]')], "errored", headers=HM_HEADERS,
       json=_hm_body("Error Sending")),
    tx("Connection Error", "Error", [(500, '[{"Response": "101"}]')], "errored", headers=HM_HEADERS,
       json=_hm_body("Error")),
    tx("Null MessageID", "Hello", [(200, HM_OK.replace('"msg1"', '"null"'))], "sent", headers=HM_HEADERS,
       json=_hm_body("Hello")),
    tx("Error getting token", "Simple Message", [(400, '{"error": "invalid password"}')], "failed", fresh_token=True,
       form=HM_TOKEN_FORM, path="/token"),
]  # fmt: skip

MK_RECEIVE = "shortcode=2020&from=%2B60124361111&text=Hello&msgid=abc1234&time=2016-03-3019:33:06"
MK_LONGCODE = "longcode=2020&msisdn=%2B60124361111&text=Hello&msgid=abc1234&time=2016-03-3019:33:06"
MK_DATE = "2016-03-30T11:33:06+00:00"  # 19:33:06 in Kuala Lumpur
MK_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
MK_OK = '{ "MsgID":"abc123" }'


def _mk_body(text: str, kind: str = "0") -> dict[str, Any]:
    return {"user": "Username", "pass": "Password", "to": "250788383383", "text": text, "from": "macro",
            "servid": "service-id", "type": kind}  # fmt: skip


MACROKIOSK: list[dict[str, Any]] = [
    rx("Receive Valid", MK_RECEIVE, 200, "-1", text="Hello", urn="tel:+60124361111", date=MK_DATE,
       external_id="abc1234"),
    rx("Receive Valid via GET", None, 200, "-1", query=MK_RECEIVE, text="Hello", urn="tel:+60124361111",
       date=MK_DATE, external_id="abc1234"),
    rx("Receive Valid", MK_LONGCODE, 200, "-1", text="Hello", urn="tel:+60124361111", date=MK_DATE,
       external_id="abc1234"),
    rx("Invalid URN", MK_RECEIVE.replace("from=%2B60124361111", "from=MTN"), 400, "not a possible number"),
    rx("Missing Params", MK_RECEIVE.replace("shortcode=2020&", ""), 400,
       "missing shortcode, longcode, from or msisdn parameters", ours="no to at 'shortcode' or 'longcode'"),
    rx("Invalid Params", MK_LONGCODE.replace("msisdn=", "from="), 400,
       "missing shortcode, longcode, from or msisdn parameters",
       gap="courier pairs longcode with msisdn only; the connector reads from, else msisdn, for either code"),
    rx("Invalid Address Params", MK_RECEIVE.replace("shortcode=2020", "shortcode=1515"), 400,
       "invalid to number [1515], expecting [2020]",
       gap="the language cannot yet say 'refuse when the code is not the channel's address'"),
    st("Valid Status", "msgid=12345&status=ACCEPTED", 200, '"status":"S"', external_id="12345", msg_status="sent"),
    st("Wired Status", "msgid=12345&status=PROCESSING", 200, '"status":"W"', external_id="12345", msg_status="sent",
       gap="Flowgate has no 'wired' status for a report: PROCESSING counts as sent"),
    st("Unknown Status", "msgid=12345&status=UNKNOWN", 200, "ignoring unknown status 'UNKNOWN'", external_id="12345",
       msg_status="sent"),
    tx("Plain Send", "Simple Message ☺", [(200, MK_OK)], "sent", headers=MK_HEADERS,
       json=_mk_body("Simple Message ☺", "5"), external_id="abc123"),
    tx("Long Send", LONG_TEXT, [(200, MK_OK), (200, MK_OK)], "sent", requests=2, headers=MK_HEADERS,
       part_jsons=[_mk_body(LONG_PARTS[0]), _mk_body(LONG_PARTS[1])], external_id="abc123"),
    tx("Send Attachment", "My pic!", [(200, MK_OK)], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       headers=MK_HEADERS, json=_mk_body("My pic!\nhttps://foo.bar/image.jpg"), external_id="abc123"),
    tx("No External Id", "No External ID", [(200, '{ "missing":"missing" }')], "sent", headers=MK_HEADERS,
       json=_mk_body("No External ID")),
    tx("Error Sending", "Error Message", [(401, '{ "error": "failed" }')], "failed", json=_mk_body("Error Message")),
    tx("Throttled", "Error Message", [(429, '{ "error": "failed" }')], "errored", json=_mk_body("Error Message")),
]  # fmt: skip


def _gl_inbound(
    sender: str = "tel:+639171234567", date: str = "Fri Nov 22 2013 12:12:13 GMT+0000 (UTC)"
) -> str:
    item = {"dateTime": date, "destinationAddress": "tel:21581234", "messageId": None, "message": "hello world",
            "resourceURL": None, "senderAddress": sender}  # fmt: skip
    return json.dumps({"inboundSMSMessageList": {"inboundSMSMessage": [item], "numberOfMessagesInThisBatch": 1,
                                                 "resourceURL": None, "totalNumberOfPendingMessages": None}})  # fmt: skip


GL_EMPTY = json.dumps({"inboundSMSMessageList": {"inboundSMSMessage": [], "numberOfMessagesInThisBatch": 1,
                                                 "resourceURL": None, "totalNumberOfPendingMessages": None}})  # fmt: skip
GL_PATH = "/smsmessaging/v1/outbound/2020/requests"


def _gl_body(text: str) -> dict[str, Any]:
    return {"address": "250788383383", "message": text, "passphrase": "opensesame", "app_id": "12345",
            "app_secret": "mysecret"}  # fmt: skip


GLOBE: list[dict[str, Any]] = [
    rx("Receive Valid Message", _gl_inbound(), 200, "Accepted", text="hello world", urn="tel:+639171234567",
       date="2013-11-22T12:12:13+00:00"),
    rx("No Messages", GL_EMPTY, 200, "Ignored"),
    rx("Invalid URN", _gl_inbound("tel:MTN"), 400, "not a possible number"),
    rx("Invalid Sender", _gl_inbound("notvalid"), 400, "invalid 'senderAddress' parameter",
       ours="at 'senderAddress' does not start with 'tel:'"),
    rx("Invalid Date", _gl_inbound(date="Zed Nov 22 2013 12:12:13 GMT+0000 (UTC)"), 400, "parsing time",
       ours="invalid date"),
    # posted as a form (the harness types a body without braces so): refused as a post without a sender
    rx("Invalid JSON", "notjson", 400, "unable to parse request JSON", ours="no sender"),
    tx("Plain Send", "Simple Message", [(200, '[{"Response": "0"}]')], "sent", json=_gl_body("Simple Message"),
       path=GL_PATH),
    tx("Unicode Send", "☺", [(200, '[{"Response": "0"}]')], "sent", json=_gl_body("☺"), path=GL_PATH),
    tx("Send Attachment", "My pic!", [(200, '[{"Response": "0"}]')], "sent",
       attachments=["image/jpeg:https://foo.bar/image.jpg"], json=_gl_body("My pic!\nhttps://foo.bar/image.jpg")),
    tx("Error Sending", "Error Sending", [(403, '[{"Response": "101"}]')], "failed", json=_gl_body("Error Sending")),
    tx("Throttled", "Error Sending", [(429, '[{"Response": "101"}]')], "errored", json=_gl_body("Error Sending")),
    tx("Connection Error", "Error", [(500, '[{"Response": "101"}]')], "errored", json=_gl_body("Error")),
]  # fmt: skip

PM_RECEIVE = """<sms-request><message id="1107962" msisdn="998999999999" submit-date="2016-11-22 15:10:32">
	<content type="text/plain">SMS Response Accepted</content>
	</message></sms-request>"""
PM_PREFIXED = PM_RECEIVE.replace(
    '<content type="text/plain">SMS Response Accepted</content>',
    "\n\t".join(f'<content type="text/plain">{t}</content>' for t in (
        "abc SMS Response Accepted", "aBc SMS Response Accepted", "ABCSMS Response Accepted",
        "de SMS Response Accepted", "DESMS Response Accepted")),
)  # fmt: skip
PM_PREFIXES = "courier strips the channel's keyword prefixes (abc, DE) from inbound text; the language cannot say that yet"
PM_SENTENCE = ("This is a longer message than 640 characters and will cause us to split it into two separate parts, "
               "isn't that right but it is even longer than before I say, ")  # fmt: skip
PM_LONG = PM_SENTENCE * 4 + "now, I need to keep adding more things to make it work"
PM_AUTH = {"Authorization": "Basic VXNlcm5hbWU6UGFzc3dvcmQ="}


def _pm_body(text: str, part_id: str = "{uuid}", to: str = "99999999999") -> dict[str, Any]:
    return {
        "messages": [
            {"recipient": to, "message-id": part_id, "sms": {"originator": "1122", "content": {"text": text}}}
        ]
    }


PLAYMOBILE: list[dict[str, Any]] = [
    rx("Receive Valid", PM_RECEIVE, 200, "Accepted", text="SMS Response Accepted", urn="tel:+998999999999"),
    rx("Receive Missing MSISDN", PM_RECEIVE.replace('id="1107962" msisdn="998999999999"', 'id="" msisdn=""'), 400,
       "missing required fields msidsn or id", ours="no sender"),
    rx("No Messages", "<sms-request></sms-request>", 200, "no messages, ignored"),
    rx("Invalid XML", "<>", 400, ""),
    rx("Receive With Prefix", PM_PREFIXED, 200, "Accepted", text="SMS Response Accepted", urn="tel:+998999999999",
       gap=PM_PREFIXES),
    rx("Receive With Prefix Only", PM_RECEIVE.replace(">SMS Response Accepted<", ">abc <"), 400, "no text",
       gap=PM_PREFIXES),
    tx("Plain Send", "Simple Message", [(200, "Request is received")], "sent", to="+99999999999", headers=PM_AUTH,
       json=_pm_body("Simple Message")),
    tx("Long Send", PM_LONG, [(200, "Request is received"), (200, "Request is received")], "sent",
       to="+99999999999", requests=2,
       part_jsons=[_pm_body(PM_SENTENCE * 3 + PM_SENTENCE + "now,"),
                   _pm_body("I need to keep adding more things to make it work", "{uuid}.2")]),
    tx("Send Attachment", "My pic!", [(200, json.dumps({"messages": [{"recipient": "1122"}]}))], "sent",
       to="+18686846481", attachments=["image/jpeg:https://foo.bar/image.jpg"]),
    tx("Error sending", "Error Sending", [(400, "not json")], "failed"),
    tx("Throttled", "Error Sending", [(429, "not json")], "errored"),
]  # fmt: skip

DA_PARAMS = {"sendto": "250788383383", "original": "2020", "userid": "Username", "password": "Password", "dcs": "0",
             "udhl": "0", "messageid": "{uuid}"}  # fmt: skip
DA_RECEIVE = "userid=testusr&password=test&original=6289881134560&sendto=2020&message=Msg&messageid=foo"
DART: list[dict[str, Any]] = [
    rx("Receive Valid", None, 200, "000", query=DA_RECEIVE, text="Msg", urn="tel:+6289881134560", external_id="foo"),
    rx("Receive Valid", None, 200, "000", query=DA_RECEIVE.replace("6289881134560", "cmp-oodddqddwdwdcd").replace(
        "messageid=foo", "messageid=bar"), text="Msg", urn="ext:cmp-oodddqddwdwdcd", external_id="bar",
       gap="an XC channel is a phone channel: a sender that is not a number is refused, courier keeps it as ext:"),
    rx("Receive Invalid", None, 400, "missing required parameters original and sendto",
       gap="a GET without parameters is a URL check for us (answered 200, nothing stored)"),
    st("Valid Status", None, 200, "000", query=f"status=10&messageid={COURIER_MSG}",
       msg_status="delivered"),
    st("Valid Status", None, 200, "000", query=f"status=10&messageid={COURIER_MSG}.2",
       msg_status="delivered"),
    st("Failed Status", None, 200, "000", query=f"status=30&messageid={COURIER_MSG}",
       msg_status="failed"),
    st("Missing Status", None, 400, "parameters messageid and status should not be empty",
       query=f"messageid={COURIER_MSG}", ours="no status"),
    st("Missing Status", None, 400, "parsing failed: status 'foo' is not an integer",
       query=f"status=foo&messageid={COURIER_MSG}", ours="unknown status 'foo'"),
    st("Missing Status", None, 400, "parsing failed: messageid 'abc' is not a UUID", query="status=10&messageid=abc",
       gap="a report for an id we do not know is answered 200 and logged (the provider cannot fix it)"),
    tx("Plain Send", "Simple Message", [(200, "000")], "sent", params={**DA_PARAMS, "message": "Simple Message"}),
    tx("Long Send", LONG_TEXT, [(200, "000"), (200, "000")], "sent", requests=2,
       part_requests=[{"params": {**DA_PARAMS, "message": LONG_PARTS[0]}},
                      {"params": {**DA_PARAMS, "message": LONG_PARTS[1], "messageid": "{uuid}.2"}}]),
    tx("Send Attachment", "My pic!", [(200, "000")], "sent", attachments=["image/jpeg:https://foo.bar/image.jpg"],
       params={**DA_PARAMS, "message": "My pic!\nhttps://foo.bar/image.jpg"}),
    tx("Error Sending", "Error Message", [(400, "Error")], "failed", params={**DA_PARAMS, "message": "Error Message"}),
    tx("Throttled", "Error Message", [(429, "Error")], "errored", params={**DA_PARAMS, "message": "Error Message"}),
    tx("Authentication Error", "Simple Message", [(200, "001")], "failed",
       params={**DA_PARAMS, "message": "Simple Message"}),
    tx("Account Expired", "Simple Message", [(200, "101")], "failed", params={**DA_PARAMS, "message": "Simple Message"}),
]  # fmt: skip


def _mt_inbound(sender: str = "242064661201") -> str:
    return json.dumps({"id": None, "senderAddress": sender, "receiverAddress": "2020", "message": "Hello there",
                       "created": 1678794364855, "submittedDate": None})  # fmt: skip


def _mt_status(status: str, transaction: str | None = "rrt-58503") -> str:
    return json.dumps({"TransactionID": transaction, "clientCorrelator": "string", "deliveryStatus": status})


MT_PATH = "/v2/messages/sms/outbound"
MT_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json",
    "Authorization": "Bearer ACCESS_TOKEN",
}
MT_OK = '{ "transactionId":"OzYDlvf3SQVc" }'


def _mt_body(text: str) -> dict[str, Any]:
    return {"senderAddress": "2020", "receiverAddress": ["250788383383"], "message": text,
            "clientCorrelator": "{uuid}"}  # fmt: skip


# Courier's MTN tests start with an access token in the cache (`cached_token`, seeded by the
# harness before each case, as courier's setupBackend does).
MTN: list[dict[str, Any]] = [
    rx("Receive Valid Message", _mt_inbound(), 200, "Accepted", text="Hello there", urn="tel:+242064661201",
       date="2023-03-14T11:46:04.855+00:00"),
    rx("Receive invalid URN Message", _mt_inbound("foobar"), 400, "not a possible number"),
    st("Receive Valid Status", _mt_status("DeliveredToTerminal"), 200, '"status":"D"', external_id="rrt-58503",
       msg_status="delivered"),
    st("Receive Valid delivered Status", _mt_status("DELIVRD"), 200, '"status":"D"', external_id="rrt-58503",
       msg_status="delivered"),
    st("Receive ignored Status", _mt_status("MessageWaiting"), 200, "Ignored", external_id="rrt-58503",
       msg_status="sent"),
    st("Receive ignored Status, missing transaction ID", _mt_status("EXPIRED", None), 200, "Ignored",
       external_id="rrt-58503", msg_status="sent",
       gap="a report naming no message is refused (400) by every connector; courier ignores it (200)"),
    st("Receive expired Status", _mt_status("EXPIRED"), 200, '"status":"F"', external_id="rrt-58503",
       msg_status="failed"),
    st("Receive uknown Status", _mt_status("blabla"), 400, "unknown status", external_id="rrt-58503",
       msg_status="sent"),
    tx("Plain Send", "Simple Message ☺", [(201, MT_OK)], "sent", to="+250788383383", headers=MT_HEADERS,
       json=_mt_body("Simple Message ☺"), path=MT_PATH, external_id="OzYDlvf3SQVc", cached_token="ACCESS_TOKEN"),
    tx("Send Attachment", "My pic!", [(201, MT_OK)], "sent", to="+250788383383",
       attachments=["image/jpeg:https://foo.bar/image.jpg"], headers=MT_HEADERS,
       json=_mt_body("My pic!\nhttps://foo.bar/image.jpg"), external_id="OzYDlvf3SQVc", cached_token="ACCESS_TOKEN"),
    tx("No External Id", "No External ID", [(200, '{"statusCode":"0000"}')], "sent", to="+250788383383",
       headers=MT_HEADERS, json=_mt_body("No External ID"), cached_token="ACCESS_TOKEN"),
    # courier: ErrResponseStatus, which courier retries too; a 401 on a cached token drops it and
    # the message is retried with a fresh one (errored), see test_token_refresh.py
    tx("Error Sending", "Error Message", [(401, '{ "error": "failed" }')], "errored", to="+250788383383",
       json=_mt_body("Error Message"), cached_token="ACCESS_TOKEN"),
    tx("Throttled", "Error Message", [(429, '{ "error": "failed" }')], "errored", to="+250788383383",
       json=_mt_body("Error Message"), cached_token="ACCESS_TOKEN"),
    # courier's cpAddressOutgoingCases: the same channel with cp_address FOO
    tx("Plain Send", "Simple Message ☺", [(201, MT_OK)], "sent", to="+250788383383", headers=MT_HEADERS,
       json={**_mt_body("Simple Message ☺"), "cpAddress": "FOO"}, external_id="OzYDlvf3SQVc",
       cached_token="ACCESS_TOKEN", fields={"cp_address": "FOO"}),
]  # fmt: skip

# Channel config courier's tests set (the keys of `provider_cases.CHANNEL_FIELDS`).
BATCH_B_FIELDS: dict[str, dict[str, str]] = {
    # courier's Telesom channel: its address 2020, send_url pointed at the fake provider by the harness
    "telesom": {"username": "Username", "password": "Password", "secret": "secret"},
    "hormuud": {"username": "foo@bar.com", "password": "sesame"},
    # courier's Macrokiosk tests lower the part length from 1,600 to 160
    "macrokiosk": {
        "username": "Username",
        "password": "Password",
        "sender_id": "macro",
        "service_id": "service-id",
        "max_length": "160",
    },
    "globe": {"app_id": "12345", "app_secret": "mysecret", "passphrase": "opensesame"},
    "playmobile": {"username": "Username", "password": "Password"},
    "dart": {"username": "Username", "password": "Password"},
    # Hub9 is courier's Dart handler at another address (1,600 characters a part): Dart's cases
    "hub9": {"username": "Username", "password": "Password", "max_length": "160"},
    "mtn": {"api_key": "customer-key", "secret": "customer-secret123"},
}
# The clock a provider's cases run at (courier pins it where a request signs the date).
BATCH_B_CLOCKS: dict[str, datetime] = {"telesom": TELESOM_CLOCK}

BATCH_B_PROVIDERS: dict[str, list[dict[str, Any]]] = {
    "kaleyra": KALEYRA,
    "telesom": TELESOM,
    "hormuud": HORMUUD,
    "macrokiosk": MACROKIOSK,
    "globe": GLOBE,
    "playmobile": PLAYMOBILE,
    "dart": DART,
    "hub9": DART,
    "mtn": MTN,
}
