"""Running jobs: an rq worker that never forks, and the scheduler loop that sweeps.

The embedded default runs both in threads of the web process (fakeredis queue); with REDIS_URL
`manage.py worker` runs them in their own process. SIGALRM and signal handlers only work in
the main thread, so the threaded worker uses a timer-based death penalty and no handlers.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty

from channels_app import queue, wakes

logger = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 15.0


class ThreadWorker(SimpleWorker):
    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:  # signals belong to the main thread
        pass

    # rq subscribes every worker to a pubsub channel (remote shutdown/kill commands, which we
    # never send) from a helper thread blocking up to 60 s per read. A burst worker unsubscribes
    # moments later, and when the helper handles the unsubscribe reply before it is told to stop
    # it waits 60 s for a re-subscription: the burst hangs that long (measured: 3 of 40 bursts on
    # empty queues took 60 s; `test_status_never_moves_backwards` once did). Threaded workers run
    # short bursts over and over, so they do without the channel.
    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass

    def execute_job(self, job, queue):  # type: ignore[no-untyped-def]
        try:
            return super().execute_job(job, queue)
        finally:
            close_old_connections()


class ProcessWorker(SimpleWorker):
    """`manage.py worker`: on SIGTERM/SIGINT the running send job starts no new request,
    finishes the ones in flight, gives its unstarted claims back and returns; then rq exits."""

    def request_stop(self, signum, frame):  # type: ignore[no-untyped-def]
        from channels_app.services import send

        send.stopping.set()
        return super().request_stop(signum, frame)


def make_worker(*, threaded: bool) -> SimpleWorker:
    queues = [queue.get_queue(name) for name in queue.QUEUE_NAMES]
    worker_class = ThreadWorker if threaded else ProcessWorker
    return worker_class(queues, connection=queue.connection())


def run_periodic_jobs() -> None:
    """One scheduler tick: the sweeper plus every job in FLOWGATE_PERIODIC_JOBS (dotted paths).

    Each periodic job takes its own lock (queue.try_lock) so several schedulers never overlap.
    """
    for path in [wakes.SWEEP, *getattr(settings, "FLOWGATE_PERIODIC_JOBS", [])]:
        try:
            import_string(path)()
        except Exception:
            logger.exception("periodic job %s failed", path)
        finally:
            close_old_connections()


def run_scheduler(stop: threading.Event, interval: float | None = None) -> None:
    interval = interval or getattr(settings, "FLOWGATE_SWEEP_INTERVAL_SECONDS", SWEEP_INTERVAL_SECONDS)
    while not stop.wait(interval):
        run_periodic_jobs()


def start_in_process(stop: threading.Event) -> list[threading.Thread]:
    """Start the worker and scheduler as daemon threads of this process."""

    def work() -> None:
        while not stop.is_set():
            try:
                make_worker(threaded=True).work(burst=True, logging_level="WARNING")
            except Exception:
                logger.exception("in-process worker crashed; restarting")
            close_old_connections()
            stop.wait(0.05)

    threads = [
        threading.Thread(target=work, name="flowgate-worker", daemon=True),
        threading.Thread(target=run_scheduler, args=(stop,), name="flowgate-scheduler", daemon=True),
    ]
    for thread in threads:
        thread.start()
    return threads


def drain(max_seconds: float = 30.0) -> None:
    """Run queued jobs until the queues are empty (tests and one-off commands)."""
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        if not any(queue.get_queue(name).count for name in queue.QUEUE_NAMES):
            return
        make_worker(threaded=True).work(burst=True, logging_level="WARNING")
