"""`python -m benchmarks.contact_import [N] [--quick] [--json PATH]`: a contact import of N rows.

Writes a CSV of N contacts in RapidPro's columns (a tel URN, a name, a date field, a text field, a
group column), then runs the import job the way the worker does (validate pass, then one
transaction of bulk writes) and prints the seconds and the process's peak RSS. Targets for
100,000 rows: under 60 s and under 300 MB. A second run over the same file times the update
path (every row matched by URN). Meant for PostgreSQL (DATABASE_URL); the workspace is deleted
afterwards.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import time
from pathlib import Path

from benchmarks.kit import figure, write_json


def _csv(n: int) -> bytes:
    out = io.StringIO()
    out.write("URN:Tel,Name,Field:EDD,Field:District,Group:Mothers\n")
    for i in range(n):
        out.write(
            f"+2507{i:08d},Mother {i},2027-{1 + i % 12:02d}-{1 + i % 28:02d},D{i % 30},{'true' if i % 3 else ''}\n"
        )
    return out.getvalue().encode()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(n: int, json_path: Path | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from channels_app.models import Contact, ContactImport, Workspace
    from channels_app.services import contact_import

    call_command("migrate", verbosity=0)
    content = _csv(n)
    rss_before = _rss_mb()
    workspace = Workspace.objects.create(name="bench import")
    try:
        timings = []
        for label in ("create", "update"):
            imp = contact_import.upload(
                workspace=workspace,
                filename="bench.csv",
                content=content,
                field_types={"edd": "datetime"},
                start=False,
            )
            # begin() would enqueue the job; the bench runs it here, in this process
            ContactImport.objects.filter(id=imp.id).update(status=ContactImport.Status.PENDING)
            t0 = time.perf_counter()
            contact_import.run_import(imp.id)
            elapsed = time.perf_counter() - t0
            imp.refresh_from_db()
            assert imp.status == "complete", imp.errors
            timings.append((label, elapsed, imp.counts))
            print(
                f"import {label}: {n} rows in {elapsed:.1f}s ({n / elapsed:.0f} rows/s), counts {imp.counts}"
            )
        peak = _rss_mb()
        total = Contact.objects.filter(workspace=workspace).count()
        assert total == n, total
        print(
            f"peak RSS {peak:.0f} MB (before the imports {rss_before:.0f} MB; the file {len(content) / 1e6:.1f} MB) "
            f"on {connection.vendor}; targets for 100,000 rows: < 60 s, < 300 MB"
        )
        write_json(
            json_path,
            "benchmarks.contact_import",
            [
                figure(
                    "import.create.seconds",
                    f"Contact import, {n} new rows",
                    timings[0][1],
                    "s",
                    higher_is_better=False,
                    target=("<=", 60.0) if n >= 100_000 else None,
                ),
                figure(
                    "import.update.seconds",
                    f"Contact import, {n} rows updating by URN",
                    timings[1][1],
                    "s",
                    higher_is_better=False,
                ),
                figure(
                    "import.peak_rss_mb",
                    "Contact import, process peak RSS",
                    peak,
                    "MB",
                    higher_is_better=False,
                    target=("<=", 300.0) if n >= 100_000 else None,
                ),
            ],
            [f"contact import: {n} rows, {connection.vendor}"],
        )
    finally:
        workspace.delete()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, nargs="?", default=100_000, help="rows in the file")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    main(min(args.n, 2000) if args.quick else args.n, args.json)
