"""`python manage.py smsc`: run the SMPP link of every active SM channel until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from django.core.management.base import BaseCommand

from infra.gc_policy import settle_after_startup
from smsc.services import STALE_SECONDS
from smsc.supervisor import Supervisor, SupervisorOptions


class Command(BaseCommand):
    help = "Run the SMPP links of all active SMPP channels (one process, many links)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--poll", type=float, default=0.5, help="seconds between queue polls when idle")
        parser.add_argument(
            "--batch", type=int, default=500, help="messages claimed at a time (at most the link window)"
        )
        parser.add_argument(
            "--stale",
            type=float,
            default=STALE_SECONDS,
            help="seconds without a status report after which another supervisor's links are taken over",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        supervisor = Supervisor(
            SupervisorOptions(
                poll_interval=options["poll"], batch_size=options["batch"], stale_seconds=options["stale"]
            )
        )

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, supervisor.stop)
            await supervisor.run()

        self.stdout.write(f"smsc supervisor {supervisor.owner} starting")
        # The web and worker processes' collector policy (FLOWGATE_GC_TUNING=0 turns it off):
        # without it a full collection walked the whole start-up heap every few thousand
        # messages, ~0.1 s of CPU each time, a sixth of the supervisor's work per message.
        settle_after_startup()
        asyncio.run(main())
        self.stdout.write("smsc supervisor stopped")
