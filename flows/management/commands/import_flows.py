"""`manage.py import_flows FILE [--workspace UUID]`: import a RapidPro export file."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels_app.models import Workspace
from flows.services.definitions import DefinitionInvalid
from flows.services.importing import import_export


class Command(BaseCommand):
    help = "Import a RapidPro export (flows, fields, groups, triggers) into a workspace."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--workspace", help="workspace uuid (default: the only/first workspace)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with open(options["file"], encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from None
        if options.get("workspace"):
            workspace = Workspace.objects.filter(uuid=options["workspace"]).first()
        else:
            workspace = Workspace.objects.order_by("id").first()
        if workspace is None:
            raise CommandError("no such workspace (create one with `manage.py createworkspace`)")
        try:
            result = import_export(workspace=workspace, data=data)
        except DefinitionInvalid as exc:
            for e in exc.errors:
                self.stderr.write(f"error: {e.field or '-'} {e.node_uuid or ''}: {e.message}")
            raise CommandError("the export was not imported") from None
        for w in result.warnings:
            self.stderr.write(f"warning: {w}")
        self.stdout.write(json.dumps({"workspace": str(workspace.uuid), **result.answer()}))
