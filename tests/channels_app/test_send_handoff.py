"""The send wake-up while a sender runs: collapsed into the running sender, never lost.

A channel's wake marker stays set while its sender runs, so a reply queued meanwhile enqueues
no job (one would only find the lock held and return); the sender clears the marker once it
lets go of the lock and then looks for due messages, which re-wakes it for the late reply.
"""

from __future__ import annotations

import threading
import time

from django.db import connection

from channels_app import jobs, queue, wakes
from channels_app.models import Msg
from channels_app.services import send
from channels_app.services.send import queue_message
from tests.conftest import run_jobs


def _marker(channel_id: int) -> object:
    return queue.connection().get(queue.wake_marker(wakes.sender_key(channel_id)))


def test_a_reply_queued_while_its_sender_runs_enqueues_no_job_and_still_goes_out(
    ex_channel, aggregator
) -> None:
    aggregator.script = [(200, '{"status": "ok"}', 0.5)]  # the first request stays in flight a while
    first = queue_message(channel=ex_channel, to="+250788123123", text="first")
    send_queue = queue.get_queue("send")
    assert send_queue.count == 1 and _marker(ex_channel.id) is not None
    send_queue.empty()  # a worker took the job: what follows runs it

    def run_job() -> None:
        try:
            jobs.send_channel(ex_channel.id)
        finally:
            connection.close()  # this thread's own database connection

    runner = threading.Thread(target=run_job)
    runner.start()
    deadline = time.monotonic() + 10
    while not aggregator.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(aggregator.requests) == 1  # the sender holds the lock, its request is in flight

    second = queue_message(channel=ex_channel, to="+250788123124", text="second")
    assert send_queue.count == 0  # collapsed into the running sender's wake-up
    runner.join(10)
    assert not runner.is_alive()

    # The sender let go, cleared the marker and found the late reply due: one fresh wake-up.
    assert send_queue.count == 1 and _marker(ex_channel.id) is not None
    run_jobs()
    statuses = dict(Msg.objects.filter(id__in=[first.id, second.id]).values_list("text", "status"))
    assert statuses == {"first": "sent", "second": "sent"}
    assert sorted(r.form()["text"] for r in aggregator.requests) == ["first", "second"]
    assert _marker(ex_channel.id) is None and send_queue.count == 0


def test_a_job_finding_the_lock_held_leaves_the_marker_to_the_holder(ex_channel, aggregator) -> None:
    msg = queue_message(channel=ex_channel, to="+250788123123", text="hello")
    queue.get_queue("send").empty()
    lock = f"send:{ex_channel.id}"
    assert queue.try_lock(lock, seconds=30)  # another worker's sender holds the channel
    assert jobs.send_channel(ex_channel.id) == 0
    assert _marker(ex_channel.id) is not None  # wake-ups stay collapsed while the holder runs

    queue.release_lock(lock)
    assert send.send_channel(channel_id=ex_channel.id) == 1  # the holder's own run
    msg.refresh_from_db()
    assert msg.status == "sent" and len(aggregator.requests) == 1
    # nothing due is left: the marker is gone and no job was enqueued
    assert _marker(ex_channel.id) is None and queue.get_queue("send").count == 0
    later = queue_message(channel=ex_channel, to="+250788123123", text="later")
    assert queue.get_queue("send").count == 1  # the next reply wakes a sender again
    run_jobs()
    later.refresh_from_db()
    assert later.status == "sent"


def test_an_inactive_channel_gives_its_wake_marker_back(ex_channel) -> None:
    queue_message(channel=ex_channel, to="+250788123123", text="hello")
    queue.get_queue("send").empty()
    ex_channel.is_active = False
    ex_channel.save(update_fields=["is_active"])
    assert jobs.send_channel(ex_channel.id) == 0
    assert _marker(ex_channel.id) is None
