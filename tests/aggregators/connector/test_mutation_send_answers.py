"""Send and poll answers, token answers: the exact `SendResult` for each kind of answer.

Written against the mutation run (`scripts/mutation.py --only connector-parser-mapping`): the
status, the error text a user reads in the message log, whether it is retried and the ids kept
are what the sender acts on, so every case pins the whole result.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from aggregators.connector import load_connector
from aggregators.connector.mapping import (
    SendResult,
    TokenAnswer,
    _snippet,
    map_answer,
    map_send_response,
    map_status_response,
    map_token_response,
)
from aggregators.connector.model import ErrorCodes, PathRef, ResponseMap, Statuses

FIELDS = {
    "message_id": PathRef("id"),
    "message_status": PathRef("status"),
    "error_message": PathRef("error"),
    "error_code": PathRef("code"),
    "message_to": PathRef("to"),
}
MAP = ResponseMap("json", FIELDS)
STATUSES = Statuses(
    {"ok": "processing", "dlv": "delivered", "bad": "failed", "later": "retry", "meh": "ignore"},
    "ignore",
    ((100, 199, "failed"),),
)
ERRORS = ErrorCodes({"21610": "opted_out", "7": "retry", "9": "failed"}, {"blacklist": "opted_out"})


def answer(
    status: int, body: Any, mapping: ResponseMap = MAP, statuses: Statuses = STATUSES, **kw: Any
) -> SendResult:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return map_answer(
        mapping, statuses, status, kw.pop("content_type", "application/json"), raw, kw.pop("errors", ERRORS)
    )


def result(status: str, **kw: Any) -> SendResult:
    return SendResult(status, **kw)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        # accepted
        (
            200,
            {"id": "m1", "status": "ok", "to": "+250"},
            result(
                "processing",
                external_id="m1",
                external_ids=["m1"],
                raw_status="ok",
                to="+250",
                http_status=200,
            ),
        ),
        (
            201,
            {"id": 5, "status": "DLV"},
            result("delivered", external_id="5", external_ids=["5"], raw_status="DLV", http_status=201),
        ),
        (399, {"id": "m1"}, result("processing", external_id="m1", external_ids=["m1"], http_status=399)),
        (
            200,
            {"id": "m1", "status": "meh"},
            result("processing", external_id="m1", external_ids=["m1"], raw_status="meh", http_status=200),
        ),
        (
            200,
            {"id": "m1", "status": "unlisted"},
            result(
                "processing", external_id="m1", external_ids=["m1"], raw_status="unlisted", http_status=200
            ),
        ),
        # a description on a success is no error
        (
            200,
            {"id": "m1", "status": "ok", "error": "Success"},
            result("processing", external_id="m1", external_ids=["m1"], raw_status="ok", http_status=200),
        ),
        (
            200,
            [{"id": "a", "status": "ok"}, {"id": "b", "status": "bad"}, {"id": ""}],
            result("processing", external_id="a", external_ids=["a", "b"], raw_status="ok", http_status=200),
        ),
        (200, [], result("processing", http_status=200)),
        # refused in a 2xx
        (
            200,
            {"id": "m1", "status": "bad"},
            result(
                "failed",
                external_id="m1",
                external_ids=["m1"],
                raw_status="bad",
                error="provider status bad",
                http_status=200,
            ),
        ),
        (
            200,
            {"id": "m1", "status": "150"},
            result(
                "failed",
                external_id="m1",
                external_ids=["m1"],
                raw_status="150",
                error="provider status 150",
                http_status=200,
            ),
        ),
        (
            200,
            {"id": "m1", "status": "bad", "error": "No route"},
            result(
                "failed",
                external_id="m1",
                external_ids=["m1"],
                raw_status="bad",
                error="No route",
                http_status=200,
            ),
        ),
        (
            200,
            {"status": "unlisted", "error": "No route", "code": "5"},
            result(
                "failed", raw_status="unlisted", error="No route (code 5)", error_code="5", http_status=200
            ),
        ),
        (
            200,
            {"error": "Denied 5", "code": "5"},
            result("failed", error="Denied 5", error_code="5", http_status=200),
        ),  # the code already named
        (
            200,
            {"status": "bad", "code": "3"},
            result(
                "failed",
                raw_status="bad",
                error="provider status bad (code 3)",
                error_code="3",
                http_status=200,
            ),
        ),
        # retried
        (
            200,
            {"id": "m1", "status": "later"},
            result(
                "failed",
                external_id="m1",
                external_ids=["m1"],
                raw_status="later",
                error="provider status later",
                http_status=200,
                retryable=True,
            ),
        ),
        (
            200,
            {"status": "later", "error": "Throttled"},
            result("failed", raw_status="later", error="Throttled", http_status=200, retryable=True),
        ),
        (
            200,
            {"status": "ok", "code": "7"},
            result(
                "failed",
                raw_status="ok",
                error="provider status ok (code 7)",
                error_code="7",
                http_status=200,
                retryable=True,
            ),
        ),
        (
            200,
            {"code": "7", "error": "Slow down"},
            result("failed", error="Slow down (code 7)", error_code="7", http_status=200, retryable=True),
        ),
        # error codes
        (
            200,
            {"id": "m1", "status": "ok", "code": "9"},
            result(
                "failed",
                external_id="m1",
                external_ids=["m1"],
                raw_status="ok",
                error="provider error code 9",
                error_code="9",
                http_status=200,
            ),
        ),
        (
            200,
            {"status": "ok", "code": "9", "error": "Invalid"},
            result("failed", raw_status="ok", error="Invalid (code 9)", error_code="9", http_status=200),
        ),
        (
            200,
            {"status": "dlv", "code": " 21610 "},
            result(
                "failed",
                raw_status="dlv",
                error="provider error code  21610 ",
                error_code=" 21610 ",
                http_status=200,
                opted_out=True,
            ),
        ),
        (
            200,
            {"error": "number BLACKLISTED"},
            result("failed", error="number BLACKLISTED", http_status=200, opted_out=True),
        ),
        (
            200,
            {"status": "ok", "error": "number blacklisted here"},
            result(
                "failed", raw_status="ok", error="number blacklisted here", http_status=200, opted_out=True
            ),
        ),
        # HTTP failures
        (
            400,
            {"error": "Bad number", "code": "21211"},
            result("failed", error="Bad number (code 21211)", error_code="21211", http_status=400),
        ),
        (
            400,
            {"id": "m1", "status": "ok"},
            result(
                "failed",
                external_id="m1",
                external_ids=["m1"],
                raw_status="ok",
                error='HTTP 400: {"id": "m1", "status": "ok"}',
                http_status=400,
            ),
        ),
        (428, {}, result("failed", error="HTTP 428: {}", http_status=428)),
        (429, {}, result("failed", error="HTTP 429: {}", http_status=429, retryable=True)),
        (430, {}, result("failed", error="HTTP 430: {}", http_status=430)),
        (499, {}, result("failed", error="HTTP 499: {}", http_status=499)),
        (500, {}, result("failed", error="HTTP 500: {}", http_status=500, retryable=True)),
        (
            503,
            {"code": "21610"},
            result(
                "failed",
                error='HTTP 503: {"code": "21610"}',
                error_code="21610",
                http_status=503,
                opted_out=True,
            ),
        ),
        (
            503,
            {"code": "7"},
            result(
                "failed",
                error='HTTP 503: {"code": "7"}',
                error_code="7",
                http_status=503,
                retryable=True,
            ),
        ),
        (
            404,
            {"code": "7"},
            result(
                "failed",
                error='HTTP 404: {"code": "7"}',
                error_code="7",
                http_status=404,
                retryable=True,
            ),
        ),
    ],
)
def test_send_answers(status: int, body: Any, expected: SendResult) -> None:
    assert answer(status, body) == expected


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b"", result("processing", http_status=200)),
        (202, b" \n ", result("processing", http_status=202)),
        (400, b"", result("failed", error="HTTP 400", http_status=400)),
        (429, b"", result("failed", error="HTTP 429", http_status=429, retryable=True)),
        (500, b" ", result("failed", error="HTTP 500", http_status=500, retryable=True)),
        (499, b"", result("failed", error="HTTP 499", http_status=499)),
        # unreadable: a 2xx is retried (the provider may have the message), a 4xx is not
        (
            200,
            b"{oops",
            result(
                "failed",
                error="unreadable answer: invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
                http_status=200,
                retryable=True,
            ),
        ),
        (400, b"{oops", result("failed", error="HTTP 400: {oops", http_status=400)),
        (502, b"{oops", result("failed", error="HTTP 502: {oops", http_status=502, retryable=True)),
    ],
)
def test_empty_and_unreadable_answers(status: int, body: bytes, expected: SendResult) -> None:
    assert answer(status, body) == expected


def test_an_answer_that_maps_nothing_is_an_acceptance_whatever_it_says() -> None:
    nothing = ResponseMap("json")
    assert answer(200, b"Request is received", nothing, content_type="text/plain") == result(
        "processing", http_status=200
    )
    assert answer(299, b"{oops", nothing) == result("processing", http_status=299)
    assert answer(400, b"", nothing) == result("failed", error="HTTP 400", http_status=400)
    assert answer(400, {"error": "x"}, nothing) == result(
        "failed", error='HTTP 400: {"error": "x"}', http_status=400
    )
    # a list path alone is a mapping
    listed = ResponseMap("json", {}, "items")
    assert answer(200, b"{oops", listed).error is not None


REQUIRED = ResponseMap("json", {**FIELDS, "message_id": PathRef("data.id", required=True)})


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"data": {"id": "m1"}},
            result("processing", external_id="m1", external_ids=["m1"], http_status=200),
        ),
        # no id, nothing says refused: unreadable, retried
        (
            {"status": "ok"},
            result(
                "failed",
                raw_status="ok",
                error='answer has no message_id at \'data.id\': {"status": "ok"}',
                http_status=200,
                retryable=True,
            ),
        ),
        (
            {"data": {"id": ""}},
            result(
                "failed",
                error='answer has no message_id at \'data.id\': {"data": {"id": ""}}',
                http_status=200,
                retryable=True,
            ),
        ),
        # a refusal says why: failed for good
        ({"status": "bad"}, result("failed", raw_status="bad", error="provider status bad", http_status=200)),
        ({"error": "No credit"}, result("failed", error="No credit", http_status=200)),
        ({"code": "9"}, result("failed", error="provider error code 9", error_code="9", http_status=200)),
    ],
)
def test_a_required_value_missing_from_a_2xx_answer(body: Any, expected: SendResult) -> None:
    assert answer(200, body, REQUIRED) == expected


@pytest.mark.parametrize(
    ("unknown", "body", "expected"),
    [
        (
            "retry",
            {"status": "what"},
            result(
                "failed",
                raw_status="what",
                error='unexpected answer: {"status": "what"}',
                http_status=200,
                retryable=True,
            ),
        ),
        (
            "fail",
            {"status": "what"},
            result(
                "failed", raw_status="what", error='unexpected answer: {"status": "what"}', http_status=200
            ),
        ),
        (
            "fail",
            {"status": "what", "error": "Nope"},
            result("failed", raw_status="what", error="Nope", http_status=200),
        ),
        ("retry", {"status": "ok"}, result("processing", raw_status="ok", http_status=200)),
        ("retry", {}, result("failed", error="unexpected answer: {}", http_status=200, retryable=True)),
        ("ignore", {"status": "what"}, result("processing", raw_status="what", http_status=200)),
        ("reject", {"status": "what"}, result("processing", raw_status="what", http_status=200)),
        # an error code with a meaning decides instead
        (
            "fail",
            {"status": "what", "code": "7"},
            result(
                "failed",
                raw_status="what",
                error="provider status what (code 7)",
                error_code="7",
                http_status=200,
                retryable=True,
            ),
        ),
    ],
)
def test_statuses_unknown_in_answers(unknown: str, body: Any, expected: SendResult) -> None:
    statuses = Statuses({"ok": "processing"}, unknown)
    assert answer(200, body, statuses=statuses) == expected


def test_unknown_statuses_only_count_when_a_status_is_mapped() -> None:
    statuses = Statuses({"ok": "processing"}, "fail")
    no_status = ResponseMap("json", {"message_id": PathRef("id")})
    assert answer(200, {"id": "m"}, no_status, statuses) == result(
        "processing", external_id="m", external_ids=["m"], http_status=200
    )


def test_answers_without_an_error_table() -> None:
    assert answer(200, {"code": "9", "status": "ok"}, errors=None) == result(
        "processing", raw_status="ok", error_code="9", http_status=200
    )


def test_the_list_of_items_and_plain_ids() -> None:
    listed = ResponseMap("json", {"message_status": PathRef("s")}, "ids")
    got = answer(200, {"ids": ["a", "b", ""], "s": "ok"}, listed)
    assert got == result(
        "processing", external_id="a", external_ids=["a", "b"], raw_status="ok", http_status=200
    )


def test_plain_text_and_xml_answers() -> None:
    text = ResponseMap("text", {"message_id": PathRef(r'"(\w+)"'), "message_status": PathRef(r"^(\w+)")})
    assert answer(
        200, b'Success "ab1"', text, Statuses({"success": "processing"}, "fail"), content_type="text/plain"
    ) == result("processing", external_id="ab1", external_ids=["ab1"], raw_status="Success", http_status=200)
    xml = ResponseMap("xml", {"message_id": PathRef("Message.Sid")})
    body = b"<TwilioResponse><Message><Sid>SM1</Sid></Message></TwilioResponse>"
    assert answer(201, body, xml, content_type="") == result(
        "processing", external_id="SM1", external_ids=["SM1"], http_status=201
    )


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (b"  short  ", "short"),
        (b"x" * 250, "x" * 200),
        (b"\xffab", "\ufffdab"),
        (b" " * 199 + b"ab", "a"),
    ],
)
def test_snippet(body: bytes, text: str) -> None:
    assert _snippet(body) == text


SMS = """<connector for="SMSNotifier">
  <provider><url>https://sms.example.com</url></provider>
  <message_send>
    <request><url>/send</url></request>
    <response format="form"><message_id use="."/></response>
    <errors><error codes="3" means="retry"/></errors>
  </message_send>
  <message_status>
    <request><url>/status</url></request>
    <response format="form"><message_id use="."/><error_code use="c"/></response>
    <errors><error codes="4" means="retry"/></errors>
  </message_status>
</connector>
"""


def test_send_and_status_answers_read_the_content_type_and_their_own_errors() -> None:
    connector = load_connector(SMS)
    json_answer = httpx.Response(200, content=b"5", headers={"content-type": "application/json"})
    # JSON by its content type: the number is the id; without one the declared form is read
    assert map_send_response(connector, json_answer).external_id == "5"
    assert map_status_response(connector, json_answer).external_id == "5"
    assert map_send_response(connector, httpx.Response(200, content=b"5")).external_id is None
    assert map_status_response(connector, httpx.Response(200, content=b"5")).external_id is None
    refused = httpx.Response(400, content=b'{"c": "4"}', headers={"content-type": "application/json"})
    assert map_status_response(connector, refused) == result(
        "failed", error='HTTP 400: {"c": "4"}', error_code="4", http_status=400, retryable=True
    )


def test_send_and_status_answers_need_their_sections() -> None:
    connector = load_connector(SMS.replace("<message_status>", "<!--").replace("</message_status>", "-->"))
    assert connector.message_status is None
    with pytest.raises(ValueError) as info:
        map_status_response(connector, httpx.Response(200))
    assert str(info.value) == "connector has no <message_status>"
    phone = load_connector(
        '<connector for="PhoneCalls"><provider><url>https://x.example</url></provider>'
        "<outgoing_call><request><url>/c</url></request></outgoing_call></connector>"
    )
    with pytest.raises(ValueError) as info:
        map_send_response(phone, httpx.Response(200))
    assert str(info.value) == "connector has no <message_send>"


TOKEN = """<connector for="SMSNotifier">
  <provider>
    <url>https://sms.example.com</url>
    <token ttl="600">
      <request><url>/oauth</url></request>
      <response format="form"><access_token use="data.token"/><expires_in use="data.ttl"/></response>
    </token>
  </provider>
  <message_send><request><url>/send</url></request><response/></message_send>
</connector>
"""


def _token(status: int, body: bytes, content_type: str | None = "application/json") -> TokenAnswer:
    token = load_connector(TOKEN).provider.token
    assert token is not None
    headers = {"content-type": content_type} if content_type else {}
    return map_token_response(token, httpx.Response(status, content=body, headers=headers))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b'{"data": {"token": "T1", "ttl": 60}}', TokenAnswer("T1", 60)),
        (200, b'{"data": {"token": "T1", "ttl": "1"}}', TokenAnswer("T1", 1)),
        (200, b'{"data": {"token": "T1", "ttl": " 90 "}}', TokenAnswer("T1", 90)),
        (200, b'{"data": {"token": "T1", "ttl": 0}}', TokenAnswer("T1", 600)),  # no lifetime: the ttl
        (200, b'{"data": {"token": "T1", "ttl": "-5"}}', TokenAnswer("T1", 600)),
        (200, b'{"data": {"token": "T1", "ttl": "soon"}}', TokenAnswer("T1", 600)),
        (200, b'{"data": {"token": "T1"}}', TokenAnswer("T1", 600)),
        (399, b'{"data": {"token": "T1"}}', TokenAnswer("T1", 600)),
        (
            200,
            b'{"data": {}}',
            TokenAnswer(None, 0, "token answer has no access_token at 'data.token': {\"data\": {}}", True),
        ),
        (
            200,
            b'{"data": {"token": ""}}',
            TokenAnswer(
                None, 0, 'token answer has no access_token at \'data.token\': {"data": {"token": ""}}', True
            ),
        ),
        (
            200,
            b"{oops",
            TokenAnswer(
                None,
                0,
                "unreadable token answer: invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
                True,
            ),
        ),
        (400, b"bad creds", TokenAnswer(None, 0, "token request answered HTTP 400: bad creds", False)),
        (401, b"", TokenAnswer(None, 0, "token request answered HTTP 401: ", False)),
        (428, b"x", TokenAnswer(None, 0, "token request answered HTTP 428: x", False)),
        (429, b"x", TokenAnswer(None, 0, "token request answered HTTP 429: x", True)),
        (430, b"x", TokenAnswer(None, 0, "token request answered HTTP 430: x", False)),
        (499, b"x", TokenAnswer(None, 0, "token request answered HTTP 499: x", False)),
        (500, b"x", TokenAnswer(None, 0, "token request answered HTTP 500: x", True)),
    ],
)
def test_token_answers(status: int, body: bytes, expected: TokenAnswer) -> None:
    assert _token(status, body) == expected


def test_token_answers_are_read_by_their_content_type_first() -> None:
    # a JSON document sent as a form is a form: no token in it
    assert _token(200, b'{"data": {"token": "T4"}}', "application/x-www-form-urlencoded") == TokenAnswer(
        None, 0, 'token answer has no access_token at \'data.token\': {"data": {"token": "T4"}}', True
    )
    declared_json = load_connector(TOKEN.replace('<response format="form">', '<response format="json">'))
    token = declared_json.provider.token
    assert token is not None
    assert map_token_response(token, httpx.Response(200, content=b"data.token=T5")) == TokenAnswer(
        None, 0, "unreadable token answer: invalid JSON: Expecting value: line 1 column 1 (char 0)", True
    )


def test_token_answers_without_a_content_type_are_read_as_declared() -> None:
    assert _token(200, b"data.token=T2", None) == TokenAnswer(
        None, 0, "token answer has no access_token at 'data.token': data.token=T2", True
    )
    assert _token(200, b'{"data": {"token": "T3"}}', None) == TokenAnswer("T3", 600)
    assert _token(200, b"5", "application/json") == TokenAnswer(
        None, 0, "token answer has no access_token at 'data.token': 5", True
    )
