"""End to end over real HTTP: an aggregator posts a keyword, the flow asks two questions through
the aggregator, the answers land in the results, and a wait timeout fires from the periodic job."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils import timezone

from channels_app.models import Contact, Msg
from channels_app.worker import run_periodic_jobs
from flows.models import FlowRun, FlowSession
from tests.conftest import run_jobs
from tests.flows.conftest import SURVEY, load_export


def _inbound(web: Any, channel: Any, sender: str, text: str) -> Msg:
    response = web.post(f"/c/ex/{channel.uuid}/receive", data={"from": sender, "text": text})
    assert response.status_code == 200, response.text
    run_jobs()  # handle (flows) then send
    return Msg.objects.get(uuid=response.json()["uuid"])


def _sent_texts(aggregator: Any, to: str) -> list[str]:
    return [r.form()["text"] for r in aggregator.requests if r.form().get("to") == to]


def test_keyword_starts_two_question_flow_answers_in_results_and_timeout_fires(
    live_asgi, ex_channel, aggregator, token
) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    response = web.post("/api/v1/flows/import", content=json.dumps(load_export()))
    assert response.status_code == 200, response.text

    # 1. the keyword starts the flow; the question goes out through the aggregator
    first = _inbound(web, ex_channel, "+250788123123", "Survey please")
    assert first.status == "handled"
    assert _sent_texts(aggregator, "+250788123123") == ["Hi! What is your name?"]
    question = Msg.objects.get(direction="out", text="Hi! What is your name?")
    assert question.response_to_id == first.id and question.status == "sent"

    # 2. both answers are routed, replies are linked to the inbound message they answer
    second = _inbound(web, ex_channel, "+250788123123", "Amina")
    assert Msg.objects.get(direction="out", text="How old are you, Amina?").response_to_id == second.id
    _inbound(web, ex_channel, "+250788123123", "31")
    assert _sent_texts(aggregator, "+250788123123") == [
        "Hi! What is your name?",
        "How old are you, Amina?",
        "Thanks Amina, you are 31.",
    ]
    contact = Contact.objects.get(urns__identity="tel:+250788123123")
    assert contact.name == "Amina" and contact.fields["age"] == "31"
    assert [g.name for g in contact.groups.all()] == ["Surveyed"]

    runs = web.get("/api/v1/runs", params={"flow": SURVEY}).json()
    assert len(runs) == 1 and runs[0]["status"] == "completed"
    assert runs[0]["results"]["name"]["value"] == "Amina"
    assert runs[0]["results"]["age"]["value"] == "31" and runs[0]["results"]["age"]["category"] == "Valid"
    assert runs[0]["contact"]["urn"] == "tel:+250788123123"
    csv_text = web.get(f"/api/v1/flows/{SURVEY}/results").text
    assert "Name (Value)" in csv_text.splitlines()[0] and ",Amina," in csv_text

    # 3. another contact answers nothing: the wait times out from the periodic job
    _inbound(web, ex_channel, "+250788999888", "survey")
    waiting = FlowSession.objects.get(contact__urns__identity="tel:+250788999888", status="waiting")
    assert waiting.timeout_on is not None and waiting.timeout_on > timezone.now()
    run_periodic_jobs()
    run_jobs()
    assert _sent_texts(aggregator, "+250788999888") == ["Hi! What is your name?"]  # not due yet

    FlowSession.objects.filter(id=waiting.id).update(timeout_on=timezone.now() - dt.timedelta(seconds=1))
    run_periodic_jobs()
    run_jobs()
    assert _sent_texts(aggregator, "+250788999888") == ["Hi! What is your name?", "Sorry we missed you."]
    waiting.refresh_from_db()
    assert waiting.status == "completed" and waiting.timeout_on is None
    run = FlowRun.objects.get(contact__urns__identity="tel:+250788999888")
    assert run.results["name"]["category"] == "No Response"

    # 4. a message that matches nothing goes to the catch-all flow
    _inbound(web, ex_channel, "+250788123123", "hello?")
    assert _sent_texts(aggregator, "+250788123123")[-1] == "Send SURVEY to start."


def test_expired_session_is_not_resumed(live_asgi, ex_channel, aggregator, token) -> None:
    web = live_asgi.client(headers={"Authorization": f"Token {token}"})
    web.post("/api/v1/flows/import", content=json.dumps(load_export()))
    _inbound(web, ex_channel, "+250788123124", "survey")
    FlowSession.objects.filter(status="waiting").update(expires_on=timezone.now() - dt.timedelta(seconds=1))
    run_periodic_jobs()
    session = FlowSession.objects.get()
    assert session.status == "expired"
    assert FlowRun.objects.get().status == "expired"
    # the next message is not an answer any more: it falls through to the catch-all
    _inbound(web, ex_channel, "+250788123124", "Amina")
    assert _sent_texts(aggregator, "+250788123124")[-1] == "Send SURVEY to start."
