"""Courier's handler test cases for the second batch of connectors added for courier parity, as data.

Source: nyaruka/courier at 350e9350 (v26.3.38), `handlers/<name>/handler_test.go`. Labels are
courier's; the helpers, translations and `gap`/`ours` conventions are those of
`provider_cases.py` and `more_provider_cases.py`. A send case may name its recipient (`to`,
courier's `MsgURN`) and check every request of a send in order (`part_requests`: a token fetch,
then the message).
"""

from __future__ import annotations

from typing import Any

from tests.aggregators.external.provider_cases import rx, st, tx

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

# Channel config courier's tests set (the keys of `provider_cases.CHANNEL_FIELDS`).
BATCH_B_FIELDS: dict[str, dict[str, str]] = {}

BATCH_B_PROVIDERS: dict[str, list[dict[str, Any]]] = {
    "kaleyra": KALEYRA,
}
