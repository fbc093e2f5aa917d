"""The requests an External API channel sends and what it makes of the answers, without the database.

A provider is played by httpx.MockTransport; the channel is an unsaved model. The same sends
over real HTTP (and the message states they lead to) are in test_external_cases.py and
tests/channels_app/test_send_faults.py. Written to answer the mutants `make mutation` found
alive in aggregators/external/sender.py (issue 26).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from aggregators.external.sender import build_request, national_number, send, template_values
from channels_app.models import Channel
from channels_app.types.base import OutgoingMessage, SendResult

SEND_URL = "http://127.0.0.1:9/send"


def _channel(address: str = "+250788000000", country: str = "RW", **config: object) -> Channel:
    return Channel(channel_type="EX", name="EX", address=address, country=country, config=config)


def _msg(text: str = "hi", urn: str = "tel:+250788383383", **kw: object) -> OutgoingMessage:
    return OutgoingMessage(id=42, uuid="0199a5e0-0000-7000-8000-00000000002a", text=text, urn=urn, **kw)  # type: ignore[arg-type]


def _send(
    channel: Channel, msg: OutgoingMessage, answer: Callable[[httpx.Request], httpx.Response]
) -> tuple[SendResult, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    async def go() -> SendResult:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await send(channel, msg, client)

    return asyncio.run(go()), seen


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="queued")


# --- numbers and template values --------------------------------------------------------------


def test_national_number_as_courier_use_national() -> None:
    assert national_number("+250788383383", "RW") == "788383383"
    assert national_number("0788383383", "rw") == "788383383"  # the channel's country, any case
    assert national_number("+250788383383", "") == "788383383"  # international: no country needed
    assert national_number("+notanumber", "RW") == "notanumber"  # unparseable: as given, no plus


def test_template_values_name_every_variable() -> None:
    channel = _channel()
    values = template_values(channel, _msg("hello"), "part one")
    assert values == {
        "text": "part one",
        "to": "+250788383383",
        "to_no_plus": "250788383383",
        "to_national": "788383383",
        "from": "+250788000000",
        "from_no_plus": "250788000000",
        "id": "42",
        "uuid": "0199a5e0-0000-7000-8000-00000000002a",
        "channel": str(channel.uuid),
    }


def test_use_national_sends_the_national_number_as_to() -> None:
    values = template_values(_channel(use_national=True), _msg(), "x")
    assert (values["to"], values["to_no_plus"], values["to_national"]) == (
        "788383383",
        "788383383",
        "788383383",
    )


def test_a_channel_without_an_address_sends_an_empty_from() -> None:
    values = template_values(_channel(address=""), _msg(), "x")
    assert (values["from"], values["from_no_plus"]) == ("", "")


def test_ext_recipients_and_senders_are_sent_as_they_are() -> None:
    # Only a leading plus is dropped for the *_no_plus variables: ids like "Xena" stay whole.
    channel = _channel(address="X-Bot", country="", scheme="ext")
    values = template_values(channel, _msg(urn="ext:Xena"), "x")
    assert (values["to"], values["to_no_plus"], values["to_national"]) == ("Xena", "Xena", "Xena")
    assert (values["from"], values["from_no_plus"]) == ("X-Bot", "X-Bot")


def test_a_stored_number_without_plus_is_read_in_the_channels_country() -> None:
    values = template_values(_channel(), _msg(urn="tel:0788383383"), "x")
    assert values["to_national"] == "788383383"


# --- one part's request -----------------------------------------------------------------------


def test_default_request_is_a_form_post_of_every_variable() -> None:
    channel = _channel(send_url=SEND_URL + "?to={{to}}")
    request = build_request(channel, _msg(), "hi there")
    assert request.method == "POST"
    assert str(request.url) == SEND_URL + "?to=%2B250788383383"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(request.content.decode())
    assert form["text"] == ["hi there"] and form["to"] == ["+250788383383"] and form["id"] == ["42"]
    assert "authorization" not in request.headers


def test_the_log_of_a_get_has_an_empty_request_body() -> None:
    result, _ = _send(_channel(send_url=SEND_URL + "?text={{text}}", method="GET"), _msg("hi"), _ok)
    assert result.log[0]["method"] == "GET" and result.log[0]["request_body"] == ""


def test_get_requests_carry_no_body_but_still_name_the_content_type() -> None:
    request = build_request(_channel(send_url=SEND_URL + "?text={{text}}", method="get"), _msg(), "a b")
    assert request.method == "GET"
    assert request.content == b""
    assert parse_qs(urlsplit(str(request.url)).query) == {"text": ["a b"]}
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"


def test_put_with_a_json_body_and_quick_replies() -> None:
    channel = _channel(
        send_url=SEND_URL,
        method="PUT",
        content_type="json",
        body='{"text": {{text}}, "qr": {{quick_replies}}}',
    )
    request = build_request(channel, _msg(), 'say "hi"', ["Yes", "No"])
    assert request.method == "PUT"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"text": 'say "hi"', "qr": ["Yes", "No"]}


def test_json_default_body() -> None:
    request = build_request(_channel(send_url=SEND_URL, content_type="json"), _msg(), "hi")
    body = json.loads(request.content)
    assert body["text"] == "hi" and body["to"] == "+250788383383" and body["from"] == "+250788000000"


def test_quick_replies_can_ride_in_the_url() -> None:
    # courier's way: `{{quick_replies}}` in the URL becomes repeated quick_reply parameters.
    channel = _channel(send_url=SEND_URL + "?to={{to}}{{quick_replies}}")
    request = build_request(channel, _msg(), "hi", ["Yes", "No"])
    assert parse_qs(urlsplit(str(request.url)).query)["quick_reply"] == ["Yes", "No"]


def test_a_content_type_the_sender_does_not_know_posts_an_empty_body() -> None:
    # A config saved by an older version: no crash, no made-up body, no content type header.
    request = build_request(_channel(send_url=SEND_URL, content_type="form"), _msg(), "hi")
    assert request.method == "POST" and request.content == b""
    assert "content-type" not in request.headers


def test_custom_content_type_headers_and_authorization() -> None:
    channel = _channel(
        send_url=SEND_URL,
        content_type="custom",
        custom_content_type="application/vnd.sms+json",
        body='{"t": {{text}}}',
        headers={"X-Api-Key": "k-1", "X-Num": 5},
        send_authorization="Bearer s3cret",
    )
    request = build_request(channel, _msg(), "hi")
    assert request.headers["Content-Type"] == "application/vnd.sms+json"
    assert json.loads(request.content) == {"t": "hi"}
    assert request.headers["X-Api-Key"] == "k-1" and request.headers["X-Num"] == "5"
    assert request.headers["Authorization"] == "Bearer s3cret"


def test_a_configured_content_type_header_is_not_overridden_whatever_its_case() -> None:
    channel = _channel(send_url=SEND_URL, headers={"content-type": "text/plain"})
    request = build_request(channel, _msg(), "hi")
    assert request.headers.get_list("Content-Type") == ["text/plain"]


# --- sending and the provider's answers -------------------------------------------------------


def test_a_message_without_a_send_url_fails_without_a_request() -> None:
    result, seen = _send(_channel(), _msg(), _ok)
    assert (result.ok, result.retryable, result.error) == (
        False,
        False,
        "the channel has no send_url configured",
    )
    assert seen == []


def test_a_successful_send_logs_the_exchange() -> None:
    result, seen = _send(_channel(send_url=SEND_URL), _msg("hello"), _ok)
    assert (result.ok, result.parts, result.parts_sent, result.error) == (True, 1, 1, "")
    assert len(seen) == 1 and parse_qs(seen[0].content.decode())["text"] == ["hello"]
    [entry] = result.log
    assert entry["method"] == "POST" and entry["url"] == SEND_URL
    assert "text=hello" in entry["request_body"]
    assert entry["status_code"] == 200 and entry["response_body"] == "queued"
    assert 0 <= entry["elapsed_ms"] < 60_000 and "error" not in entry


def test_long_texts_go_in_160_character_parts_quick_replies_on_the_last() -> None:
    channel = _channel(
        send_url=SEND_URL, content_type="json", body='{"text": {{text}}, "qr": {{quick_replies}}}'
    )
    text = ("word " * 40).strip()  # 199 characters
    result, seen = _send(channel, _msg(text, quick_replies=["Yes", "No"]), _ok)
    bodies = [json.loads(r.content) for r in seen]
    assert len(bodies) == 2 and result.parts == 2 and result.parts_sent == 2 and result.ok
    assert all(len(b["text"]) <= 160 for b in bodies)
    assert " ".join(b["text"] for b in bodies) == text
    assert [b["qr"] for b in bodies] == [[], ["Yes", "No"]]
    assert len(result.log) == 2


def test_a_161_character_text_is_two_parts_and_max_length_is_configurable() -> None:
    result, seen = _send(_channel(send_url=SEND_URL), _msg("x" * 161), _ok)
    assert len(seen) == 2 and result.parts == 2
    result, seen = _send(_channel(send_url=SEND_URL, max_length=20), _msg("y" * 30), _ok)
    assert len(seen) == 2 and result.parts_sent == 2
    result, seen = _send(_channel(send_url=SEND_URL, max_length="200"), _msg("z" * 161), _ok)
    assert len(seen) == 1


def test_a_retry_resumes_after_the_parts_already_sent() -> None:
    result, seen = _send(
        _channel(send_url=SEND_URL, max_length=10),
        _msg("aaaaaaaaaa bbbbbbbbbb cccccccccc", parts_sent=1),
        _ok,
    )
    assert [parse_qs(r.content.decode())["text"] for r in seen] == [["bbbbbbbbbb"], ["cccccccccc"]]
    assert (result.ok, result.parts, result.parts_sent) == (True, 3, 3)


def test_a_retry_that_resumes_still_puts_quick_replies_on_the_last_part() -> None:
    channel = _channel(
        send_url=SEND_URL, max_length=5, content_type="json", body='{"t": {{text}}, "qr": {{quick_replies}}}'
    )
    _, seen = _send(channel, _msg("aaaaa bbbbb ccccc", quick_replies=["Yes"], parts_sent=1), _ok)
    assert [json.loads(r.content) for r in seen] == [{"t": "bbbbb", "qr": []}, {"t": "ccccc", "qr": ["Yes"]}]


def test_attachments_go_as_urls_after_the_text() -> None:
    _, seen = _send(
        _channel(send_url=SEND_URL, max_length=0),
        _msg("see", attachments=["image/jpeg:https://x.org/a.jpg"]),
        _ok,
    )
    assert parse_qs(seen[0].content.decode())["text"] == ["see\nhttps://x.org/a.jpg"]


def test_a_refused_later_part_keeps_the_earlier_parts_log_and_progress(settings: Any) -> None:
    # The host comes from the text here, so part two goes to a private address the guard refuses.
    settings.FLOWGATE_ALLOW_PRIVATE_URLS = False
    channel = _channel(send_url="http://{{text}}/send", max_length=13)
    result, seen = _send(channel, _msg("93.184.216.34 10.0.0.1"), _ok)
    assert len(seen) == 1 and str(seen[0].url) == "http://93.184.216.34/send"
    assert result.ok is False and result.retryable is False and result.parts_sent == 1
    assert result.error.startswith("'http://10.0.0.1/send' is not allowed")
    assert [entry["url"] for entry in result.log] == ["http://93.184.216.34/send"]


def test_smart_encoding_replaces_curly_quotes_only_when_asked() -> None:
    _, seen = _send(_channel(send_url=SEND_URL, encoding="smart"), _msg("café “quoted”"), _ok)
    assert parse_qs(seen[0].content.decode())["text"] == ['café "quoted"']
    _, seen = _send(_channel(send_url=SEND_URL), _msg("café “quoted”"), _ok)
    assert parse_qs(seen[0].content.decode())["text"] == ["café “quoted”"]


def test_a_refused_url_is_a_final_failure_without_a_request() -> None:
    result, seen = _send(_channel(send_url="ftp://127.0.0.1/send"), _msg(), _ok)
    assert not result.ok and not result.retryable and seen == []
    assert (
        result.error
        == "'ftp://127.0.0.1/send' is not allowed: scheme 'ftp' is not allowed (http or https only)"
    )
    assert result.parts_sent == 0 and result.log == []


def test_a_transport_error_is_retried_and_logged() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    result, _ = _send(_channel(send_url=SEND_URL), _msg(), refuse)
    assert (result.ok, result.retryable) == (False, True)
    assert result.error == "transport error: ConnectError('connection refused')"
    [entry] = result.log
    assert entry["error"] == "ConnectError('connection refused')" and "status_code" not in entry
    assert 0 <= entry["elapsed_ms"] < 60_000


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_retried(status: int) -> None:
    result, _ = _send(_channel(send_url=SEND_URL), _msg(), lambda r: httpx.Response(status, text="busy"))
    assert (result.ok, result.retryable, result.error) == (False, True, f"provider answered HTTP {status}")
    assert result.log[0]["status_code"] == status


@pytest.mark.parametrize("status", [300, 401, 404, 428, 499])
def test_other_non_2xx_answers_are_retried_with_the_providers_reason(status: int) -> None:
    long_reason = "  " + "r" * 300 + "  "
    result, _ = _send(_channel(send_url=SEND_URL), _msg(), lambda r: httpx.Response(status, text=long_reason))
    assert (result.ok, result.retryable) == (False, True)
    assert result.error == f"provider answered HTTP {status}: " + "r" * 200
    assert [entry["status_code"] for entry in result.log] == [status]  # the answer is kept for the log
    result, _ = _send(_channel(send_url=SEND_URL), _msg(), lambda r: httpx.Response(status, text="code: X"))
    assert result.error == f"provider answered HTTP {status}: code: X"
    result, _ = _send(_channel(send_url=SEND_URL), _msg(), lambda r: httpx.Response(status, text=" "))
    assert result.error == f"provider answered HTTP {status}"


@pytest.mark.parametrize("status", [200, 201, 299])
def test_any_2xx_is_accepted(status: int) -> None:
    result, _ = _send(_channel(send_url=SEND_URL), _msg(), lambda r: httpx.Response(status))
    assert result.ok and result.parts_sent == 1


def test_the_response_check_must_be_in_the_answer() -> None:
    channel = _channel(send_url=SEND_URL, mt_response_check="QUEUED", max_length=5)
    result, seen = _send(channel, _msg("aaaaa bbbbb"), lambda r: httpx.Response(200, text="status: QUEUED"))
    assert result.ok and len(seen) == 2
    result, seen = _send(channel, _msg("aaaaa bbbbb"), lambda r: httpx.Response(200, text="status: REJECTED"))
    assert (result.ok, result.retryable, result.parts_sent) == (False, True, 0)
    assert result.error == "provider response does not contain 'QUEUED'" and len(seen) == 1
    assert [entry["response_body"] for entry in result.log] == ["status: REJECTED"]


def test_a_failed_second_part_reports_the_first_as_sent() -> None:
    answers = iter([httpx.Response(200), httpx.Response(503)])
    result, seen = _send(
        _channel(send_url=SEND_URL, max_length=5), _msg("aaaaa bbbbb"), lambda r: next(answers)
    )
    assert (result.ok, result.parts_sent, len(seen), len(result.log)) == (False, 1, 2, 2)
    answers2 = iter([httpx.Response(200), httpx.Response(404)])
    result, _ = _send(
        _channel(send_url=SEND_URL, max_length=5), _msg("aaaaa bbbbb"), lambda r: next(answers2)
    )
    assert result.parts_sent == 1
    answers3 = iter([httpx.Response(200, text="OK"), httpx.Response(200, text="no")])
    channel = _channel(send_url=SEND_URL, max_length=5, mt_response_check="OK")
    result, _ = _send(channel, _msg("aaaaa bbbbb"), lambda r: next(answers3))
    assert result.parts_sent == 1

    def fail_second(request: httpx.Request) -> httpx.Response:
        if "bbbbb" in request.content.decode():
            raise httpx.ReadTimeout("slow")
        return httpx.Response(200)

    result, _ = _send(_channel(send_url=SEND_URL, max_length=5), _msg("aaaaa bbbbb"), fail_second)
    assert (result.parts_sent, len(result.log)) == (1, 2)
