"""End-to-end SMPP throughput: queued messages in the database -> delivered receipts applied.

    python -m benchmarks.smpp_e2e [--messages 20000] [--window 100] [--batch 500] [--quick] [--json PATH]

Uses the configured database (DATABASE_URL; the figure that matters is PostgreSQL's) and runs
its migrations. It creates a throwaway workspace with one SM channel pointing at a local sink
SMSC in a child process, inserts N queued messages, then runs the real supervisor (the code
`manage.py smsc` runs) until every message is `delivered`. The sink answers each submit_sm and
at once sends a DELIVRD receipt for it, so receipts race the recording of their own submits
as they do with fast SMSCs. The bench data is deleted afterwards. No baseline: nothing simpler
does the same work (benchmarks.smpp gives the bare submit_sm rate of one link).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import struct
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks.kit import figure, write_json

_HDR = struct.Struct(">IIII")
SUBMIT_SM, DELIVER_SM, RESP = 0x00000004, 0x00000005, 0x80000000
BINDS = {0x00000001, 0x00000002, 0x00000009}
ENQUIRE_LINK, UNBIND = 0x00000015, 0x00000006


class _ReceiptSink(asyncio.Protocol):
    """Frames PDUs, answers submit_sm with a hex id and follows each with a DELIVRD receipt."""

    def __init__(self, counter: Any = None) -> None:
        self.counter = counter  # submit_sm PDUs received, shared with the parent process
        self.buf = bytearray()
        self.next_id = 0x100000
        self.seq = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        out = bytearray()
        pos = 0
        while len(buf) - pos >= 16:
            length, cid, _, seq = _HDR.unpack_from(buf, pos)
            if length < 16 or length > 70_000:
                self.transport.close()
                return
            if len(buf) - pos < length:
                break
            pos += length
            if cid == SUBMIT_SM:
                if self.counter is not None:
                    self.counter.value += 1  # one writer, so no lock is needed
                self.next_id += 1
                mid = b"%X" % self.next_id
                out += _HDR.pack(16 + len(mid) + 1, cid | RESP, 0, seq) + mid + b"\0"
                out += self._receipt(mid)
            elif cid in BINDS:
                out += _HDR.pack(21, cid | RESP, 0, seq) + b"sink\0"
            elif cid in (ENQUIRE_LINK, UNBIND):
                out += _HDR.pack(16, cid | RESP, 0, seq)
        del buf[:pos]
        if out:
            self.transport.write(bytes(out))

    def _receipt(self, mid: bytes) -> bytes:
        self.seq += 1
        text = (
            b"id:"
            + mid
            + b" sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:"
        )
        body = (
            b"\0"  # service_type
            + b"\x01\x01250788123123\0"  # source ton/npi/addr (the handset)
            + b"\x01\x01250788000000\0"  # destination (us)
            + bytes([0x04, 0, 0])  # esm_class = SMSC delivery receipt, protocol_id, priority
            + b"\0\0"  # schedule_delivery_time, validity_period
            + bytes(
                [0, 0, 0, 0, len(text)]
            )  # registered_delivery, replace, data_coding, default id, sm_length
            + text
        )
        return _HDR.pack(16 + len(body), DELIVER_SM, 0, self.seq) + body


def _sink_process(conn: Connection, counter: Any = None) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(lambda: _ReceiptSink(counter), "127.0.0.1", 0)
        conn.send(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _setup(port: int, messages: int, window: int) -> tuple[int, int]:
    from django.utils import timezone

    from channels_app.models import Direction, Msg, MsgStatus
    from channels_app.services.channels import create_channel
    from channels_app.services.ingest import get_or_create_contact
    from channels_app.workspaces import create_workspace

    workspace, _ = create_workspace(name="smsc bench")
    channel = create_channel(
        workspace=workspace,
        type_code="SM",
        name="bench SMSC",
        address="+250788000000",
        country="RW",
        config={
            "host": "127.0.0.1",
            "port": port,
            "system_id": "bench",
            "password": "bench",
            "window": window,
        },
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


def _delivered(channel_id: int) -> int:
    from channels_app.models import Msg

    return Msg.objects.filter(channel_id=channel_id, status="delivered").count()


def _failed(channel_id: int) -> int:
    from channels_app.models import Msg

    return Msg.objects.filter(channel_id=channel_id, status__in=("failed", "errored")).count()


def _cleanup(workspace_id: int, channel_id: int) -> None:
    from channels_app.models import Msg, MsgEvent, Workspace
    from smsc.models import LinkState, SubmittedPart

    SubmittedPart.objects.filter(channel_id=channel_id).delete()
    LinkState.objects.filter(channel_id=channel_id).delete()
    MsgEvent.objects.filter(msg__channel_id=channel_id)._raw_delete("default")  # type: ignore[attr-defined]
    Msg.objects.filter(channel_id=channel_id).delete()
    Workspace.objects.filter(id=workspace_id).delete()


async def _run(channel_id: int, messages: int, batch: int, timeout: float) -> tuple[float, dict[str, Any]]:
    from smsc.supervisor import Supervisor, SupervisorOptions

    sup = Supervisor(SupervisorOptions(poll_interval=0.05, reconcile_interval=1.0, batch_size=batch))
    start = time.perf_counter()
    task = asyncio.create_task(sup.run())
    try:
        while True:
            await asyncio.sleep(0.1)
            done = await asyncio.to_thread(_delivered, channel_id)
            if done >= messages:
                runner = sup.runners.get(channel_id)
                stats = runner.stats() if runner else {}
                return time.perf_counter() - start, stats
            if task.done() or time.perf_counter() - start > timeout:
                failed = await asyncio.to_thread(_failed, channel_id)
                raise RuntimeError(f"only {done}/{messages} delivered ({failed} failed/errored)")
    finally:
        sup.stop()
        await task


def run(
    messages: int = 20_000,
    window: int = 100,
    batch: int = 500,
    timeout: float = 300.0,
    json_path: Path | None = None,
) -> float:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    parent, child = multiprocessing.Pipe()
    ctx = multiprocessing.get_context("spawn")
    received = ctx.Value("q", 0, lock=False)
    proc = ctx.Process(target=_sink_process, args=(child, received), daemon=True)
    proc.start()
    try:
        port = parent.recv()
        workspace_id, channel_id = _setup(port, messages, window)
        # as `manage.py smsc` does before its loop (FLOWGATE_GC_TUNING=0 measures without)
        from infra.gc_policy import settle_after_startup

        settle_after_startup()
        try:
            cpu = time.process_time()
            elapsed, stats = asyncio.run(_run(channel_id, messages, batch, timeout))
            cpu = time.process_time() - cpu
        finally:
            _cleanup(workspace_id, channel_id)
    finally:
        proc.terminate()
        proc.join(5)
    counts = (
        f"submit_sm written {stats.get('submitted')}, received by the SMSC {received.value}, "
        f"receipts {stats.get('receipts_received')}, unmatched {stats.get('unmatched_receipts')}"
    )
    print(
        f"smpp end-to-end (queued in DB -> submit_sm -> DELIVRD receipt applied), {connection.vendor}: "
        f"{messages:,} messages in {elapsed:.2f}s = {messages / elapsed:,.0f} msg/s; "
        f"supervisor CPU {cpu:.2f}s ({cpu / messages * 1e6:,.0f} us/msg); {counts}"
    )
    write_json(
        json_path,
        "benchmarks.smpp_e2e",
        [
            figure(
                "smpp.e2e.rate", "SMPP end to end (queued -> receipt applied)", messages / elapsed, "msg/s"
            ),
            figure(
                "smpp.e2e.cpu_us",
                "SMPP end to end, supervisor CPU per message",
                cpu / messages * 1e6,
                "us",
                higher_is_better=False,
            ),
        ],
        [f"smpp e2e: {messages} messages on {connection.vendor}; {counts}"],
    )
    return messages / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    messages = min(args.messages, 1000) if args.quick else args.messages
    run(messages, args.window, args.batch, args.timeout, json_path=args.json)


if __name__ == "__main__":
    main()
