import logging
import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from channels_app import realtime
from channels_app.services import send_clients
from channels_app.worker import make_worker, run_scheduler
from infra.gc_policy import settle_after_startup

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run every job queue and the scheduler (use with REDIS_URL; several may run side by side)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
        parser.add_argument("--no-scheduler", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        realtime.publish_on_thread_loops()
        _import_job_modules()
        settle_after_startup()
        if not options["no_scheduler"] and not options["burst"]:
            threading.Thread(target=run_scheduler, args=(stop,), daemon=True).start()
        delay = 1.0
        try:
            while True:
                started = time.monotonic()
                worker = None
                try:
                    worker = make_worker(threaded=False)  # talks to Redis: may fail while it is down
                    worker.work(burst=options["burst"], logging_level="INFO", with_scheduler=False)
                except Exception:
                    logger.exception("the worker crashed")
                if options["burst"] or (worker is not None and worker._shutdown_requested_date is not None):
                    break
                # rq quits on a Redis error outside its dequeue retry loop (e.g. Redis restarted
                # while a job ran): start a new worker instead of leaving the queues unserved.
                signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a stop request between workers
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                delay = 1.0 if time.monotonic() - started > 60 else min(delay * 2, 30.0)
                logger.warning("the worker stopped unexpectedly; starting a new one in %.0f s", delay)
                time.sleep(delay)
        finally:
            stop.set()
            send_clients.close_all()  # say goodbye to providers instead of dropping connections


def _import_job_modules() -> None:
    """Import what the jobs run before start-up objects are frozen (rq imports a job's function
    on its first run, which would leave those modules' objects to the collector)."""
    from channels_app import jobs  # noqa: F401
    from channels_app.services import aiohttp_transport  # noqa: F401
