"""submit_sm throughput of one SmppLink against a local sink SMSC.

    python -m benchmarks.smpp [--messages 50000] [--window 100] [--inprocess] [--quick] [--json PATH]

The baseline, measured in the same run against the same sink, is a naive stop-and-wait client:
the same link with a window of 1 (each submit_sm waits for its response before the next).
The sink runs in a child process by default so the figure measures our client, not the two
sharing one event loop. The sink only frames PDUs and answers (bind, submit_sm, enquire_link,
unbind); it does not decode bodies, so it is never the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.kit import figure, write_json
from smsc.link import LinkConfig, OutboundSms, SmppLink
from smsc.pdu import RESPONSE_BIT, CommandId

_HDR = struct.Struct(">IIII")


@dataclass
class SinkStats:
    """What the sink saw (in-process runs): every submit_sm, and the most that arrived in one
    read before the sink answered any of them — above 1 only when the client pipelines."""

    submits: int = 0
    most_per_read: int = 0


class _SinkProtocol(asyncio.Protocol):
    def __init__(self, stats: SinkStats | None = None) -> None:
        self.buf = bytearray()
        self.next_id = 0
        self.stats = stats

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        out = bytearray()
        pos = 0
        submits = 0
        while len(buf) - pos >= 16:
            length, cid, _, seq = _HDR.unpack_from(buf, pos)
            if length < 16 or length > 70_000:
                self.transport.close()  # type: ignore[attr-defined]
                return
            if len(buf) - pos < length:
                break
            pos += length
            if cid == CommandId.submit_sm:
                self.next_id += 1
                submits += 1
                body = b"%x\0" % self.next_id
            elif cid in (CommandId.bind_transceiver, CommandId.bind_transmitter, CommandId.bind_receiver):
                body = b"sink\0"
            elif cid in (CommandId.enquire_link, CommandId.unbind):
                body = b""
            else:
                continue
            out += _HDR.pack(16 + len(body), cid | RESPONSE_BIT, 0, seq) + body
        del buf[:pos]
        if self.stats is not None and submits:
            self.stats.submits += submits
            self.stats.most_per_read = max(self.stats.most_per_read, submits)
        if out:
            self.transport.write(bytes(out))  # type: ignore[attr-defined]


async def _serve(
    port_out: multiprocessing.connection.Connection | None = None, stats: SinkStats | None = None
) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _SinkProtocol(stats), "127.0.0.1", 0)
    if port_out is not None:
        port_out.send(server.sockets[0].getsockname()[1])
    return server


def _sink_process(conn: multiprocessing.connection.Connection) -> None:
    async def main() -> None:
        server = await _serve(conn)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


async def measure(port: int, messages: int, window: int) -> float:
    """Submit `messages` single-part SMS through one link; returns accepted submit_sm per second."""
    link = SmppLink(
        LinkConfig(host="127.0.0.1", port=port, system_id="bench", password="bench", window=window)
    )
    runner = asyncio.create_task(link.run())
    if not await link.wait_bound(10):
        raise RuntimeError(f"could not bind: {link.status.last_error}")
    left = messages
    failed = 0

    async def worker() -> None:
        # Like a sender job: a fixed set of workers keeps the window full.
        nonlocal left, failed
        while left > 0:
            left -= 1
            sms = OutboundSms(to="250788123123", text=f"Benchmark message {left} with a little text in it")
            if not (await link.submit(sms)).ok:
                failed += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(window)))
    elapsed = time.perf_counter() - start
    await link.close()
    await runner
    if failed:
        raise RuntimeError(f"{failed} submits failed")
    return messages / elapsed


def run(
    messages: int = 50_000, window: int = 100, inprocess: bool = False, stats: SinkStats | None = None
) -> float:
    """Accepted submit_sm per second; `stats` (in-process sink only) records what the sink saw."""
    if inprocess:

        async def both() -> float:
            server = await _serve(stats=stats)
            async with server:
                return await measure(server.sockets[0].getsockname()[1], messages, window)

        return asyncio.run(both())
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(target=_sink_process, args=(child,), daemon=True)
    proc.start()
    try:
        port = parent.recv()
        return asyncio.run(measure(port, messages, window))
    finally:
        proc.terminate()
        proc.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--inprocess", action="store_true", help="run the sink in this event loop")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    messages = min(args.messages, 3000) if args.quick else args.messages
    rate = run(messages, args.window, args.inprocess)
    # Stop-and-wait is slow by nature: a tenth of the messages gives a stable figure.
    naive = run(max(messages // 10, 200), 1, args.inprocess)
    print(f"smpp submit_sm/s (window={args.window}): {rate:,.0f}; stop-and-wait (window=1): {naive:,.0f}")
    write_json(
        args.json,
        "benchmarks.smpp",
        [
            figure(
                "smpp.submit.rate",
                f"SMPP submit_sm, one link (window {args.window})",
                rate,
                "msg/s",
                baseline=("stop-and-wait client (window 1)", naive),
            )
        ],
        [f"smpp submit: {messages} messages, sink SMSC in a child process={not args.inprocess}"],
    )


if __name__ == "__main__":
    main()
