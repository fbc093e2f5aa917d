"""`manage.py connector check FILE [FILE...]`: validate connector files like an upload does."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from aggregators.connector import check_file


class Command(BaseCommand):
    help = "Validate XML connector files; prints FILE:LINE:COLUMN: message per error, exit 1 on errors."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="validate connector files")
        check.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        out: Any = self.stdout  # an OutputWrapper: file-like, not a TextIO subclass
        results = [check_file(path, out=out)[0] for path in options["files"]]
        if not all(results):
            sys.exit(1)
