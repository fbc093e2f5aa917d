import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from channels_app.worker import make_worker, run_scheduler


class Command(BaseCommand):
    help = "Run every job queue and the scheduler (use with REDIS_URL; several may run side by side)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
        parser.add_argument("--no-scheduler", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if not options["no_scheduler"] and not options["burst"]:
            threading.Thread(target=run_scheduler, args=(stop,), daemon=True).start()
        try:
            make_worker(threaded=False).work(
                burst=options["burst"], logging_level="INFO", with_scheduler=False
            )
        finally:
            stop.set()
