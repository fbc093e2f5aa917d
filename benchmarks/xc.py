"""Connector send throughput: messages/s through the real send service and worker.

    python -m benchmarks.xc [N] [--quick] [--json PATH]

A local HTTP server answers like Telnyx (its recorded send answer); the built-in Telnyx connector
is uploaded with its host pointed there. N messages are queued, then the in-process rq worker
drains them (batches of FLOWGATE_BATCH_SIZE, concurrent async sends). Without DATABASE_URL the
bench uses a throwaway SQLite file, so it never touches the development database. The baseline,
measured in the same run against the same server, is bare httpx POSTs at the sender's concurrency:
the ceiling that the network and the provider stand-in allow, without any of our work.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from benchmarks.kit import figure, write_json

ANSWER = (
    b'{"data":{"record_type":"message","id":"40385f64-5717-4562-b3fc-2c963f66afa6",'
    b'"to":[{"phone_number":"+18665550001","status":"queued"}],"errors":[]}}'
)


class _Provider(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real provider's API would

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    def log_message(self, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the sender opens up to 20 connections at once


def _setup_django() -> None:
    if not os.environ.get("DATABASE_URL"):
        path = Path(tempfile.mkdtemp(prefix="fg-xc-bench-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["FLOWGATE_ALLOW_PRIVATE_URLS"] = "1"  # the provider is on loopback
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run(count: int) -> dict[str, float]:
    from aggregators.connector import builtin_paths
    from aggregators.services import upload_connector
    from channels_app.models import Msg
    from channels_app.services.channels import create_channel
    from channels_app.services.send import queue_message
    from channels_app.worker import drain
    from channels_app.workspaces import create_workspace

    server = _Server(("127.0.0.1", 0), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        workspace, _ = create_workspace(name=f"xc bench {time.time():.0f}")
        xml = builtin_paths()["telnyx"].read_text().replace("https://api.telnyx.com", url)
        connector = upload_connector(workspace=workspace, name="telnyx bench", xml=xml)
        channel = create_channel(
            workspace=workspace,
            type_code="XC",
            name="bench",
            address="+18445550001",
            config={"connector": str(connector.uuid), "fields": {"api_key": "k", "from": "+18445550001"}},
        )
        for i in range(count):
            queue_message(channel=channel, to=f"+1866555{i % 10000:04d}", text=f"bench message {i}")
        started = time.perf_counter()
        drain(max_seconds=600)
        elapsed = time.perf_counter() - started
        sent = Msg.objects.filter(channel=channel, status="sent").count()
        raw_seconds = asyncio.run(_raw_posts(f"{url}/v2/messages", count))
    finally:
        server.shutdown()
        server.server_close()
    return {
        "messages": count,
        "sent": sent,
        "seconds": elapsed,
        "per_second": sent / elapsed if elapsed else 0,
        "raw_per_second": count / raw_seconds if raw_seconds else 0,
    }


async def _raw_posts(url: str, count: int) -> float:
    """Seconds for `count` bare POSTs at the send path's concurrency (the baseline)."""
    from channels_app.services.send import SEND_CONCURRENCY

    semaphore = asyncio.Semaphore(SEND_CONCURRENCY)
    limits = httpx.Limits(max_connections=SEND_CONCURRENCY, max_keepalive_connections=SEND_CONCURRENCY)
    async with httpx.AsyncClient(limits=limits) as client:

        async def post(i: int) -> None:
            async with semaphore:
                answer = await client.post(url, json={"to": f"+1866555{i % 10000:04d}", "text": f"raw {i}"})
                answer.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(post(i) for i in range(count)))
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("count", type=int, nargs="?", default=1000, help="messages to send")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    count = min(args.count, 200) if args.quick else args.count
    _setup_django()
    from django.conf import settings

    result = run(count)
    print(
        f"xc connector send: {result['sent']:.0f}/{result['messages']:.0f} messages sent in "
        f"{result['seconds']:.2f} s = {result['per_second']:.0f} msg/s "
        f"(1 in-process worker, batch {settings.FLOWGATE_BATCH_SIZE}, local Telnyx-like server, "
        f"db {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}); "
        f"bare httpx POSTs to the same server: {result['raw_per_second']:.0f}/s"
    )
    write_json(
        args.json,
        "benchmarks.xc",
        [
            figure(
                "connector.send.rate",
                "Connector sends (XC, worker + local server)",
                result["per_second"],
                "msg/s",
                baseline=("bare httpx POSTs, same server", result["raw_per_second"]),
            )
        ],
        [
            f"connector sends: {result['sent']:.0f}/{result['messages']:.0f} sent, 1 in-process worker, "
            f"batch {settings.FLOWGATE_BATCH_SIZE}, db {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"
        ],
    )
    return 0 if result["sent"] == result["messages"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
