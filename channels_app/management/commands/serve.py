import os
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve the web app, API and websockets; on the embedded default also run the worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="ASGI worker processes (with REDIS_URL)")
        parser.add_argument(
            "--server",
            choices=("uvicorn", "daphne"),
            default="uvicorn",
            help="ASGI server: uvicorn (default, faster under load) or daphne (single process)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        host, port = options["host"], options["port"]
        if "FLOWGATE_BASE_URL" not in os.environ:
            shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
            settings.FLOWGATE_BASE_URL = os.environ["FLOWGATE_BASE_URL"] = f"http://{shown}:{port}"
        workers = options["workers"]
        if settings.FLOWGATE_INPROCESS_WORKER:
            # One process owns the in-process queue: more web processes need REDIS_URL.
            workers = 1
            from channels_app.worker import start_in_process

            start_in_process(threading.Event())
        self.stdout.write(f"Flowgate is serving on {settings.FLOWGATE_BASE_URL}", ending="\n")
        self.stdout.flush()
        if options["server"] == "daphne":
            from daphne.cli import CommandLineInterface

            CommandLineInterface().run(["-b", host, "-p", str(port), "-v", "0", "web.asgi:application"])
            return
        uvicorn.run(
            "web.asgi:application",
            host=host,
            port=port,
            workers=workers if workers > 1 else None,
            log_level="warning",
            # Filtered out at "warning" anyway, but each request still built its log record.
            access_log=False,
            lifespan="off",
            ws="websockets-sansio",
        )
