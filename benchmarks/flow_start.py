"""`python -m benchmarks.flow_start [N] [--quick] [--json PATH]`: time and peak memory to queue an
N-contact flow start.

Creates a throwaway workspace with N contacts in a group (bulk inserts, not timed), then times
what a user's "start" costs before the first message goes out: creating the start and resolving
its recipients into batches. It also runs one batch to report the per-contact start rate.
Meant for PostgreSQL (DATABASE_URL); the workspace is deleted afterwards. No baseline.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from pathlib import Path

from benchmarks.kit import figure, write_json


def main(n: int, json_path: Path | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from channels_app.models import Contact, ContactGroup, ContactURN, Workspace
    from flows.models import FlowStart, FlowStartBatch
    from flows.services import definitions, starts

    call_command("migrate", verbosity=0)
    workspace = Workspace.objects.create(name="bench flow start")
    try:
        flow = definitions.create_flow(workspace=workspace, name="Bench")
        definitions.save_definition(
            flow=flow,
            definition={
                **flow.definition,
                "nodes": [
                    {
                        "uuid": "b0000000-0000-4000-8000-000000000001",
                        "actions": [
                            {
                                "uuid": "b0000000-0000-4000-8000-000000000002",
                                "type": "set_run_result",
                                "name": "Seen",
                                "value": "yes",
                            }
                        ],
                        "exits": [{"uuid": "b0000000-0000-4000-8000-000000000003", "destination_uuid": None}],
                    }
                ],
            },
        )
        group = ContactGroup.objects.create(workspace=workspace, name="Everyone")
        t0 = time.perf_counter()
        step = 10_000
        for offset in range(0, n, step):
            contacts = Contact.objects.bulk_create(
                [Contact(workspace=workspace, name=f"C{i}") for i in range(offset, min(n, offset + step))]
            )
            ContactURN.objects.bulk_create(
                [
                    ContactURN(
                        workspace=workspace,
                        contact=c,
                        identity=f"tel:+1555{c.id:08d}",
                        scheme="tel",
                        path=f"+1555{c.id:08d}",
                    )
                    for c in contacts
                ]
            )
            group.contacts.through.objects.bulk_create(
                [group.contacts.through(contactgroup_id=group.id, contact_id=c.id) for c in contacts]
            )
        print(f"setup: {n} contacts in {time.perf_counter() - t0:.1f}s ({connection.vendor})")

        tracemalloc.start()
        t0 = time.perf_counter()
        start = starts.create_flow_start(workspace=workspace, flow=flow, group_uuids=[str(group.uuid)])
        total = starts.prepare_start(start_id=start.id)
        queued = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        batches = FlowStartBatch.objects.filter(start=start).count()
        print(
            f"flow start queued: {total} contacts in {batches} batches of "
            f"{getattr(settings, 'FLOWGATE_FLOW_START_BATCH', 500)} in {queued:.2f}s; "
            f"peak Python memory {peak / 1e6:.1f} MB (process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
        )
        t0 = time.perf_counter()
        ran = starts.run_start_batches(start_id=start.id, max_batches=1)
        elapsed = time.perf_counter() - t0
        progress = starts.start_payload(FlowStart.objects.get(id=start.id))["progress"]
        print(
            f"one batch run: {ran} contacts started in {elapsed:.2f}s ({ran / elapsed:.0f} contacts/s per worker); progress {progress}%"
        )
        write_json(
            json_path,
            "benchmarks.flow_start",
            [
                figure(
                    "flowstart.queue.rate", f"Flow start queued ({n} contacts)", total / queued, "contacts/s"
                ),
                figure(
                    "flowstart.queue.peak_mb",
                    "Flow start queueing, peak Python memory",
                    peak / 1e6,
                    "MB",
                    higher_is_better=False,
                ),
                figure("flowstart.run.rate", "Flow start batch run, one worker", ran / elapsed, "contacts/s"),
            ],
            [
                f"flow start: {total} contacts in {batches} batches, {queued:.2f}s to queue ({connection.vendor})"
            ],
        )
    finally:
        workspace.delete()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("n", type=int, nargs="?", default=100_000, help="contacts in the start")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    main(min(args.n, 2000) if args.quick else args.n, args.json)
