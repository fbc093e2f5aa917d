"""Scale-out: N web processes + N workers on one PostgreSQL + Redis, counted at the aggregator.

    python -m benchmarks.scale [--messages 120] [--channels 4] [--tps 5] [--quick] [--json PATH]

Real processes (`manage.py serve` on their own ports, `manage.py worker`), a local aggregator
that answers after a fixed latency and records every message id it receives and which worker
process sent it (the owner of the TCP connection, looked up in /proc). Messages go in through
the REST API, split across the web processes and over several channels.

Why the load is I/O bound, so that more processes can show more throughput on 2 cores: each
channel has a provider rate cap (`max_tps`, as real aggregators impose per account) and the
aggregator answers slowly; the per-channel send lock lets one worker serve a channel at a time,
so a second worker serves a second channel meanwhile instead of waiting. The caps are low so
that the sends, not the API posts (CPU bound, on the same 2 cores), set the pace. The same code is used
by `tests/benchmarks/scale/test_scale_out.py` (which asserts) and by `make bench` (which reports).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from benchmarks.kit import figure, free_port, memory_mb, stop, wait_for_port, write_json

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Received:
    msg_id: str
    sender_pid: int | None
    at: float


class Aggregator:
    """A local provider stand-in: answers every send after `latency` seconds and records it."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.received: list[Received] = []
        self.sender_pids: list[int] = []  # the worker processes whose connections we attribute
        self._lock = threading.Lock()
        self._server = self._make_server()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _make_server(self) -> ThreadingHTTPServer:
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: one lookup per connection, like a real API

            def setup(self) -> None:
                super().setup()
                self.sender_pid = socket_owner(self.client_address[1], state.port, state.sender_pids)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                msg_id = dict(parse_qsl(body.decode())).get("uuid", "")
                time.sleep(state.latency)
                with state._lock:
                    state.received.append(Received(msg_id, self.sender_pid, time.monotonic()))
                answer = b'{"status": "accepted"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.request_queue_size = 256
        return server

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def reset(self, sender_pids: list[int]) -> None:
        with self._lock:
            self.received = []
        self.sender_pids = sender_pids

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def socket_owner(client_port: int, server_port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the client end of the loopback connection client_port -> server_port."""
    inode = ""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, remote = parts[1], parts[2]
            if (
                int(local.rsplit(":", 1)[1], 16) == client_port
                and int(remote.rsplit(":", 1)[1], 16) == server_port
            ):
                inode = parts[9]
                break
        if inode:
            break
    if not inode:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


@dataclass
class ScaleRun:
    webs: int
    workers: int
    messages: int
    seconds: float
    received: int
    duplicates: int
    missing: int
    unexpected: int
    sent_in_db: int
    post_seconds: float
    by_worker: dict[int, int] = field(default_factory=dict)
    unattributed: int = 0
    web_peak_rss_mb: float = 0.0
    worker_peak_rss_mb: float = 0.0

    @property
    def rate(self) -> float:
        return self.received / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.webs} web + {self.workers} worker: {self.received}/{self.messages} received in "
            f"{self.seconds:.2f}s = {self.rate:.1f} msg/s (API posts took {self.post_seconds:.2f}s); duplicates {self.duplicates}, missing {self.missing}, "
            f"unexpected {self.unexpected}, "
            f"sent in db {self.sent_in_db}; per worker {sorted(self.by_worker.values(), reverse=True)}, "
            f"unattributed {self.unattributed}; peak RSS web {self.web_peak_rss_mb:.0f} MB, "
            f"worker {self.worker_peak_rss_mb:.0f} MB"
        )


class Cluster:
    """A database, a Redis db and the processes of one deployment, all on this machine."""

    def __init__(self, database_url: str, redis_url: str, log_dir: Path | None = None) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="fg-scale-"))
        self.webs: list[tuple[subprocess.Popen[Any], int]] = []
        self.workers: list[subprocess.Popen[Any]] = []
        self.token = ""
        # One key for every process of the cluster (web and workers must share it).
        self.secret_key = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": self.secret_key,  # a REDIS_URL run refuses to start without one
            "FLOWGATE_ALLOW_PRIVATE_URLS": "1",
            "FLOWGATE_INPROCESS_WORKER": "0",
            "FLOWGATE_API_RATE": "1000000/m",  # the API throttle is not what this measures
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        ).stdout

    def prepare(self) -> None:
        """A fresh database with the schema and one workspace; the Redis db emptied."""
        import psycopg

        server, name = self.database_url.rsplit("/", 1)
        admin = os.environ.get("BENCH_PG_ADMIN_URL", f"{server}/postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.manage("migrate", "--verbosity", "0")
        self.token = json.loads(self.manage("createworkspace", "Scale out").strip().splitlines()[-1])["token"]

    def flush_redis(self) -> None:
        from redis import Redis

        Redis.from_url(self.redis_url).flushdb()  # this cluster's own db number only

    def _log(self, name: str) -> Any:
        return open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child process owns it

    def start(self, webs: int, workers: int) -> None:
        cmd = [sys.executable, "manage.py"]
        for i in range(workers):
            log = self._log(f"worker{i}")
            self.workers.append(
                subprocess.Popen([*cmd, "worker"], cwd=ROOT, env=self.env(), stdout=log, stderr=log)
            )
            log.close()
        for i in range(webs):
            port = free_port()
            log = self._log(f"web{i}")
            process = subprocess.Popen(
                [*cmd, "serve", "--port", str(port), "--workers", "1"],
                cwd=ROOT,
                env=self.env(),
                stdout=log,
                stderr=log,
            )
            log.close()
            self.webs.append((process, port))
        for process, port in self.webs:
            wait_for_port(port, 60, process)
        self._wait_for_workers(workers, 60)

    def _wait_for_workers(self, count: int, seconds: float) -> None:
        from redis import Redis
        from rq import Worker

        connection = Redis.from_url(self.redis_url)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for process in self.workers:
                if process.poll() is not None:
                    raise RuntimeError(f"a worker exited with {process.returncode}; see {self.log_dir}")
            if len(Worker.all(connection=connection)) >= count:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{count} workers did not register in {seconds:.0f}s; see {self.log_dir}")

    def web_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for _, port in self.webs]

    def worker_pids(self) -> list[int]:
        return [p.pid for p in self.workers]

    def stop(self) -> None:
        for process in [*self.workers, *(p for p, _ in self.webs)]:
            stop(process)
        self.webs, self.workers = [], []

    def sent_count(self, channel_uuids: list[str]) -> int:
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM channels_app_msg m JOIN channels_app_channel c ON c.id = m.channel_id "
                "WHERE c.uuid::text = ANY(%s) AND m.direction = 'out' AND m.status = 'sent'",
                [channel_uuids],
            ).fetchone()
        return int(row[0]) if row else 0


def _create_channels(url: str, token: str, aggregator: Aggregator, count: int, tps: int) -> list[str]:
    uuids = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=30) as client:
        for i in range(count):
            answer = client.post(
                "/api/v1/channels",
                json={
                    "type": "EX",
                    "name": f"scale {i} {time.time():.0f}",
                    "address": f"+25078800{i:04d}",
                    "country": "RW",
                    "config": {
                        "send_url": f"{aggregator.url}/send",
                        "body": "uuid={{uuid}}&to={{to}}&text={{text}}",
                        "max_tps": tps,
                    },
                },
            )
            answer.raise_for_status()
            uuids.append(answer.json()["uuid"])
    return uuids


def _post_messages(urls: list[str], token: str, channels: list[str], messages: int) -> list[str]:
    """Send through the API, message i on channel i % C via web process i % W; returns the uuids."""
    local = threading.local()

    def post(i: int) -> str:
        clients = getattr(local, "clients", None)
        if clients is None:
            headers = {"Authorization": f"Token {token}"}
            clients = local.clients = [httpx.Client(base_url=u, headers=headers, timeout=30) for u in urls]
        answer = clients[i % len(urls)].post(
            "/api/v1/messages",
            json={"channel": channels[i % len(channels)], "to": f"+2507881{i:05d}", "text": f"scale {i}"},
        )
        if answer.status_code != 201:
            raise RuntimeError(f"send {i} answered {answer.status_code}: {answer.text[:200]}")
        return str(answer.json()["uuid"])

    with ThreadPoolExecutor(max_workers=6 * len(urls)) as pool:
        return list(pool.map(post, range(messages)))


def run_scale(
    cluster: Cluster,
    aggregator: Aggregator,
    *,
    webs: int,
    workers: int,
    messages: int,
    channels: int = 4,
    tps: int = 5,
    timeout: float = 120.0,
) -> ScaleRun:
    """Start `webs` + `workers` processes, push `messages` through and count them at the aggregator."""
    cluster.flush_redis()
    cluster.start(webs, workers)
    try:
        aggregator.reset(cluster.worker_pids())
        channel_uuids = _create_channels(cluster.web_urls()[0], cluster.token, aggregator, channels, tps)
        started = time.monotonic()
        posted_uuids = set(_post_messages(cluster.web_urls(), cluster.token, channel_uuids, messages))
        posted = time.monotonic()
        deadline = started + timeout
        while aggregator.count() < messages and time.monotonic() < deadline:
            time.sleep(0.05)
        # A double send would arrive after the last first send: give it a moment to show up.
        time.sleep(1.0)
        received = list(aggregator.received)
        first = {r.msg_id: r for r in sorted(received, key=lambda r: r.at)}
        last_at = max((r.at for r in first.values()), default=started)
        by_worker: dict[int, int] = {}
        for r in received:
            if r.sender_pid is not None:
                by_worker[r.sender_pid] = by_worker.get(r.sender_pid, 0) + 1
        return ScaleRun(
            webs=webs,
            workers=workers,
            messages=messages,
            seconds=last_at - started,
            received=len(first),
            duplicates=len(received) - len(first),
            missing=len(posted_uuids - first.keys()),
            unexpected=len(first.keys() - posted_uuids),
            sent_in_db=cluster.sent_count(channel_uuids),
            post_seconds=posted - started,
            by_worker=by_worker,
            unattributed=sum(1 for r in received if r.sender_pid is None),
            web_peak_rss_mb=max(memory_mb(p.pid)["peak"] for p, _ in cluster.webs),
            worker_peak_rss_mb=max(memory_mb(p.pid)["peak"] for p in cluster.workers),
        )
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=120)
    parser.add_argument("--channels", type=int, default=4)
    parser.add_argument("--tps", type=int, default=5, help="provider rate cap per channel")
    parser.add_argument("--latency", type=float, default=0.04, help="aggregator answer latency (s)")
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not a figure")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    messages = min(args.messages, 60) if args.quick else args.messages
    cluster = Cluster(
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/flowgate_bench"),
        os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
    )
    cluster.prepare()
    aggregator = Aggregator(args.latency)
    try:
        options = {"messages": messages, "channels": args.channels, "tps": args.tps}
        single = run_scale(cluster, aggregator, webs=1, workers=1, **options)
        print(single.summary())
        double = run_scale(cluster, aggregator, webs=2, workers=2, **options)
        print(double.summary())
    finally:
        aggregator.close()
    print(f"scale-out speed-up (2+2 over 1+1): {double.rate / single.rate:.2f}x")
    figures = [
        figure(
            "scale.2x2.rate",
            f"Scale-out: API -> aggregator, 2 web + 2 workers ({args.channels} channels at {args.tps}/s)",
            double.rate,
            "msg/s",
            baseline=("1 web + 1 worker", single.rate),
        ),
        figure(
            "rss.web.scale",
            "Peak RSS, web process (API load)",
            double.web_peak_rss_mb,
            "MB",
            higher_is_better=False,
        ),
        figure(
            "rss.worker.scale",
            "Peak RSS, worker process (send load)",
            double.worker_peak_rss_mb,
            "MB",
            higher_is_better=False,
        ),
    ]
    notes = [
        f"scale: {messages} messages over {args.channels} channels capped at {args.tps}/s each, "
        f"aggregator latency {args.latency * 1000:.0f} ms; logs in {cluster.log_dir}",
        f"scale: {single.summary()}",
        f"scale: {double.summary()}",
    ]
    for run in (single, double):
        if run.duplicates or run.missing or run.unexpected:
            notes.append(
                f"WARNING: {run.webs}+{run.workers}: {run.duplicates} duplicates, {run.missing} missing"
            )
    write_json(args.json, "benchmarks.scale", figures, notes)


if __name__ == "__main__":
    main()
