"""Submit throughput of one UCP/EMI or CIMD2 link (TextLink) against a local sink SMSC.

    python -m benchmarks.ucp_cimd [--protocol ucp,cimd] [--messages 30000] [--window 100] [--quick] [--json PATH]

As `benchmarks.smpp` does for SMPP: the sink runs in a child process so the figure measures our
client; it only frames operations and answers login, submit and keep-alive with a unique id,
so it is never the bottleneck. The baseline is the same link with a window of 1
(stop-and-wait). Windows are capped by each protocol's numbering: UCP TRN 00-99 (100),
CIMD2 odd packet numbers (128).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from multiprocessing.connection import Connection
from pathlib import Path

from benchmarks.kit import figure, write_json
from smsc.cimd import codec as cimd
from smsc.link import OutboundSms
from smsc.textlink import TextLink, TextLinkConfig, TextProtocol
from smsc.ucp import codec as ucp

TARGET = 10_000.0


def protocol(kind: str) -> TextProtocol:
    from smsc.cimd.protocol import CimdProtocol
    from smsc.ucp.protocol import UcpProtocol

    return UcpProtocol() if kind == "ucp" else CimdProtocol()


class _Sink(asyncio.Protocol):
    """Answers by position in the frame, without decoding parameters (see module doc)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.buf = bytearray()
        self.count = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        split = ucp.split_frames if self.kind == "ucp" else cimd.split_frames
        out = [self._answer(frame) for frame in split(self.buf)]
        if out:
            self.transport.write(b"".join(out))

    def _answer(self, frame: bytes) -> bytes:
        self.count += 1
        if self.kind == "ucp":
            trn, ot = int(frame[1:3]), frame[12:14].decode()
            fields = (
                ["A", f"{self.count}"]
                if ot in ucp.SHORT_ACK_OTS
                else ["A", "", f"250788123123:{self.count:012d}"]
            )
            return ucp.frame(ucp.Operation(trn, "R", ot, fields))
        op, number = int(frame[1:3]), int(frame[4:7])
        params = [(cimd.SERVICE_CENTRE_TIMESTAMP, f"{self.count:012d}")] if op == cimd.SUBMIT else []
        return cimd.encode(cimd.Packet(op + cimd.RESPONSE, number, params))


async def _serve(kind: str, port_out: Connection | None = None) -> asyncio.Server:
    server = await asyncio.get_running_loop().create_server(lambda: _Sink(kind), "127.0.0.1", 0)
    if port_out is not None:
        port_out.send(server.sockets[0].getsockname()[1])
    return server


def _sink_process(kind: str, conn: Connection) -> None:
    async def main() -> None:
        server = await _serve(kind, conn)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


async def measure(kind: str, port: int, messages: int, window: int) -> float:
    config = TextLinkConfig(host="127.0.0.1", port=port, username="bench", password="bench", window=window)
    link = TextLink(protocol(kind), config)
    runner = asyncio.create_task(link.run())
    if not await link.wait_bound(10):
        raise RuntimeError(f"could not log in: {link.status.last_error}")
    left, failed = messages, 0

    async def worker() -> None:
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


def run(kind: str, messages: int, window: int) -> float:
    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("spawn").Process(target=_sink_process, args=(kind, child), daemon=True)
    proc.start()
    try:
        return asyncio.run(measure(kind, parent.recv(), messages, window))
    finally:
        proc.terminate()
        proc.join(5)


WINDOW_CAP = {"ucp": 100, "cimd": 128}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--protocol", default="ucp,cimd")
    parser.add_argument("--messages", type=int, default=30_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    messages = min(args.messages, 3000) if args.quick else args.messages
    figures = []
    for kind in args.protocol.split(","):
        window = min(args.window, WINDOW_CAP[kind])
        rate = run(kind, messages, window)
        naive = run(kind, max(messages // 10, 200), 1)
        name = {"ucp": "UCP/EMI OT 51", "cimd": "CIMD2 submit"}[kind]
        print(f"{kind} submits/s (window={window}): {rate:,.0f}; stop-and-wait (window=1): {naive:,.0f}")
        figures.append(
            figure(
                f"{kind}.submit.rate",
                f"{name}, one link (window {window})",
                rate,
                "msg/s",
                baseline=("stop-and-wait client (window 1)", naive),
                target=(">=", TARGET),
            )
        )
    write_json(
        args.json,
        "benchmarks.ucp_cimd",
        figures,
        [f"{messages} single-part submits per protocol, sink in a child process"],
    )


if __name__ == "__main__":
    main()
