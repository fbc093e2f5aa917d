"""What the External API's status and stopped callbacks answer and change, field by field.

The courier cases (test_external_cases.py) check status codes and a word of the answer; these
check the whole answer and what it did to the message or contact. Answers mutants `make
mutation` left alive in aggregators/external/receive.py (issue 26).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from channels_app.models import Contact, Msg, MsgStatus
from channels_app.services.channels import create_channel
from channels_app.services.send import queue_message
from channels_app.workspaces import create_workspace


@pytest.fixture
def channel(db: None) -> Any:
    workspace, _ = create_workspace(name="Callbacks NGO")
    return create_channel(
        workspace=workspace,
        type_code="EX",
        name="EX",
        address="+250788000000",
        country="RW",
        config={"send_url": "http://127.0.0.1:9/send"},
    )


@pytest.fixture
def wired(channel: Any) -> Msg:
    msg = queue_message(channel=channel, to="+250788123123", text="hi")
    Msg.objects.filter(id=msg.id).update(status=MsgStatus.WIRED)
    return msg


def _call(channel: Any, action: str, **params: str) -> tuple[int, dict[str, Any]]:
    response = Client().post(f"/c/ex/{channel.uuid}/{action}", params)
    assert response["Content-Type"] == "application/json"  # aggregators parse the answer
    return response.status_code, json.loads(response.content)


def _status_answer(
    channel: Any, msg: Msg, letter: str, message: str = "Status Update Accepted"
) -> dict[str, Any]:
    return {
        "message": message,
        "data": [
            {"type": "status", "channel_uuid": str(channel.uuid), "status": letter, "msg_uuid": str(msg.uuid)}
        ],
        "uuid": str(msg.uuid),
    }


def test_a_status_by_our_id_is_applied_and_named_in_the_answer(channel: Any, wired: Msg) -> None:
    assert _call(channel, "sent", id=str(wired.id)) == (200, _status_answer(channel, wired, "S"))
    assert Msg.objects.get(id=wired.id).status == MsgStatus.SENT
    assert _call(channel, "delivered", id=str(wired.id)) == (200, _status_answer(channel, wired, "D"))
    delivered = Msg.objects.get(id=wired.id)
    assert delivered.status == MsgStatus.DELIVERED and delivered.error == ""
    # The message's log keeps what the provider posted, as a callback without an error.
    event = delivered.events.filter(event_type="callback").order_by("-id").first()
    assert event is not None and event.description == "" and event.data == {"id": str(wired.id)}


def test_our_uuid_is_taken_as_id_or_as_uuid(channel: Any, wired: Msg) -> None:
    assert _call(channel, "sent", id=str(wired.uuid)) == (200, _status_answer(channel, wired, "S"))
    assert Msg.objects.get(id=wired.id).status == MsgStatus.SENT
    assert _call(channel, "delivered", uuid=str(wired.uuid)) == (200, _status_answer(channel, wired, "D"))
    assert Msg.objects.get(id=wired.id).status == MsgStatus.DELIVERED


def test_a_failure_keeps_the_providers_error_or_reason(channel: Any) -> None:
    first = queue_message(channel=channel, to="+250788123124", text="a")
    second = queue_message(channel=channel, to="+250788123125", text="b")
    Msg.objects.filter(id__in=[first.id, second.id]).update(status=MsgStatus.WIRED)
    assert (
        _call(channel, "failed", id=str(first.id), error="no credit", reason="other")[1]["data"][0]["status"]
        == "F"
    )
    assert _call(channel, "failed", id=str(second.id), reason="blacklisted")[0] == 200
    assert (Msg.objects.get(id=first.id).status, Msg.objects.get(id=first.id).error) == (
        MsgStatus.FAILED,
        "no credit",
    )
    assert Msg.objects.get(id=second.id).error == "blacklisted"


def test_a_status_that_would_move_backwards_is_answered_ignored(channel: Any, wired: Msg) -> None:
    Msg.objects.filter(id=wired.id).update(status=MsgStatus.DELIVERED)
    assert _call(channel, "sent", id=str(wired.id)) == (
        200,
        _status_answer(channel, wired, "S", "Status Update Ignored"),
    )
    assert Msg.objects.get(id=wired.id).status == MsgStatus.DELIVERED


def test_a_status_without_id_or_uuid_is_a_400_and_changes_nothing(channel: Any, wired: Msg) -> None:
    for params in ({}, {"id": ""}, {"id": "", "uuid": ""}):
        status, body = _call(channel, "delivered", **params)
        assert status == 400 and body["error"] == "parameters id or uuid should not be empty"
    assert Msg.objects.get(id=wired.id).status == MsgStatus.WIRED


def test_stopped_answers_the_event_and_stops_the_contact(channel: Any, wired: Msg) -> None:
    before = timezone.now()
    status, body = _call(channel, "stopped", sender="0788123123")  # national, read in the channel's country
    contact = Contact.objects.get(id=wired.contact_id)
    assert status == 200 and contact.status == Contact.Status.STOPPED
    assert body["message"] == "Event Accepted" and body["contact"] == str(contact.uuid)
    [event] = body["data"]
    received_on = event.pop("received_on")
    assert event == {
        "type": "event",
        "channel_uuid": str(channel.uuid),
        "event_type": "stop_contact",
        "urn": "tel:+250788123123",
    }
    assert received_on.endswith("Z") and "+00:00" not in received_on
    when = timezone.datetime.fromisoformat(received_on.replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= when <= timezone.now()


def test_stopped_needs_a_sender(channel: Any) -> None:
    for params in ({}, {"from": ""}, {"from": "  "}):
        status, body = _call(channel, "stopped", **params)
        assert status == 400 and body["error"] == "field 'from' required"


def test_stopped_on_an_ext_channel_names_the_ext_urn(channel: Any) -> None:
    ext = create_channel(
        workspace=channel.workspace,
        type_code="EX",
        name="EXT",
        address="bot",
        config={"send_url": "http://127.0.0.1:9/send", "scheme": "ext"},
    )
    status, body = _call(ext, "stopped", sender="MTN")
    assert status == 200 and body["data"][0]["urn"] == "ext:MTN"
    assert Contact.objects.get(uuid=body["contact"]).status == Contact.Status.STOPPED


def test_receive_stores_the_message_and_names_it_in_the_answer(channel: Any) -> None:
    status, body = _call(
        channel, "receive", sender="+250788123123", text="hello", id="ext-7", date="2012-04-23T18:25:43Z"
    )
    msg = Msg.objects.get(channel=channel, direction="in")
    assert status == 200 and body["message"] == "Message Accepted" and body["uuid"] == str(msg.uuid)
    assert body["data"] == [
        {
            "type": "msg",
            "channel_uuid": str(channel.uuid),
            "msg_uuid": str(msg.uuid),
            "text": "hello",
            "urn": "tel:+250788123123",
            "external_id": "ext-7",
            "received_on": "2012-04-23T18:25:43Z",
            "duplicate": False,
        }
    ]
    assert (msg.text, msg.urn, msg.external_id) == ("hello", "tel:+250788123123", "ext-7")
