"""`manage.py connector check FILE [FILE...]`: validate connector files like an upload does.
`manage.py connector reference [--output FILE]`: the language reference page (Markdown), as
generated for the docs from the validator's own tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aggregators.connector import check_file


class Command(BaseCommand):
    help = "Validate XML connector files (FILE:LINE:COLUMN: message per error, exit 1 on errors), or print the language reference."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate connector files")
        check.add_argument("files", nargs="+", metavar="FILE")
        reference = sub.add_parser("reference", help="print the connector language reference (Markdown)")
        reference.add_argument("--output", metavar="FILE", help="write it to FILE instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "reference":
            from aggregators.connector.reference import render_reference

            text = render_reference()
            if options.get("output"):
                Path(options["output"]).write_text(text, encoding="utf-8")
            else:
                self.stdout.write(text)
            return
        out: Any = self.stdout  # an OutputWrapper: file-like, not a TextIO subclass
        results = [check_file(path, out=out)[0] for path in options["files"]]
        if not all(results):
            sys.exit(1)
