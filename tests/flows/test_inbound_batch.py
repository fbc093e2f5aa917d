"""Batched inbound handling: many messages per job, same rules as one at a time.

Real database, real queue (Redis when REDIS_URL is set), the conftest aggregator over HTTP.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection

from benchmarks.flows_e2e import keyword_reply_flow
from channels_app.models import Msg, MsgEvent
from channels_app.services import ingest, send
from flows.models import FlowRun, FlowSession
from flows.services.sessions import FlowRunner
from tests.conftest import run_jobs
from tests.flows.conftest import load_export, post_json


def _keyword_flow(workspace: Any, keyword: str = "join") -> Any:
    return keyword_reply_flow(workspace, keyword)


def _receive(channel: Any, sender: str, text: str) -> Msg:
    received = ingest.receive(channel=channel, sender=sender, text=text)
    return Msg.objects.get(uuid=received.uuid)


def _replies(channel: Any) -> list[tuple[str, str]]:
    """(urn, text) of every outbound message, in the order they were created."""
    return list(
        Msg.objects.filter(channel=channel, direction="out").order_by("id").values_list("urn", "text")
    )


def _retry_transport_errors() -> None:
    """The test aggregator (http.server, listen backlog 5) may reset a few of 20 simultaneous
    connections on a loaded machine: those replies are `errored` and due again at once."""
    for _ in range(5):
        if not Msg.objects.filter(direction="out", status="errored").exists():
            return
        send.sweep()
        run_jobs()


def test_one_batch_answers_every_message_once_in_each_contacts_order(
    ex_channel: Any, aggregator: Any, settings: Any
) -> None:
    settings.FLOWGATE_INBOUND_DEDUPE_SECONDS = 0
    settings.FLOWGATE_SEND_BACKOFF_SECONDS = 0
    _keyword_flow(ex_channel.workspace)
    # 12 contacts, 3 messages each, interleaved: one batch holds each contact several times
    for n in range(36):
        _receive(ex_channel, f"+2507881{n % 12:05d}", f"join {n}")
    assert Msg.objects.filter(direction="in", status="pending").count() == 36

    run_jobs()
    _retry_transport_errors()

    assert Msg.objects.filter(direction="in").exclude(status="handled").count() == 0
    replies = _replies(ex_channel)
    assert len(replies) == 36
    for c in range(12):
        urn = f"tel:+2507881{c:05d}"
        mine = [text for u, text in replies if u == urn]
        assert mine == [f"Welcome! You said: join {n}" for n in range(c, 36, 12)]
    # each reply links to the message it answers and reached the aggregator exactly once
    for reply in Msg.objects.filter(direction="out").select_related("response_to"):
        assert reply.response_to is not None and reply.text.endswith(reply.response_to.text)
        assert reply.status == "sent", reply.error
    assert {r.form()["text"] for r in aggregator.requests} == {text for _, text in replies}
    assert FlowSession.objects.count() == 36 and FlowRun.objects.filter(status="completed").count() == 36


def test_a_contacts_answers_in_one_batch_resume_the_session_the_first_message_started(
    ex_channel: Any, aggregator: Any, api: Any
) -> None:
    response = post_json(api, "/api/v1/flows/import", load_export())
    assert response.status_code == 200, response.content
    # both contacts' whole conversations arrive before any handling happens
    for text in ("Survey please", "Amina", "31"):
        _receive(ex_channel, "+250788123123", text)
        _receive(ex_channel, "+250788555555", text.replace("Amina", "Badru"))

    run_jobs()

    texts = [t for u, t in _replies(ex_channel) if u == "tel:+250788123123"]
    assert texts == ["Hi! What is your name?", "How old are you, Amina?", "Thanks Amina, you are 31."]
    texts = [t for u, t in _replies(ex_channel) if u == "tel:+250788555555"]
    assert texts == ["Hi! What is your name?", "How old are you, Badru?", "Thanks Badru, you are 31."]
    assert FlowSession.objects.filter(status="waiting").count() == 0
    assert FlowRun.objects.filter(status="completed").count() == 2


def test_handling_again_after_a_retry_does_not_answer_twice(ex_channel: Any, aggregator: Any) -> None:
    _keyword_flow(ex_channel.workspace)
    for n in range(5):
        _receive(ex_channel, f"+25078822{n:04d}", f"join {n}")
    workspace_id = ex_channel.workspace_id
    assert ingest.handle_pending(workspace_id=workspace_id) == 5
    # a retried (or duplicated) job finds nothing left to handle
    assert ingest.handle_pending(workspace_id=workspace_id) == 0
    run_jobs()
    assert len(_replies(ex_channel)) == 5 and len(aggregator.requests) == 5


def test_a_failing_message_rolls_back_alone_and_the_rest_of_the_batch_is_handled(
    ex_channel: Any, aggregator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keyword_flow(ex_channel.workspace)
    start = FlowRunner.start

    def start_or_fail(self: FlowRunner, **kwargs: Any) -> Any:
        inbound = kwargs.get("inbound")
        if inbound is not None and inbound.text == "join boom":
            raise RuntimeError("a flow bug")
        return start(self, **kwargs)

    monkeypatch.setattr(FlowRunner, "start", start_or_fail)
    for n, text in enumerate(["join 1", "join boom", "join 3"]):
        _receive(ex_channel, f"+25078833{n:04d}", text)

    run_jobs()

    assert sorted(t for _, t in _replies(ex_channel)) == [
        "Welcome! You said: join 1",
        "Welcome! You said: join 3",
    ]
    failed = Msg.objects.get(text="join boom")
    assert failed.status == "handled"
    assert MsgEvent.objects.filter(msg=failed, event_type="handler_error").count() == 1
    assert FlowSession.objects.count() == 2  # nothing of the failed sprint was kept


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_message_waits_while_another_worker_holds_the_same_contacts_earlier_one(
    ex_channel: Any, aggregator: Any
) -> None:
    import psycopg

    _keyword_flow(ex_channel.workspace)
    first = _receive(ex_channel, "+250788440000", "join 1")
    second = _receive(ex_channel, "+250788440000", "join 2")
    other = _receive(ex_channel, "+250788449999", "join 3")

    # "another worker": a second connection holding the first message's row lock
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        with psycopg.connect(**params) as conn, conn.transaction():
            conn.execute("SELECT id FROM channels_app_msg WHERE id = %s FOR UPDATE", [first.id])
            locked.set()
            release.wait(20)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        assert ingest.handle_pending(workspace_id=ex_channel.workspace_id) == 1
        statuses = dict(Msg.objects.filter(direction="in").values_list("id", "status"))
        assert statuses == {first.id: "pending", second.id: "pending", other.id: "handled"}
    finally:
        release.set()
        holder.join(10)
    run_jobs()
    assert [t for u, t in _replies(ex_channel) if u == "tel:+250788440000"] == [
        "Welcome! You said: join 1",
        "Welcome! You said: join 2",
    ]
    assert json.dumps(sorted(r.form()["text"] for r in aggregator.requests)).count("join") == 3


def test_jobs_that_yield_mid_drain_leave_nothing_behind(
    ex_channel: Any, aggregator: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.FLOWGATE_BATCH_SIZE = 2
    monkeypatch.setattr(ingest, "JOB_SECONDS", 0.0)  # yield after every batch
    monkeypatch.setattr(send, "JOB_SECONDS", 0.0)
    _keyword_flow(ex_channel.workspace)
    for n in range(7):
        _receive(ex_channel, f"+25078866{n:04d}", f"join {n}")

    assert ingest.handle_pending(workspace_id=ex_channel.workspace_id) == 2  # one batch, then it yields
    run_jobs()  # the wake-ups each job left behind carry on

    assert Msg.objects.filter(direction="in", status="handled").count() == 7
    assert sorted(r.form()["text"] for r in aggregator.requests) == [
        f"Welcome! You said: join {n}" for n in range(7)
    ]
    assert set(Msg.objects.filter(direction="out").values_list("status", flat=True)) == {"sent"}
