"""A handle job sends the replies it queued itself (issue 22).

A committed reply used to wake a send job of its own: a second rq job (about 3 ms of worker CPU
and a dozen Redis round trips, as much as a small batch's own work) and a wait for a worker to
pick it up. jobs.handle_inbound collects its batches' sender wake-ups and runs those senders
right after; the marker, lock and re-wake rules are the send job's own. These tests commit for
real (the wake-ups run on commit), with the probe channel type answering every send.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.flows_e2e import keyword_reply_flow
from channels_app import jobs, queue, wakes
from channels_app.models import Channel, Msg, MsgStatus
from channels_app.services import ingest, send
from channels_app.workspaces import create_workspace
from tests.channels_app.probe import Probe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def channel(probe: Probe, settings: Any) -> Channel:
    settings.FLOWGATE_INBOUND_DEDUPE_SECONDS = 0
    workspace, _ = create_workspace(name="Inline NGO")
    keyword_reply_flow(workspace, "join")
    return Channel.objects.create(
        workspace=workspace, channel_type=Probe.code, name="Probe", address="+250788000000", country="RW"
    )


def _send_jobs() -> list[Any]:
    return [job for job in queue.get_queue("send").jobs if job.func_name == wakes.SEND_CHANNEL]


def _marker(channel: Channel) -> Any:
    return queue.connection().get(queue.wake_marker(wakes.sender_key(channel.id)))


def test_a_handle_job_sends_its_replies_without_a_send_job(channel: Channel, probe: Probe) -> None:
    for n in range(3):
        ingest.receive(channel=channel, sender=f"+25078810000{n}", text=f"join {n}")
    assert jobs.handle_inbound(channel.workspace_id) == 3
    replies = Msg.objects.filter(channel=channel, direction="out").order_by("id")
    assert [(m.status, m.attempts) for m in replies] == [(MsgStatus.SENT, 1)] * 3
    assert sorted(m.text for m in probe.seen) == sorted(m.text for m in replies)
    assert _send_jobs() == [] and _marker(channel) is None  # no job; the marker is cleared


def test_a_sender_already_woken_is_left_to_its_job(channel: Channel, probe: Probe) -> None:
    """The marker is taken as a job takes it: if the channel's job is queued (or its sender
    runs), the handle job leaves the replies to it."""
    wakes.wake_sender(channel.id)  # (outside a transaction: enqueues now)
    assert len(_send_jobs()) == 1
    ingest.receive(channel=channel, sender="+250788100009", text="join x")
    jobs.handle_inbound(channel.workspace_id)
    assert probe.seen == [] and len(_send_jobs()) == 1
    assert Msg.objects.get(channel=channel, direction="out").status == MsgStatus.QUEUED


def test_a_handle_job_that_fails_after_a_commit_leaves_send_jobs(
    channel: Channel, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ingest.handle_pending

    def handles_then_fails(**kwargs: Any) -> int:
        real(**kwargs)  # committed: its reply's wake-up was collected
        raise RuntimeError("the next batch failed")

    monkeypatch.setattr(ingest, "handle_pending", handles_then_fails)
    ingest.receive(channel=channel, sender="+250788100010", text="join y")
    with pytest.raises(RuntimeError):
        jobs.handle_inbound(channel.workspace_id)
    assert probe.seen == [] and [job.args for job in _send_jobs()] == [(channel.id,)]
    assert _marker(channel) is not None  # held for that job, so other wake-ups collapse on it


def test_a_stopping_worker_hands_the_replies_to_a_send_job(
    channel: Channel, probe: Probe, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(send, "stopping", type(send.stopping)())
    ingest.receive(channel=channel, sender="+250788100011", text="join z")
    send.stopping.set()
    jobs.handle_inbound(channel.workspace_id)
    assert probe.seen == [] and [job.args for job in _send_jobs()] == [(channel.id,)]


def test_wake_ups_outside_a_handle_job_still_enqueue(channel: Channel) -> None:
    send.queue_message(channel=channel, to="+250788100012", text="broadcast")
    assert [job.args for job in _send_jobs()] == [(channel.id,)]


def test_replies_on_two_channels_each_leave_on_their_own(channel: Channel, probe: Probe) -> None:
    """A workspace with two channels: one handle job's batch holds messages from both, and each
    reply is sent, by that same job, on the channel its message came in on."""
    second = Channel.objects.create(
        workspace=channel.workspace,
        channel_type=Probe.code,
        name="Second",
        address="+250788000099",
        country="RW",
    )
    for n, on in enumerate((channel, second, channel, second)):
        ingest.receive(channel=on, sender=f"+25078820000{n}", text=f"join {n}")
    assert jobs.handle_inbound(channel.workspace_id) == 4
    replies = Msg.objects.filter(workspace_id=channel.workspace_id, direction="out").order_by("id")
    inbound = {m.urn: m.channel_id for m in Msg.objects.filter(direction="in")}
    assert [(m.channel_id == inbound[m.urn], m.status) for m in replies] == [(True, MsgStatus.SENT)] * 4
    assert sorted(r.channel_id for r in replies) == sorted([channel.id, channel.id, second.id, second.id])
    assert len(probe.seen) == 4 and _send_jobs() == []
    assert _marker(channel) is None and _marker(second) is None
