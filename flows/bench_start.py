"""`python -m flows.bench_start [N]`: time and peak memory to queue an N-contact flow start.

Creates a throwaway workspace with N contacts in a group (bulk inserts, not timed), then times
what a user's "start" costs before the first message goes out: creating the start and resolving
its recipients into batches. It also runs one batch to report the per-contact start rate.
Meant for PostgreSQL (DATABASE_URL); the workspace is deleted afterwards.
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc


def main(n: int) -> None:
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
    finally:
        workspace.delete()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
