"""Message log filters and the per-message events page (HTTP exchanges shown readably)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from channels_app.models import MsgEvent
from channels_app.services.channels import create_channel
from channels_app.services.contacts import create_contact
from channels_app.services.send import queue_message
from tests.conftest import run_jobs
from tests.web.dashboard.conftest import make_msg


def _rows(response: Any, status: int = 200) -> list[str]:
    assert response.status_code == status, response.content[:500]
    return re.findall(r'<tr data-uuid="([0-9a-f-]+)"', response.content.decode())


@pytest.fixture
def log(ex_channel: Any, workspace: Any) -> dict[str, Any]:
    backup = create_channel(workspace=workspace, type_code="EX", name="Backup", country="RW",
                            config={"send_url": "http://127.0.0.1:9/send"})  # fmt: skip
    aline = create_contact(workspace=workspace, name="Aline Uwase", urn_list=["tel:+250788555555"])
    # (a handled or outbound message always has its contact: only pending ones have none)
    joiner = create_contact(workspace=workspace, name="", urn_list=["tel:+250788111111"])
    return {
        "backup": backup,
        "join": make_msg(ex_channel, text="JOIN please", urn="tel:+250788111111", contact=joiner),
        "reply": make_msg(
            ex_channel,
            direction="out",
            status="delivered",
            text="Welcome!",
            urn="tel:+250788111111",
            contact=joiner,
        ),
        "failed": make_msg(
            backup, direction="out", status="failed", text="Reminder", urn="tel:+250788222222"
        ),
        "old": make_msg(ex_channel, text="old news", days_ago=10),
        "aline": make_msg(ex_channel, text="hello", urn="tel:+250788555555", contact=aline),
    }


def test_each_filter_narrows_the_log(log: dict[str, Any], client_in: Any, ex_channel: Any) -> None:
    uuid = {k: str(m.uuid) for k, m in log.items() if hasattr(m, "urn") and k != "backup"}
    assert set(_rows(client_in.get("/messages/"))) == set(uuid.values())
    assert _rows(client_in.get("/messages/", {"channel": str(log["backup"].uuid)})) == [uuid["failed"]]
    assert set(_rows(client_in.get("/messages/", {"direction": "out"}))) == {uuid["reply"], uuid["failed"]}
    assert _rows(client_in.get("/messages/", {"status": "failed"})) == [uuid["failed"]]
    assert _rows(client_in.get("/messages/", {"q": "join"})) == [uuid["join"]]  # text, any case
    assert set(_rows(client_in.get("/messages/", {"q": "788111111"}))) == {uuid["join"], uuid["reply"]}  # URN
    assert _rows(client_in.get("/messages/", {"q": "uwase"})) == [uuid["aline"]]  # contact name
    old_day = log["old"].created_on.date().isoformat()
    assert _rows(client_in.get("/messages/", {"since": old_day, "until": old_day})) == [uuid["old"]]
    assert uuid["old"] not in _rows(client_in.get("/messages/", {"since": log["join"].created_on.date()}))
    # Words are starts of words of the text (tests/web/dashboard/test_message_words.py); the filters combine.
    combined = client_in.get(
        "/messages/", {"channel": str(ex_channel.uuid), "direction": "in", "q": "NEWS old"}
    )
    assert set(_rows(combined)) == {uuid["old"]}
    combined = client_in.get("/messages/", {"channel": str(ex_channel.uuid), "direction": "in", "q": "HEL"})
    assert set(_rows(combined)) == {uuid["aline"]}
    assert _rows(client_in.get("/messages/", {"direction": "out", "q": "hel"})) == []


def test_bad_filters_answer_400_with_the_reason_never_500(log: dict[str, Any], client_in: Any) -> None:
    response = client_in.get("/messages/", {"since": "yesterday-ish"})
    assert response.status_code == 400 and "Enter a valid date" in response.content.decode()
    assert len(_rows(response, 400)) == 5  # the bad field is ignored, the log still shows
    response = client_in.get("/messages/", {"since": "2024-05-02", "until": "2024-05-01"})
    assert response.status_code == 400 and "end date is before the start date" in response.content.decode()
    for params in ({"status": "bogus"}, {"direction": "sideways"}, {"channel": "nope"}, {"before": "-3"}):
        assert client_in.get("/messages/", params).status_code == 400


def test_another_workspace_is_invisible(log: dict[str, Any], other_workspace: Any, client_in: Any) -> None:
    theirs = other_workspace.msgs.get()
    page = client_in.get("/messages/").content.decode()
    assert "their secret hello" not in page and str(theirs.uuid) not in page
    assert client_in.get("/messages/", {"channel": str(theirs.channel.uuid)}).status_code == 400
    assert client_in.get(f"/messages/{theirs.uuid}/").status_code == 404


def test_paging_walks_older_messages(ex_channel: Any, client_in: Any) -> None:
    from web.views import dashboard as views_screens

    msgs = [make_msg(ex_channel, text=f"m{i}") for i in range(views_screens.PAGE_SIZE + 5)]
    first = client_in.get("/messages/", {"direction": "in"})
    rows = _rows(first)
    assert len(rows) == views_screens.PAGE_SIZE and rows[0] == str(msgs[-1].uuid)
    older = re.search(r'id="older" class="button" href="\?([^"]+)"', first.content.decode())
    assert older and "direction=in" in older.group(1)
    second = client_in.get("/messages/?" + older.group(1).replace("&amp;", "&"))
    assert _rows(second) == [str(m.uuid) for m in reversed(msgs[:5])]
    assert 'data-live-new="0"' in second.content.decode()  # an older page takes no live rows


def test_events_page_shows_http_request_and_response(
    ex_channel: Any, aggregator: Any, client_in: Any
) -> None:
    aggregator.script.append((200, '{"status":"ok","message_id":"prov-42"}', 0.0))
    msg = queue_message(channel=ex_channel, to="+250788123123", text="Hello there")
    run_jobs()
    assert MsgEvent.objects.filter(msg=msg, event_type="http").exists()
    page = client_in.get(f"/messages/{msg.uuid}/").content.decode()
    assert '<code class="method">POST</code>' in page
    assert f"{aggregator.url}/send" in page
    assert 'class="http-status ok">HTTP 200</span>' in page
    # JSON responses are indented for reading; form bodies are shown as sent
    assert (
        "{\n  &quot;status&quot;: &quot;ok&quot;,\n  &quot;message_id&quot;: &quot;prov-42&quot;\n}" in page
    )
    assert re.search(r'class="request-body"[^>]*>[^<]*text=Hello', page)


def test_events_page_marks_failed_exchanges(ex_channel: Any, aggregator: Any, client_in: Any) -> None:
    aggregator.default = (400, "bad number", 0.0)
    msg = queue_message(channel=ex_channel, to="+250788123123", text="Hello")
    run_jobs()
    page = client_in.get(f"/messages/{msg.uuid}/").content.decode()
    assert 'class="http-status bad">HTTP 400</span>' in page and "bad number" in page
    # a 4xx is retried with backoff before the message fails (as courier and mailroom do)
    assert 'class="status errored"' in page


def test_present_event_unwraps_nested_request_logs() -> None:
    from web.views.dashboard import present_event

    nested = MsgEvent(event_type="poll", data={"raw_status": "DELIVRD", "request": {
        "method": "GET", "url": "http://p/status?id=1", "status_code": 200, "response_body": "[1, 2]"}})  # fmt: skip
    shown = present_event(nested)
    assert shown["http"]["response_body"] == "[\n  1,\n  2\n]" and shown["extra"] == {"raw_status": "DELIVRD"}
    plain = present_event(MsgEvent(event_type="status", data={"attempt": 2}))
    assert plain["http"] is None and plain["extra"] == {"attempt": 2}
