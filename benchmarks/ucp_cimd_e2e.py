"""End-to-end UCP/EMI and CIMD2 throughput: queued messages in the database -> receipts applied.

    python -m benchmarks.ucp_cimd_e2e [--protocol ucp,cimd] [--messages 10000] [--window 100] [--quick] [--json PATH]

Like `benchmarks.smpp_e2e` for SMPP: uses the configured database (DATABASE_URL) and runs its
migrations, creates a throwaway workspace with one UC or CD channel pointing at the local fake
SMSC (`smsc.textfake`, in a child process, answering each submit and at once sending a
"delivered" notification for it), inserts N queued messages and runs the real supervisor (what
`manage.py smsc` runs) until every message is `delivered`. Bench data is deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks.kit import figure, write_json

TYPE_CODE = {"ucp": "UC", "cimd": "CD"}
WINDOW_CAP = {"ucp": 100, "cimd": 128}


def _sink_process(kind: str, conn: Connection) -> None:
    from smsc.textfake import TextSmsc

    async def main() -> None:
        smsc = TextSmsc(kind, username="bench", password="bench", record=False, auto_receipts=True)  # type: ignore[arg-type]
        await smsc.start()
        conn.send(smsc.port)
        await asyncio.Event().wait()

    asyncio.run(main())


def _setup(kind: str, port: int, messages: int, window: int) -> tuple[int, int]:
    from django.utils import timezone

    from channels_app.models import Direction, Msg, MsgStatus
    from channels_app.services.channels import create_channel
    from channels_app.services.ingest import get_or_create_contact
    from channels_app.workspaces import create_workspace

    workspace, _ = create_workspace(name=f"{kind} bench")
    config = {"host": "127.0.0.1", "port": port, "username": "bench", "password": "bench", "window": window}
    channel = create_channel(
        workspace=workspace,
        type_code=TYPE_CODE[kind],
        name=f"bench {kind}",
        address="+250788000000",
        country="RW",
        config=config,
    )
    contact, urn = get_or_create_contact(workspace_id=workspace.id, identity="tel:+250788123123")
    now = timezone.now()
    Msg.objects.bulk_create(
        [
            Msg(
                workspace=workspace,
                channel=channel,
                contact=contact,
                contact_urn=urn,
                urn=urn.identity,
                direction=Direction.OUT,
                status=MsgStatus.QUEUED,
                text=f"Benchmark message {i} with a little text in it",
                created_on=now,
            )
            for i in range(messages)
        ],
        batch_size=2000,
    )
    return workspace.id, channel.id


def _count(channel_id: int, statuses: tuple[str, ...]) -> int:
    from channels_app.models import Msg

    return Msg.objects.filter(channel_id=channel_id, status__in=statuses).count()


def _cleanup(workspace_id: int, channel_id: int) -> None:
    from channels_app.models import Msg, MsgEvent, Workspace
    from smsc.models import LinkState, SubmittedPart

    SubmittedPart.objects.filter(channel_id=channel_id).delete()
    LinkState.objects.filter(channel_id=channel_id).delete()
    MsgEvent.objects.filter(msg__channel_id=channel_id)._raw_delete("default")  # type: ignore[attr-defined]
    Msg.objects.filter(channel_id=channel_id).delete()
    Workspace.objects.filter(id=workspace_id).delete()


async def _run(channel_id: int, messages: int, timeout: float) -> tuple[float, dict[str, Any]]:
    from smsc.supervisor import Supervisor, SupervisorOptions

    sup = Supervisor(SupervisorOptions(poll_interval=0.05, reconcile_interval=1.0, batch_size=500))
    start = time.perf_counter()
    task = asyncio.create_task(sup.run())
    try:
        while True:
            await asyncio.sleep(0.1)
            done = await asyncio.to_thread(_count, channel_id, ("delivered",))
            if done >= messages:
                runner = sup.runners.get(channel_id)
                return time.perf_counter() - start, runner.stats() if runner else {}
            if task.done() or time.perf_counter() - start > timeout:
                failed = await asyncio.to_thread(_count, channel_id, ("failed", "errored"))
                raise RuntimeError(f"only {done}/{messages} delivered ({failed} failed/errored)")
    finally:
        sup.stop()
        await task


def run(kind: str, messages: int, window: int, timeout: float) -> tuple[float, float, str]:
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(target=_sink_process, args=(kind, child), daemon=True)
    proc.start()
    try:
        workspace_id, channel_id = _setup(kind, parent.recv(), messages, window)
        try:
            cpu = time.process_time()
            elapsed, stats = asyncio.run(_run(channel_id, messages, timeout))
            cpu = time.process_time() - cpu
        finally:
            _cleanup(workspace_id, channel_id)
    finally:
        proc.terminate()
        proc.join(5)
    counts = (
        f"submits written {stats.get('submitted')}, receipts {stats.get('receipts_received')}, "
        f"unmatched {stats.get('unmatched_receipts')}"
    )
    return messages / elapsed, cpu / messages * 1e6, counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--protocol", default="ucp,cimd")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    messages = min(args.messages, 1000) if args.quick else args.messages

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    figures, notes = [], []
    for kind in args.protocol.split(","):
        window = min(args.window, WINDOW_CAP[kind])
        rate, cpu_us, counts = run(kind, messages, window, args.timeout)
        print(
            f"{kind} end-to-end (queued in DB -> submit -> delivered notification applied), {connection.vendor}: "
            f"{messages:,} messages = {rate:,.0f} msg/s; supervisor CPU {cpu_us:,.0f} us/msg; {counts}"
        )
        figures += [
            figure(
                f"{kind}.e2e.rate", f"{kind.upper()} end to end (queued -> receipt applied)", rate, "msg/s"
            ),
            figure(
                f"{kind}.e2e.cpu_us",
                f"{kind.upper()} end to end, supervisor CPU per message",
                cpu_us,
                "us",
                higher_is_better=False,
            ),
        ]
        notes.append(f"{kind} e2e: {messages} messages on {connection.vendor}, window {window}; {counts}")
    write_json(args.json, "benchmarks.ucp_cimd_e2e", figures, notes)


if __name__ == "__main__":
    main()
