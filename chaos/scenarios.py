"""Fault scenarios: each sends a fixed number of messages through real processes, injects one
fault, and counts what arrived at the far end (aggregator, SMSC or database).

Counting rules (per message):
  delivered  received exactly once at the far end and recorded as sent (or delivered: where
             the far end reports delivery, as the aggregator does, every message it took must
             end `delivered`, even one whose worker was killed before it saw the answer)
  failed     failed with a recorded reason, or flagged "outcome unknown" (the fault made
             certainty impossible, e.g. SIGKILL while the provider held the request)
  duplicate  received more than once                                  -> the run fails
  lost       neither delivered nor failed with a reason in the time allowed -> the run fails
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

from chaos.aggregator import ChaosAggregator
from chaos.platform import Platform, wait_for
from chaos.servers import free_port


@dataclass
class Result:
    name: str
    sent: int = 0
    received: int = 0  # distinct messages that reached the far end
    delivered: int = 0
    duplicates: int = 0
    failed: int = 0  # failed or outcome unknown, with a recorded reason
    refused: int = 0  # answered 503 + Retry-After (inbound, spool full), accepted on retry
    lost: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    # The fault did not happen as intended (e.g. nothing was spooled): the run proves nothing.
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.duplicates == 0 and self.lost == 0 and self.sent > 0 and not self.problems


@dataclass
class Context:
    platform: Platform
    aggregator: ChaosAggregator
    ids: dict[str, Any]
    messages: int
    settle_seconds: float = 60.0

    def db(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.platform.pg.url.replace("postgres://", "postgresql://"), autocommit=True)


# --- outbound helpers ------------------------------------------------------------------------


def queue_outbound(ctx: Context, channel_id: int, texts: list[str]) -> None:
    """Queue messages through the send service in a separate process (as the API would)."""
    ctx.platform.python(
        "from channels_app.models import Channel\n"
        "from channels_app.services.send import queue_message\n"
        f"channel = Channel.objects.get(id={channel_id})\n"
        f"for text in {json.dumps(texts)}:\n"
        "    queue_message(channel=channel, to='+250788123123', text=text)\n"
    )


def _outbound_rows(ctx: Context, channel_id: int, texts: list[str]) -> dict[str, tuple[str, str, bool]]:
    with ctx.db() as conn:
        rows = conn.execute(
            "SELECT text, status, error, coalesce((metadata->>'outcome_unknown')::boolean, false) "
            "FROM channels_app_msg WHERE channel_id = %s AND direction = 'out' AND text = ANY(%s)",
            [channel_id, texts],
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _settled(row: tuple[str, str, bool] | None) -> bool:
    if row is None:
        return False
    status, _, unknown = row
    return status in ("sent", "delivered", "failed") or (status == "wired" and unknown)


def settle_outbound(
    ctx: Context,
    result: Result,
    channel_id: int,
    texts: list[str],
    far: Callable[[str], int],
    *,
    reports: bool = False,
) -> None:
    """Wait (bounded) until every message is final, then classify each one. `reports`: the far
    end reports delivery, so what it received must also end `delivered`."""

    def final() -> bool:
        rows = _outbound_rows(ctx, channel_id, texts)
        if not all(_settled(rows.get(t)) for t in texts):
            return False
        return not reports or all(rows[t][0] == "delivered" for t in texts if far(t) > 0)

    wait_for(final, ctx.settle_seconds, interval=0.5)
    rows = _outbound_rows(ctx, channel_id, texts)
    result.sent += len(texts)
    for text in texts:
        count = far(text)
        result.received += count > 0
        row = rows.get(text)
        if count > 1:
            result.duplicates += 1
            result.notes.append(f"sent {count} times: {text}")
        elif row is None:
            result.lost += 1
            result.notes.append(f"no such message: {text}")
        elif row[0] == "delivered" and count == 1:
            result.delivered += 1
        elif row[0] in ("sent", "wired") and count == 1 and reports:
            result.lost += 1  # the provider took it and reported it, and the report was lost
            result.notes.append(f"{row[0]!r} though its delivery report was sent: {text}")
        elif row[0] == "sent" and count == 1:
            result.delivered += 1
        elif row[0] == "failed" and row[1]:
            result.failed += 1
        elif row[0] == "wired" and row[2]:
            result.failed += 1  # outcome unknown, flagged by the sweeper with an event
        else:
            result.lost += 1
            result.notes.append(f"{row[0]!r} (received {count}x, error {row[1]!r}): {text}")


def _texts(name: str, count: int) -> list[str]:
    stamp = int(time.time() * 1000) % 1_000_000
    return [f"{name} {stamp} #{i:04d}" for i in range(count)]


# --- scenarios ---------------------------------------------------------------------------


def worker_killed(ctx: Context) -> Result:
    """Both workers SIGKILLed while a batch is in flight (the aggregator holds requests)."""
    result = Result("worker SIGKILL mid-batch")
    p, agg = ctx.platform, ctx.aggregator
    texts = _texts("kill", ctx.messages)
    agg.delay = 0.5
    agg.set_mode("slow")
    queue_outbound(ctx, ctx.ids["ex_id"], texts)
    if not wait_for(lambda: sum(agg.count(t) > 0 for t in texts) >= max(5, ctx.messages // 4), 60, 0.05):
        result.problems.append("the workers never reached the aggregator before the kill")
    p.kill("worker")
    p.kill("worker2")
    agg.set_mode("ok")
    p.start_worker("worker")
    p.start_worker("worker2")
    settle_outbound(ctx, result, ctx.ids["ex_id"], texts, agg.count, reports=True)
    return result


BATCH_KILL_MESSAGES = 300
BATCH_KILL_BATCH_SIZE = 100
SEND_CONCURRENCY = 20  # channels_app.services.send.SEND_CONCURRENCY: requests one sender has in flight


def batch_killed(ctx: Context) -> Result:
    """One worker with batches of 100 sends 300 messages to a slow aggregator and is SIGKILLed
    mid-batch. Claimed-but-unsent messages must go out after the lease (nothing lost, nothing
    doubled) and at most the requests in flight (<= the send concurrency) may be flagged
    "outcome unknown" - not the rest of the batch."""
    result = Result("worker SIGKILL mid-batch (batch 100)")
    p, agg = ctx.platform, ctx.aggregator
    texts = _texts("batch", BATCH_KILL_MESSAGES)
    p.kill("worker", signal.SIGTERM)
    p.kill("worker2", signal.SIGTERM)
    agg.delay = 1.0
    agg.set_mode("slow")
    env = {"FLOWGATE_BATCH_SIZE": str(BATCH_KILL_BATCH_SIZE), "FLOWGATE_SEND_LEASE_SECONDS": "4"}
    queue_outbound(ctx, ctx.ids["ex_id"], texts)  # all queued before the one worker starts
    p.spawn("batch-worker", "worker", env=env)
    if not wait_for(lambda: sum(agg.count(t) > 0 for t in texts) >= 30, 60, 0.05):
        result.problems.append("the worker never got 30 requests to the aggregator before the kill")
    p.kill("batch-worker")  # SIGKILL, mid-batch
    at_kill = sum(agg.count(t) > 0 for t in texts)
    if at_kill >= BATCH_KILL_BATCH_SIZE:
        result.problems.append(f"the kill came after the first batch ({at_kill} sent): not mid-batch")
    with ctx.db() as conn:
        by_status = dict(
            conn.execute(
                "SELECT status, count(*) FROM channels_app_msg WHERE channel_id = %s AND direction = 'out' "
                "AND text = ANY(%s) GROUP BY status",
                [ctx.ids["ex_id"], texts],
            ).fetchall()
        )
    in_doubt = by_status.get("wired", 0)
    agg.set_mode("ok")
    p.spawn("batch-worker", "worker", env=env)
    settle_outbound(ctx, result, ctx.ids["ex_id"], texts, agg.count, reports=True)
    p.kill("batch-worker", signal.SIGTERM)
    p.start_worker("worker")
    p.start_worker("worker2")
    with ctx.db() as conn:
        flagged = conn.execute(
            "SELECT count(DISTINCT m.id) FROM channels_app_msgevent e JOIN channels_app_msg m ON m.id = e.msg_id "
            "WHERE m.channel_id = %s AND m.text = ANY(%s) AND e.event_type = 'outcome_unknown'",
            [ctx.ids["ex_id"], texts],
        ).fetchone()
    unknown = int(flagged[0]) if flagged else 0
    result.notes.insert(
        0,
        f"at the kill: {at_kill} at the aggregator, statuses {dict(sorted(by_status.items()))}; "
        f"in doubt (wired) {in_doubt}, flagged outcome unknown {unknown} (limit {SEND_CONCURRENCY})",
    )
    if in_doubt > SEND_CONCURRENCY or unknown > SEND_CONCURRENCY:
        result.problems.append(
            f"{max(in_doubt, unknown)} messages in doubt: more than the {SEND_CONCURRENCY} in flight"
        )
    return result


def redis_restarted(ctx: Context) -> Result:
    """Redis crashes (no persistence) mid-traffic; outbound messages queued and inbound ones
    received meanwhile are only in the DB, so only the sweeper can wake their jobs."""
    result = Result("Redis restart")
    p, agg = ctx.platform, ctx.aggregator
    assert p.redis is not None
    agg.set_mode("slow")
    agg.delay = 0.2
    first, second = _texts("redis-a", ctx.messages // 2), _texts("redis-b", ctx.messages - ctx.messages // 2)
    queue_outbound(ctx, ctx.ids["ex_id"], first)
    wait_for(lambda: sum(agg.count(t) > 0 for t in first) >= 5, 30, 0.05)
    p.redis.stop()  # every job, wake-up marker and lock is gone
    queue_outbound(ctx, ctx.ids["ex_id"], second)  # stored; their wake-ups fail
    inbound = _texts("redis-in", max(4, ctx.messages // 4))
    accepted = post_inbound(ctx, inbound, result)  # stored; the handler wake-ups fail
    time.sleep(1)
    p.redis.start()
    # Nothing in Redis knows about the second half now: only the sweeper can wake its sender.
    jobs = sum(redis.Redis.from_url(p.redis.url).llen(f"rq:queue:{q}") for q in ("send", "handle", "default"))
    result.notes.append(
        f"{len(second)} queued, {len(accepted)} received while Redis was down; "
        f"{jobs} jobs in Redis after the restart"
    )
    agg.set_mode("ok")
    settle_outbound(ctx, result, ctx.ids["ex_id"], first + second, agg.count, reports=True)
    settle_inbound(ctx, result, [f"ext-{t}" for t in inbound], accepted)
    return result


def aggregator_faults(ctx: Context) -> Result:
    """The aggregator answers slowly, then 500, then 429, then refuses connections, then recovers."""
    result = Result("aggregator slow/500/429/down")
    agg = ctx.aggregator
    texts = _texts("agg", ctx.messages)
    agg.set_mode("ok")
    queue_outbound(ctx, ctx.ids["ex_id"], texts)
    agg.delay = 0.3
    for mode in ("slow", "500", "429", "down", "ok"):
        agg.set_mode(mode)
        time.sleep(1.5)
    settle_outbound(ctx, result, ctx.ids["ex_id"], texts, agg.count, reports=True)
    return result


def settle_inbound(ctx: Context, result: Result, all_ext: list[str], accepted: dict[str, str]) -> None:
    """Wait (bounded) until every accepted inbound message is stored and handled, then count:
    stored once with the uuid we answered and handled = delivered; anything else = lost."""

    def rows() -> dict[str, list[tuple[str, str]]]:
        with ctx.db() as conn:
            found = conn.execute(
                "SELECT external_id, uuid::text, status FROM channels_app_msg "
                "WHERE direction = 'in' AND channel_id = %s AND external_id = ANY(%s)",
                [ctx.ids["ex_id"], all_ext],
            ).fetchall()
        out: dict[str, list[tuple[str, str]]] = {}
        for ext, msg_uuid, status in found:
            out.setdefault(ext, []).append((msg_uuid, status))
        return out

    def stored_and_handled() -> bool:
        found = rows()
        return all(ext in found and found[ext][0][1] == "handled" for ext in accepted)

    wait_for(stored_and_handled, ctx.settle_seconds, 0.5)
    found = rows()
    result.sent += len(all_ext)
    for ext in all_ext:
        stored = found.get(ext, [])
        result.received += bool(stored)
        if len(stored) > 1:
            result.duplicates += 1
        elif not stored:
            result.lost += 1
            result.notes.append(f"not stored: {ext} (answered {accepted.get(ext, 'no 200')})")
        elif ext in accepted and stored[0][0] != accepted[ext]:
            result.lost += 1
            result.notes.append(f"{ext} stored as {stored[0][0]} but we answered {accepted[ext]}")
        elif stored[0][1] != "handled":
            result.lost += 1
            result.notes.append(f"{ext} stored but never handled ({stored[0][1]})")
        else:
            result.delivered += 1


def post_inbound(ctx: Context, texts: list[str], result: Result) -> dict[str, str]:
    """Post each text once to the web process (alternating fast path and Django view)."""
    url = f"{ctx.platform.web_url}/c/ex/{ctx.ids['ex_uuid']}/receive"
    accepted: dict[str, str] = {}
    with httpx.Client(timeout=20) as client:
        for i, text in enumerate(texts):
            r = _post_inbound(client, url, text, f"ext-{text}", multipart=i % 2 == 1)
            if r.status_code == 200:
                accepted[f"ext-{text}"] = r.json()["uuid"]
            else:
                result.notes.append(f"inbound HTTP {r.status_code}: {r.text[:120]}")
    return accepted


def _post_inbound(client: httpx.Client, url: str, text: str, ext: str, multipart: bool) -> httpx.Response:
    data = {"from": "+250788123123", "text": text, "id": ext}
    if multipart:  # the fast path hands multipart bodies to the Django view
        return client.post(url, files={k: (None, v) for k, v in data.items()})
    return client.post(url, data=data)


def postgres_stopped(ctx: Context) -> Result:
    """PostgreSQL stops during inbound traffic: posts are spooled (200), replayed when it returns;
    a web process with a tiny spool answers 503 + Retry-After once it is full."""
    result = Result("PostgreSQL stopped (inbound spool)")
    p = ctx.platform
    small_port = free_port()
    p.start_web("web-small", port=small_port, env={"FLOWGATE_SPOOL_MAX_BYTES": "2000",
                                                   "FLOWGATE_SPOOL_DIR": str(p.root / "spool-small")})  # fmt: skip
    path = f"/c/ex/{ctx.ids['ex_uuid']}/receive"
    big, small = f"{p.web_url}{path}", f"http://127.0.0.1:{small_port}{path}"
    texts = _texts("inbound", ctx.messages)
    small_texts = _texts("inbound-small", max(10, ctx.messages // 10))
    accepted: dict[str, str] = {}  # external id -> uuid we answered
    refused: list[tuple[str, str]] = []
    with httpx.Client(timeout=20) as client:
        # Each process learns the channel (fast path and Django view) before the outage.
        for url in (big, small):
            for multipart in (False, True):
                r = _post_inbound(
                    client, url, f"warm-up {url} {multipart}", f"warm-{url}-{multipart}", multipart
                )
                r.raise_for_status()
        p.pg.stop()
        try:
            for i, text in enumerate(texts):
                r = _post_inbound(client, big, text, f"ext-{text}", multipart=i % 2 == 1)
                if r.status_code == 200:
                    accepted[f"ext-{text}"] = r.json()["uuid"]
                else:
                    result.notes.append(f"HTTP {r.status_code} during the outage: {r.text[:120]}")
            for text in small_texts:
                r = _post_inbound(client, small, text, f"ext-{text}", multipart=False)
                if r.status_code == 200:
                    accepted[f"ext-{text}"] = r.json()["uuid"]
                elif r.status_code == 503 and r.headers.get("retry-after"):
                    refused.append((text, f"ext-{text}"))
                else:
                    result.notes.append(f"small spool: HTTP {r.status_code} without Retry-After")
            spooled = _spooled_records(p.root / "var" / "spool") + _spooled_records(p.root / "spool-small")
            result.notes.append(f"{spooled} messages spooled to disk during the outage")
            if spooled < len(accepted):
                result.problems.append(f"only {spooled} messages spooled but {len(accepted)} accepted")
        finally:
            p.pg.start()
        if not refused:
            result.problems.append("the tiny spool never filled up (expected some 503 + Retry-After)")
        result.refused = len(refused)
        # The aggregator retries what we refused, and re-posts a few we accepted (it may not
        # have seen our 200): the former are stored now, the latter are recognised.
        for text, ext in refused:
            for _ in range(20):
                r = _post_inbound(client, small, text, ext, multipart=False)
                if r.status_code == 200:
                    accepted[ext] = r.json()["uuid"]
                    break
                time.sleep(0.5)
        for ext, msg_uuid in list(accepted.items())[:5]:
            text = ext.removeprefix("ext-")
            r = _post_inbound(client, big, text, ext, multipart=False)
            if r.status_code != 200 or r.json()["uuid"] != msg_uuid:
                result.notes.append(f"retry of {ext} answered {r.status_code} {r.text[:80]}")

    settle_inbound(ctx, result, [f"ext-{t}" for t in texts + small_texts], accepted)
    p.kill("web-small")
    return result


def _spooled_records(directory: Path) -> int:
    return (
        sum(path.read_bytes().count(b"\n") for path in directory.glob("seg-*")) if directory.is_dir() else 0
    )


class _SmscThread:
    """The scriptable FakeSmsc from the test suite on its own event loop."""

    def __init__(self) -> None:
        from tests.smsc.protocol.fake_smsc import FakeSmsc

        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.smsc = FakeSmsc()
        self.port = self.call(self.smsc.start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def count(self, text: str) -> int:
        async def read() -> int:
            wanted = text.encode()
            return len([pdu for pdu in self.smsc.submits if pdu.get("short_message") == wanted])

        return int(self.call(read()))

    def drop_after(self, count: int) -> None:
        async def set_it() -> None:
            self.smsc.drop_after = count

        self.call(set_it())

    def close(self) -> None:
        self.call(self.smsc.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)


def smpp_dropped(ctx: Context, smsc: _SmscThread) -> Result:
    """The SMSC drops the connection in the middle of a window of unanswered submits."""
    result = Result("SMPP connection dropped mid-window")
    texts = _texts("smpp", ctx.messages)
    smsc.drop_after(max(3, ctx.messages // 3))
    queue_outbound(ctx, ctx.ids["sm_id"], texts)
    ctx.platform.start_smsc()
    settle_outbound(ctx, result, ctx.ids["sm_id"], texts, smsc.count)
    ctx.platform.kill("smsc")
    return result


SCENARIOS = ("worker", "batch_kill", "redis", "postgres", "aggregator", "smpp")
