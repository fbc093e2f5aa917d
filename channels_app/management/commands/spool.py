import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels_app import spool


class Command(BaseCommand):
    help = "Inspect or replay the inbound disk spool (messages received while the database was down)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("status", "replay"))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            self.stdout.write(json.dumps(spool.status()))
            return
        try:
            report = spool.replay()
        except Exception as exc:
            if spool.is_outage(exc):
                raise CommandError(f"the database is still unavailable: {exc}") from None
            raise
        self.stdout.write(json.dumps({**report.as_dict(), "left": spool.status()}))
