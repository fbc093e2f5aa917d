"""call_webhook end to end through an httpx.MockTransport (never the network): what is sent
(method, headers, body, timeout), the webhook_called event with its wire dumps, sizes and timing,
@webhook, the saved result, and the limits on the URL, the request and the response."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from flows.engine.actions import webhook_client

from .builders import Handler, action_events, flow_def, node, numbered, recorder, trigger, without_ids
from .helpers import CHANNEL, contact, exit_, seeded_engine

FLOW_UUID = "f9000000-0000-4000-8000-000000000019"
TRIGGER = trigger(FLOW_UUID)


class _Clock:
    """Stands in for the `time` module: each monotonic() reading is 2.5 seconds after the last."""

    def __init__(self) -> None:
        self._ticks = itertools.count()

    def monotonic(self) -> float:
        return 100.0 + 2.5 * next(self._ticks)


@pytest.fixture(autouse=True)
def _steady_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_client, "time", _Clock())


def flow(*actions: dict[str, Any]) -> dict[str, Any]:
    """The flow "Hooks": one node of `actions` (uuids a0, a1, …)."""
    return flow_def(FLOW_UUID, "Hooks", [node("n1", numbered(actions), [exit_("1")])])


def run(*actions: dict[str, Any], handler: Handler, **engine_kw: Any) -> tuple[list[dict[str, Any]], Any]:
    """Starts a one-node flow; returns its events (without uuid/created_on or run start/end)
    and the run."""
    eng = seeded_engine({"flows": [flow(*actions)], "channels": [CHANNEL]}, handler, **engine_kw)
    sprint = eng.start(contact(), TRIGGER)
    return [without_ids(e) for e in action_events(sprint)], sprint.session.runs[0]


def webhook(**over: Any) -> dict[str, Any]:
    """A call_webhook action: GET http://api.test/ unless `over` says otherwise."""
    return {"type": "call_webhook", "method": "GET", "url": "http://api.test/", **over}


# ------------------------------------------------------------------------------ a whole call


def test_a_post_call_as_sent_logged_and_remembered() -> None:
    sent, handler = recorder(httpx.Response(201, json={"id": 7}))
    events, the_run = run(
        webhook(
            method="post",
            url="http://api.test/items?q=1",
            headers={"x-token": "abc"},
            body="hi",
            result_name="Created",
        ),
        handler=handler,
        webhook_timeout=3.0,
        webhook_user_agent="Tester/1",
    )
    request = sent[0]
    assert (request.method, str(request.url), request.content) == ("POST", "http://api.test/items?q=1", b"hi")
    assert sorted(request.headers.multi_items()) == [
        ("accept", "*/*"),
        ("accept-encoding", "gzip"),
        ("connection", "keep-alive"),
        ("content-length", "2"),
        ("host", "api.test"),
        ("user-agent", "Tester/1"),
        ("x-token", "abc"),
    ]
    assert request.extensions["timeout"] == {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 3.0}
    dump = (
        "POST /items?q=1 HTTP/1.1\r\nHost: api.test\r\nUser-Agent: Tester/1\r\nContent-Length: 2\r\n"
        "X-Token: abc\r\nAccept-Encoding: gzip\r\n\r\nhi"
    )
    response = 'HTTP/1.1 201 Created\r\nContent-Length: 8\r\nContent-Type: application/json\r\n\r\n{"id":7}'
    assert events == [
        {
            "type": "webhook_called",
            "url": "http://api.test/items?q=1",
            "status_code": 201,
            "request": dump,
            "response": response,
            "elapsed_ms": 2500,
            "retries": 0,
            "sizes": {"request": len(dump), "response": len(response)},
            "status": "success",
        },
        {
            "type": "run_result_changed",
            "name": "Created",
            "value": "201",
            "category": "Success",
            "extra": {"id": 7},
        },
    ]
    assert the_run.webhook == {
        "method": "POST",
        "url": "http://api.test/items?q=1",
        "status": 201,
        "headers": {"Content-Type": "application/json"},
        "json": {"id": 7},
    }
    assert the_run.results["created"] == {
        "name": "Created",
        "value": "201",
        "category": "Success",
        "node_uuid": "n1",
        "created_on": the_run.results["created"]["created_on"],
        "input": "POST http://api.test/items?q=1",
        "extra": {"id": 7},
    }


def test_the_engine_user_agent_replaces_the_flows_and_its_accept_encoding_is_kept() -> None:
    sent, handler = recorder(httpx.Response(200))
    headers = {"User-Agent": "Mine", "accept-encoding": "br"}
    events, _ = run(
        webhook(method="get", url="http://api.test", headers=headers),
        handler=handler,
        webhook_user_agent="Tester/1",
    )
    assert sent[0].headers.get_list("user-agent") == ["Tester/1"]
    assert sent[0].headers.get_list("accept-encoding") == ["br"]
    assert "xxuser-agentxx" not in sent[0].headers and "xxaccept-encodingxx" not in sent[0].headers
    # the logged request is what went out: no second User-Agent, no gzip the flow replaced
    assert events[0]["request"] == (
        "GET / HTTP/1.1\r\nHost: api.test\r\nUser-Agent: Tester/1\r\nAccept-Encoding: br\r\n\r\n"
    )


def test_a_get_without_a_body_sends_no_body() -> None:
    sent, handler = recorder(httpx.Response(200, text="ok"))
    events, the_run = run(webhook(method="get", url="http://api.test"), handler=handler)
    assert (sent[0].method, sent[0].content, "content-length" in sent[0].headers) == ("GET", b"", False)
    assert events[0]["request"] == (
        "GET / HTTP/1.1\r\nHost: api.test\r\nUser-Agent: Flowgate\r\nAccept-Encoding: gzip\r\n\r\n"
    )
    assert the_run.webhook["method"] == "GET"


def test_a_get_with_a_body_sends_it() -> None:
    sent, handler = recorder(httpx.Response(200))
    events, _ = run(webhook(url="http://api.test/x?", body="q"), handler=handler)
    assert sent[0].content == b"q"
    assert events[0]["request"] == (
        "GET /x? HTTP/1.1\r\nHost: api.test\r\nUser-Agent: Flowgate\r\nContent-Length: 1\r\n"
        "Accept-Encoding: gzip\r\n\r\nq"
    )


def test_the_elapsed_time_is_in_whole_milliseconds() -> None:
    events, _ = run(webhook(), handler=lambda r: httpx.Response(200))
    assert events[0]["elapsed_ms"] == 2500


# ----------------------------------------------------------------------------- URL and size


LONG_PATH = "http://api.test/" + "p" * (2048 - len("http://api.test/"))


@pytest.mark.parametrize(
    ("url", "called"),
    [
        (LONG_PATH, True),  # exactly 2048 characters
        (LONG_PATH + "p", False),
        ("http://[::1/x", False),  # urlsplit refuses it
        ("http://api.test/a b", False),
        ("http:///nohost", False),
    ],
)
def test_which_urls_are_valid(url: str, called: bool) -> None:
    sent, handler = recorder(httpx.Response(200))
    events, _ = run(webhook(url=url), handler=handler)
    if called:
        assert [e["type"] for e in events] == ["webhook_called"] and len(sent) == 1
    else:
        shown = url if len(url) <= 255 else url[:252] + "..."
        assert events == [
            {
                "type": "error",
                "text": f"Webhook URL evaluated to an invalid URL: '{shown}'",
                "code": "url:invalid",
                "extra": {"url": shown},
            }
        ]


LIMIT = 256 * 1024
# the evaluated request: request line, two header lines, a blank line and the body
FIXED = len("POST http://api.test/ HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n")


TEN_THOUSAND = '@(repeat("x", 10000))'  # a flow's body is at most 20000 characters as written


@pytest.mark.parametrize(("body_size", "called"), [(LIMIT - FIXED, True), (LIMIT - FIXED + 1, False)])
def test_the_evaluated_request_may_be_exactly_the_limit(body_size: int, called: bool) -> None:
    sent, handler = recorder(httpx.Response(200))
    body = TEN_THOUSAND * 26 + "x" * (body_size - 260_000)
    events, _ = run(webhook(method="POST", headers={"a": "1", "b": "2"}, body=body), handler=handler)
    if called:
        assert len(sent) == 1 and events[0]["type"] == "webhook_called"
    else:
        assert events == [
            {
                "type": "error",
                "text": f"Webhook request evaluated to {LIMIT + 1} bytes, exceeding the limit of {LIMIT}",
                "code": "webhook:request_size",
                "extra": {"limit": str(LIMIT), "size": str(LIMIT + 1)},
            }
        ]


# ------------------------------------------------------------------------------ responses


@pytest.mark.parametrize(
    ("code", "status", "category", "first_line"),
    [
        (200, "success", "Success", "HTTP/1.1 200 OK"),
        (299, "success", "Success", "HTTP/1.1 299"),
        (300, "response_error", "Failure", "HTTP/1.1 300 Multiple Choices"),
        (410, "response_error", "Failure", "HTTP/1.1 410 Gone"),  # subscriber_gone is for resthooks
        (599, "response_error", "Failure", "HTTP/1.1 599"),
    ],
)
def test_status_codes(code: int, status: str, category: str, first_line: str) -> None:
    events, _ = run(webhook(result_name="R"), handler=lambda r: httpx.Response(code))
    assert events[0]["status"] == status
    assert events[0]["response"] == f"{first_line}\r\n\r\n"
    assert (events[1]["value"], events[1]["category"]) == (str(code), category)


def test_a_response_version_that_is_not_http_is_dumped_as_http_1_1() -> None:
    events, _ = run(webhook(), handler=lambda r: httpx.Response(204, extensions={"http_version": b"SPDY/3"}))
    assert events[0]["response"] == "HTTP/1.1 204 No Content\r\n\r\n"
    events, _ = run(webhook(), handler=lambda r: httpx.Response(204, extensions={"http_version": b"HTTP/2"}))
    assert events[0]["response"] == "HTTP/2 204 No Content\r\n\r\n"


@pytest.mark.parametrize(
    ("content", "content_type", "text"),
    [
        (b"caf\xe9", "text/plain; charset=latin-1", "café"),
        (b"bad \xff byte", "text/plain", "bad \ufffd byte"),
        (b"bad \xff byte", "text/plain; charset=utf-8", "bad \ufffd byte"),
    ],
)
def test_bodies_are_decoded_with_their_charset(content: bytes, content_type: str, text: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"Content-Type": content_type})

    events, _ = run(webhook(), handler=handler)
    assert events[0]["status"] == "success"
    assert events[0]["response"].endswith("\r\n\r\n" + text)


class Chunks(httpx.SyncByteStream):
    """A streamed (chunked) body; `then_fail` raises after the chunks, like a dropped connection."""

    def __init__(self, chunks: list[bytes], then_fail: bool = False) -> None:
        self.chunks = chunks
        self.then_fail = then_fail

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.then_fail:
            raise httpx.ReadError("connection dropped")


def test_a_streamed_body_is_joined_as_sent() -> None:
    events, the_run = run(
        webhook(), handler=lambda r: httpx.Response(200, stream=Chunks([b'{"a":', b" 1", b"}"]))
    )
    assert events[0]["response"] == 'HTTP/1.1 200 OK\r\n\r\n{"a": 1}'
    assert events[0]["sizes"]["response"] == len(events[0]["response"])
    assert the_run.webhook["json"] == {"a": 1}


def test_a_body_of_exactly_the_limit_is_read_whole() -> None:
    events, _ = run(
        webhook(), handler=lambda r: httpx.Response(200, stream=Chunks([b"x" * 60_000, b"y" * 40_000]))
    )
    assert events[0]["status"] == "success"
    assert events[0]["sizes"]["response"] == len("HTTP/1.1 200 OK\r\n\r\n") + 100_000


WARNING = {
    "type": "warning",
    "text": "Webhook response exceeded the limit of 100000 bytes",
    "code": "webhook:response_size",
    "extra": {"limit": "100000"},
}


def test_a_body_over_the_limit_without_a_length_stops_reading_there() -> None:
    chunks = [b"x" * 40_000, b"y" * 40_000, b"z" * 40_000]
    events, the_run = run(
        webhook(result_name="R"), handler=lambda r: httpx.Response(200, stream=Chunks(chunks))
    )
    assert events[0] == WARNING
    head = "HTTP/1.1 200 OK\r\n\r\n"
    assert events[1] == {
        "type": "webhook_called",
        "url": "http://api.test/",
        "status_code": 200,
        "request": events[1]["request"],
        "response": head,
        "elapsed_ms": 2500,
        "retries": 0,
        "sizes": {"request": len(events[1]["request"]), "response": len(head) + 80_000},
        "status": "connection_error",
    }
    assert the_run.webhook == {
        "method": "GET",
        "url": "http://api.test/",
        "status": 200,
        "headers": {},
        "json": None,
    }


def test_a_body_over_the_limit_with_a_length_counts_the_declared_length() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "250000"}, stream=Chunks([b"x" * 150_000]))

    events, _ = run(webhook(), handler=handler)
    head = "HTTP/1.1 200 OK\r\nContent-Length: 250000\r\n\r\n"
    assert events[0] == WARNING
    assert (events[1]["response"], events[1]["sizes"]["response"]) == (head, len(head) + 250_000)


def test_the_body_is_streamed_so_nothing_past_the_limit_is_read() -> None:
    # a connection that drops after the limit: the call stops reading before it drops
    chunks = Chunks([b"x" * 100_001], then_fail=True)
    events, _ = run(webhook(), handler=lambda r: httpx.Response(200, stream=chunks))
    assert [e["type"] for e in events] == ["warning", "webhook_called"]
    assert events[1]["status_code"] == 200


def test_a_dropped_connection_is_a_connection_error() -> None:
    chunks = Chunks([b"x" * 10], then_fail=True)
    events, the_run = run(webhook(result_name="R"), handler=lambda r: httpx.Response(200, stream=chunks))
    assert events[0]["status"] == "connection_error"
    assert "status_code" not in events[0] and "response" not in events[0]
    assert the_run.webhook == {
        "method": "GET",
        "url": "http://api.test/",
        "status": 0,
        "headers": None,
        "json": None,
    }
    assert (events[1]["value"], events[1]["category"]) == ("0", "Failure")


@pytest.mark.parametrize(("size", "kept"), [(10_000, True), (10_001, False)])
def test_a_json_body_is_the_result_extra_up_to_10000_bytes(size: int, kept: bool) -> None:
    body = '{"k":"' + "v" * (size - 8) + '"}'
    assert len(body) == size
    events, the_run = run(webhook(result_name="R"), handler=lambda r: httpx.Response(200, text=body))
    assert ("extra" in events[1]) is kept
    assert ("extra" in the_run.results["r"]) is kept
