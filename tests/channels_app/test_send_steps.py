"""The claim/send service through a probe channel type that records what it is asked to send.

The probe (registered for one test at a time) answers each message with a scripted SendResult
or exception, so the whole path — claim, wire, _send_one, record_results, _mark_sent — runs for
real against the database without a provider. One transaction per test, no servers: these are
the first tests `make mutation` runs over channels_app/services/send.py (issue 26).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels_app import realtime
from channels_app.models import Channel, Contact, ContactURN, Msg, MsgStatus
from channels_app.queue import get_queue
from channels_app.services import send
from channels_app.services.ingest import get_or_create_contact
from channels_app.services.send import build_message, queue_message
from channels_app.types import registry
from channels_app.types.base import ChannelType, OutgoingMessage, SendResult
from channels_app.workspaces import create_workspace

Answer = SendResult | BaseException | Callable[[OutgoingMessage], SendResult]


class Probe(ChannelType):
    code = "ZP"
    slug = "zp"
    name = "Probe"
    schemes = ("tel", "ext")
    tps = 0.0

    def __init__(self) -> None:
        self.seen: list[OutgoingMessage] = []
        self.clients: list[httpx.AsyncClient] = []
        self.answers: dict[str, Answer] = {}  # by text; default: sent
        self.default: Answer = SendResult(ok=True)

    def max_tps(self, channel: Channel) -> float:
        return self.tps

    async def send(self, channel: Channel, msg: OutgoingMessage, client: httpx.AsyncClient) -> SendResult:
        self.seen.append(msg)
        self.clients.append(client)
        answer = self.answers.get(msg.text, self.default)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            return answer(msg)
        return answer


@pytest.fixture
def probe(monkeypatch: pytest.MonkeyPatch) -> Probe:
    instance = Probe()
    monkeypatch.setitem(registry._types, Probe.code, instance)
    return instance


@pytest.fixture
def channel(db: None, probe: Probe) -> Channel:
    workspace, _ = create_workspace(name="Steps NGO")
    return Channel.objects.create(
        workspace=workspace, channel_type=Probe.code, name="Probe", address="+250788000000", country="RW"
    )


def _fresh(msg: Msg) -> Msg:
    return Msg.objects.get(id=msg.id)


def _queue(channel: Channel, *texts: str, **kwargs: Any) -> list[Msg]:
    first = Msg.objects.count()
    return [
        queue_message(channel=channel, to=f"+25078855{first + i:04d}", text=text, **kwargs)
        for i, text in enumerate(texts)
    ]


def _inbound(channel: Channel, identity: str) -> Msg:
    contact, urn = get_or_create_contact(workspace_id=channel.workspace_id, identity=identity)
    return Msg.objects.create(
        workspace_id=channel.workspace_id,
        channel=channel,
        contact=contact,
        contact_urn=urn,
        urn=identity,
        direction="in",
        status=MsgStatus.HANDLED,
        text="question",
        created_on=timezone.now(),
    )


def _drain(channel: Channel) -> int:
    return send.send_channel(
        channel_id=channel.id, transport=httpx.MockTransport(lambda r: httpx.Response(500))
    )


# --- queueing ---------------------------------------------------------------------------------


def test_queue_message_stores_what_it_is_given_and_wakes_the_sender_after_commit(
    channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    sends = get_queue("send")
    with django_capture_on_commit_callbacks(execute=True):
        inbound = Msg.objects.create(
            workspace_id=channel.workspace_id,
            channel=channel,
            urn="tel:+250788550099",
            direction="in",
            status=MsgStatus.HANDLED,
            text="question",
            created_on=timezone.now(),
        )
        msg = queue_message(
            channel=channel,
            to="+250788550099",
            text="answer",
            attachments=["image/png:http://x/a.png"],
            metadata={"quick_replies": ["Yes"]},
            response_to=inbound,
        )
        assert sends.count == 0  # not before the message is visible
    fresh = _fresh(msg)
    assert (fresh.text, fresh.attachments, fresh.metadata) == (
        "answer",
        ["image/png:http://x/a.png"],
        {"quick_replies": ["Yes"]},
    )
    assert (fresh.response_to_id, fresh.urn, fresh.status, fresh.direction) == (
        inbound.id,
        "tel:+250788550099",
        MsgStatus.QUEUED,
        "out",
    )
    assert fresh.workspace_id == channel.workspace_id and fresh.channel_id == channel.id
    assert [job.args for job in sends.jobs] == [(channel.id,)]


def test_send_one_hands_the_type_every_field_of_the_message(channel: Channel, probe: Probe) -> None:
    [msg] = _queue(channel, "hello", metadata={"quick_replies": ["Yes", {"text": "No"}], "parts_sent": 2})
    assert _drain(channel) == 1
    [out] = probe.seen
    assert out == OutgoingMessage(
        id=msg.id,
        uuid=str(msg.uuid),
        text="hello",
        urn="tel:+250788550000",
        attachments=[],
        quick_replies=["Yes", "No"],
        attempt=1,
        parts_sent=2,
        contact_id=msg.contact_id,
    )


def test_a_stopped_contacts_message_is_stored_failed_and_wakes_no_sender(
    channel: Channel, django_capture_on_commit_callbacks: Any
) -> None:
    [first] = _queue(channel, "hi")
    Contact.objects.filter(id=first.contact_id).update(status=Contact.Status.BLOCKED)
    sends = get_queue("send")
    sends.empty()
    with django_capture_on_commit_callbacks(execute=True):
        msg = queue_message(channel=channel, to=first.urn, text="again")
    fresh = _fresh(msg)
    assert (fresh.status, fresh.error) == (MsgStatus.FAILED, "the contact is blocked")
    assert list(fresh.events.order_by("id").values_list("event_type", "status", "description")) == [
        ("channel", "", "the sender chose the channel 'Probe'"),
        ("status", "failed", "the contact is blocked"),
    ]
    assert sends.count == 0


def test_queue_messages_publishes_one_event_or_one_batch_per_workspace(
    channel: Channel, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    published: list[tuple[int, dict[str, Any]]] = []
    monkeypatch.setattr(realtime, "_publish_now", lambda ws, event: published.append((ws, event)))
    other_ws, _ = create_workspace(name="Other NGO")
    other = Channel.objects.create(workspace=other_ws, channel_type=Probe.code, name="Other", country="RW")
    with django_capture_on_commit_callbacks(execute=True):
        msgs = [
            build_message(channel=channel, to="+250788550001", text="a"),
            build_message(channel=channel, to="+250788550002", text="b"),
            build_message(channel=other, to="+250788550003", text="c"),
        ]
        send.queue_messages(msgs)
        send.queue_messages([])
    ws = channel.workspace_id
    assert published == [
        (ws, {"kind": "batch", "events": [realtime.msg_event(msgs[0]), realtime.msg_event(msgs[1])]}),
        (other_ws.id, realtime.msg_event(msgs[2])),
    ]
    assert published[1][1]["text"] == "c" and published[0][1]["events"][1]["text"] == "b"
    assert [job.args for job in get_queue("send").jobs] == [(channel.id,), (other.id,)]
    for m in msgs:
        assert list(m.events.order_by("id").values_list("event_type", flat=True)) == ["channel", "status"]
        channel_event = m.events.get(event_type="channel")
        assert channel_event.data["rule"] == "explicit" and "chose the channel" in channel_event.description


def test_a_message_built_without_a_route_logs_only_its_status(channel: Channel) -> None:
    msg = build_message(channel=channel, to="+250788550001", text="a")
    del msg._route  # type: ignore[attr-defined]
    send.queue_messages([msg])
    assert list(msg.events.values_list("event_type", "status", "description")) == [("status", "queued", "")]


# --- building ---------------------------------------------------------------------------------


def test_a_reply_is_read_in_the_inbound_channels_country_and_scheme(
    channel: Channel, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workspace's first channel is in Kenya: without a hint 07… would be a Kenyan number.
    Channel.objects.filter(id=channel.id).update(country="KE")
    rw = Channel.objects.create(workspace=channel.workspace, channel_type=Probe.code, name="RW", country="RW")
    inbound = _inbound(rw, "tel:+250788123123")
    msg = build_message(workspace_id=channel.workspace_id, to="0788123123", text="hi", response_to=inbound)
    assert (msg.urn, msg.channel_id, msg.response_to_id) == ("tel:+250788123123", rw.id, inbound.id)
    assert msg._route.why == "a reply goes out on 'RW', where the message came in"  # type: ignore[attr-defined]
    kenyan = build_message(workspace_id=channel.workspace_id, to="0712345678", text="hi")
    assert kenyan.urn == "tel:+254712345678"
    # The hint channel's type names the scheme of a bare identity.
    monkeypatch.setattr(Probe, "default_scheme", lambda self, ch: "ext" if ch.id == rw.id else "tel")
    ext = build_message(workspace_id=channel.workspace_id, to="user-7", text="hi", response_to=inbound)
    assert ext.urn == "ext:user-7"
    assert build_message(channel=rw, to="user-8", text="hi").urn == "ext:user-8"


def test_a_known_contact_urn_saves_the_contact_lookup(channel: Channel) -> None:
    [first] = _queue(channel, "hi")
    urn = ContactURN.objects.select_related("contact").get(identity=first.urn)
    with CaptureQueriesContext(connection) as queries:
        msg = build_message(channel=channel, to=first.urn, text="again", contact_urn=urn)
    assert not [q for q in queries.captured_queries if "channels_app_contact" in q["sql"]]
    assert (msg.contact_id, msg.contact_urn_id) == (first.contact_id, urn.id)
    # Another identity's URN is not reused: the recipient's own contact is found.
    other = build_message(channel=channel, to="+250788559999", text="x", contact_urn=urn)
    assert other.contact_id != first.contact_id and other.contact_urn.identity == "tel:+250788559999"
    # Nor one without its contact.
    urn.contact = None
    again = build_message(channel=channel, to=first.urn, text="x", contact_urn=urn)
    assert again.contact_id == first.contact_id


def test_a_callers_pool_is_used_as_it_is(channel: Channel) -> None:
    pool = send.routing.ChannelPool(channel.workspace_id)
    Channel.objects.filter(id=channel.id).update(is_active=False)  # the pool was loaded before
    msg = queue_message(workspace_id=channel.workspace_id, to="+250788550001", text="hi", pool=pool)
    assert msg.channel_id == channel.id
    with pytest.raises(send.SendError) as info:
        queue_message(workspace_id=channel.workspace_id, to="+250788550001", text="hi")
    assert str(info.value) == "no channel can send to tel:+250788550001"


def test_affinity_first_prefers_the_contacts_channel_over_the_inbounds(channel: Channel) -> None:
    other = Channel.objects.create(
        workspace=channel.workspace, channel_type=Probe.code, name="B", country="RW"
    )
    inbound = _inbound(channel, "tel:+250788123123")
    urn = ContactURN.objects.get(identity="tel:+250788123123")
    ContactURN.objects.filter(id=urn.id).update(channel=other)
    urn.refresh_from_db()
    kwargs: dict[str, Any] = {"to": "+250788123123", "text": "x", "response_to": inbound, "contact_urn": urn}
    assert build_message(workspace_id=channel.workspace_id, **kwargs).channel_id == channel.id
    chosen = build_message(workspace_id=channel.workspace_id, affinity_first=True, **kwargs)
    assert chosen.channel_id == other.id


def test_build_message_keeps_text_attachments_and_metadata(channel: Channel) -> None:
    msg = build_message(channel=channel, to="+250788550001", text="", attachments=["a"], metadata={"k": 1})
    assert (msg.text, msg.attachments, msg.metadata, msg.direction) == ("", ["a"], {"k": 1}, "out")
    assert (msg.status, msg.error, msg.workspace_id) == (MsgStatus.QUEUED, "", channel.workspace_id)
    assert msg.created_on is not None and abs((timezone.now() - msg.created_on).total_seconds()) < 60
    bare = build_message(channel=channel, to="+250788550001", text="t")
    assert (bare.attachments, bare.metadata) == ([], {})
    with pytest.raises(send.SendError) as info:
        build_message(channel=channel, to="+250788550001", text="", attachments=[])
    assert str(info.value) == "a message needs text or attachments"


# --- reply_problem ----------------------------------------------------------------------------


def test_reply_problem_allows_only_the_same_contact(channel: Channel) -> None:
    inbound = _inbound(channel, "tel:+250788123123")
    ws = channel.workspace_id
    assert send.reply_problem(workspace_id=ws, response_to=inbound, to="0788123123") == ""
    # Another URN of the same contact may be replied to; someone else's may not.
    ContactURN.objects.create(workspace_id=ws, contact_id=inbound.contact_id, identity="tel:+250788000111")
    assert send.reply_problem(workspace_id=ws, response_to=inbound, to="+250788000111") == ""
    other = queue_message(channel=channel, to="+250788000222", text="x")
    assert other.contact_id != inbound.contact_id
    same = "response_to must be a message of the same contact"
    assert send.reply_problem(workspace_id=ws, response_to=inbound, to="+250788000222") == same
    assert send.reply_problem(workspace_id=ws, response_to=inbound, to="+250788000333") == same  # unknown
    # The same number in another workspace does not count.
    assert send.reply_problem(workspace_id=ws + 1000, response_to=inbound, to="+250788000111") == same
    assert send.reply_problem(workspace_id=ws, response_to=inbound, to="tel:") == "the phone number is empty"
