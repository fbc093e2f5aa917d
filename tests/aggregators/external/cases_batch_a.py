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

from tests.aggregators.external.provider_cases import COURIER_MSG, rx, st, tx

CT_MO = {"messageId": "1234", "fromNumber": "250788383383", "timestamp": 1516217711000, "text": "Hello World!",
         "charset": "UTF-8"}  # fmt: skip
CT_UTF16 = (
    "%00m%00e%00x%00i%00c%00o%00+%00k%00+%00m%00i%00s%00+%00p%00a%00p%00a%00s%00+%00n%00o%00+%00t%00e%00n%00%ED"
    "%00a%00+%00d%00i%00n%00e%00r%00o%00+%00p%00a%00r%00a%00+%00c%00o%00m%00p%00r%00a%00r%00n%00o%00s%00+%00l%00o"
    "%00+%00q%00+%00q%00u%00e%00r%00%ED%00a%00m%00o%00s%00.%00."
)
CT_DATE = "2018-01-17T19:35:11+00:00"
CT_PARAMS = {"to": "250788383383", "from": "2020", "apiKey": "API-KEY"}
CT_OK = '{"messages":[{"apiMessageId":"id1002","accepted":true,"to":"12067799299","error":null}],"error":null}'
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

BATCH_A_PROVIDERS: dict[str, list[dict[str, Any]]] = {
    "clickatell": CLICKATELL,
}
