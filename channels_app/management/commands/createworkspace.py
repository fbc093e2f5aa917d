import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from channels_app.workspaces import create_workspace


class Command(BaseCommand):
    help = "Create a workspace (and its admin user) and print its uuid and first API token as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--email", default=None)
        parser.add_argument("--password", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        workspace, key = create_workspace(
            name=options["name"], email=options["email"], password=options["password"]
        )
        self.stdout.write(json.dumps({"workspace": str(workspace.uuid), "token": key}))
