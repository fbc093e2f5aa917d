"""Every named wake-up points at a job the worker can import, under the key its job clears."""

from __future__ import annotations

from django.utils.module_loading import import_string

from channels_app import queue, wakes


def test_each_wake_path_imports_a_callable() -> None:
    for path in (wakes.HANDLE_INBOUND, wakes.SEND_CHANNEL, wakes.SWEEP, wakes.DELIVER_WEBHOOKS):
        assert callable(import_string(path)), path


def test_a_wake_collapses_until_its_job_clears_the_key() -> None:
    marker = f"flowgate:wake:{wakes.handler_key(7)}"
    wakes.wake_handler_now(7)
    assert queue.connection().get(marker) is not None
    jobs = queue.get_queue("handle").jobs
    assert [job.func_name for job in jobs] == [wakes.HANDLE_INBOUND]
    wakes.wake_handler_now(7)  # collapsed: the marker is still set
    assert len(queue.get_queue("handle").jobs) == 1
    wakes.clear_handler(7)
    assert queue.connection().get(marker) is None


def test_job_path_names_the_function_itself() -> None:
    from aggregators.xc import jobs

    assert queue.job_path(jobs.poll_channel) == "aggregators.xc.jobs.poll_channel"
    assert import_string(queue.job_path(jobs.poll_channel)) is jobs.poll_channel
