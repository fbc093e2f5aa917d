"""Every screen at a national programme's size: the same figures on a tiny and on a big database.

    python -m benchmarks.big [--contacts 1000000] [--messages 10000000] [--small]
                                     [--json PATH] [--reuse] [--runs 5]

`make bench-big` (BIG_ARGS="--small" for a quick run). Not part of `make bench` nor of the tests:
building 10M messages takes minutes and gigabytes.

What it does, on its own database (BENCH_BIG_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/flowgate_bench_big: dropped and recreated, never point it at
real data) and Redis (BENCH_BIG_REDIS_URL, default db 5, emptied):
1. migrates, creates a workspace, a channel, a flow and a group, seeds a tiny base (A) with the
   same SQL as the big one, and measures every figure;
2. grows the database to the requested size (B) with INSERT … SELECT generate_series (secondary
   indexes dropped during the load and rebuilt after, as a bulk import would), VACUUM ANALYZE,
   rebuilds the dashboard's daily counts, and measures again;
3. prints figure x database size (A, B, B/A) and, for anything over 200 ms at B, the EXPLAIN
   (ANALYZE, BUFFERS) of its slowest query.

At both sizes it also runs the pipeline for real (`--no-pipeline` skips it): `manage.py serve`
and two `manage.py worker`s (the first with the scheduler, so the periodic jobs run as in
production) against this database, a local aggregator, and the e2e bench's load generator
posting "join <n>" to a keyword flow that replies. A burst gives the receive rate and the end-to-
end rate; a run paced at a fixed rate gives the p95 from POST to reply. B must stay within 15%
of A (issue 27).

Screens are requested through Django's test client in this process (the full view, template
and ORM path, without the HTTP server, whose cost does not depend on the database size).
Times are the median of `--runs` runs after one warm-up. "WAL per stored message" posts
inbound messages from existing contacts to the receive endpoint, runs the handler jobs, and
divides this database's WAL (pg_walinspect, read every 200 messages) by the messages stored,
per wal_compression setting (off, lz4, zstd): right after a CHECKPOINT (the worst case: every
page's first change writes a full-page image) and over a stream of `--wal-stream-seconds` with
no checkpoint inside (a page's image paid once per interval), each with the bytes without
full-page images and a breakdown per relation and record type.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DB_URL = os.environ.get("BENCH_BIG_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/flowgate_bench_big")
REDIS_URL = os.environ.get("BENCH_BIG_REDIS_URL", "redis://127.0.0.1:6379/5")
BUDGET_MS = 200.0
PIPELINE_TOLERANCE = 0.15  # receive and end to end at B within 15% of A
BASE = {"contacts": 200, "messages": 2000}  # database A
FIRST = ["Aline", "Jean", "Marie", "Eric", "Grace", "Patrick", "Diane", "Emmanuel", "Claudine", "Olivier",
         "Josiane", "Innocent", "Chantal", "Fabrice", "Alice", "Didier", "Esther", "Samuel", "Vestine", "Yves"]  # fmt: skip
LAST = ["Uwase", "Mugisha", "Habimana", "Mukamana", "Niyonzima", "Uwimana", "Nshimiyimana", "Ingabire",
        "Hakizimana", "Mutoni", "Nkurunziza", "Umutoni", "Bizimana", "Uwera", "Ndayisaba", "Iradukunda"]  # fmt: skip
PHRASES = ["JOIN", "STOP", "yes", "no", "Welcome to the programme", "Your next visit is on Monday",
           "Thank you for your answer", "How many children under five live with you?", "I am fine",
           "Please remind me", "Vaccination day at the health centre", "When is the next visit?"]  # fmt: skip
RARE_WORD = "malaria"  # in 1 message of 20,000: a word search that must not walk every row


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = DB_URL
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    os.environ.setdefault("FLOWGATE_ALLOW_PRIVATE_URLS", "1")
    os.environ.setdefault("FLOWGATE_INBOUND_DEDUPE_SECONDS", "0")
    # A REDIS_URL run counts as production and needs a key, one for this process and the serve
    # and worker processes of the pipeline runs (they inherit the environment).
    os.environ.setdefault("SECRET_KEY", "bench-big-" + secrets.token_urlsafe(40))
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")  # the test client's host
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _recreate_database() -> None:
    import psycopg

    server, name = DB_URL.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _sql(statement: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return list(cursor.fetchall()) if cursor.description else []


def _one(statement: str, params: list[Any] | None = None) -> Any:
    return _sql(statement, params)[0][0]


# ---------------------------------------------------------------------------------- the seeding

# A UUIDv7-shaped value from a timestamp and a number, in SQL (the app's own ids are UUIDv7).
_UUID7 = (
    "(lpad(to_hex((extract(epoch FROM {ts}) * 1000)::bigint), 12, '0') || '7' || substr(md5({n}::text), 1, 3)"
    " || '8' || substr(md5({n}::text || 'x'), 1, 15))::uuid"
)


@contextmanager
def _without_secondary_indexes(tables: list[str]) -> Iterator[None]:
    """Drop the plain secondary indexes (not constraints) for a bulk load; rebuild them after."""
    saved = _sql(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [tables],
    )
    for name, _ in saved:
        _sql(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        _sql("SET maintenance_work_mem = '256MB'")
        for _, definition in saved:
            _sql(definition)


def seed(ctx: dict[str, Any], *, contacts: int, messages: int, log: Callable[[str], None]) -> None:
    """Add `contacts` contacts (one tel URN each, half in the group, half with a flow run) and
    `messages` messages over the last 90 days, spread over those contacts, by SQL."""
    ws, channel, flow, group = ctx["workspace_id"], ctx["channel_id"], ctx["flow_id"], ctx["group_id"]
    c0 = _one("SELECT COALESCE(max(id), 0) FROM channels_app_contact")
    started = time.monotonic()
    with _without_secondary_indexes(
        [
            "channels_app_contact",
            "channels_app_contacturn",
            "channels_app_msg",
            "flows_flowsession",
            "flows_flowrun",
        ]
    ):
        _sql(
            "INSERT INTO channels_app_contact (uuid, workspace_id, name, language, status, fields, created_on, "
            "modified_on) SELECT " + _UUID7.format(ts="t", n=f"(g + {int(c0)})") + ", %s, "
            "(%s::text[])[1 + g %% 20] || ' ' || (%s::text[])[1 + (g / 20) %% 16], '', 'active', '{}', t, t "
            "FROM (SELECT g, now() - interval '365 days' + (g::float / %s) * interval '360 days' AS t "
            "FROM generate_series(1, %s) g) s",
            [ws, FIRST, LAST, contacts, contacts],
        )
        c1 = _one("SELECT max(id) FROM channels_app_contact")
        # The number follows from the contact id: +25078 and 7 digits. Each URN already knows
        # the channel its contact writes on, as after their first message: without it the first
        # message of every seeded contact rewrites its URN row, a one-time cost that the WAL
        # figure would otherwise count on every message (4 extra full-page images each).
        _sql(
            "INSERT INTO channels_app_contacturn (workspace_id, contact_id, identity, scheme, path, priority, "
            "channel_id) SELECT %s, id, 'tel:+25078' || lpad(id::text, 7, '0'), 'tel', "
            "'+25078' || lpad(id::text, 7, '0'), 1000, %s FROM channels_app_contact WHERE id > %s ORDER BY id",
            [ws, channel, c0],
        )
        u0 = _one("SELECT min(id) FROM channels_app_contacturn WHERE contact_id > %s", [c0])
        log(f"  {contacts:,} contacts and URNs in {time.monotonic() - started:.0f} s")
        chunk = 1_000_000
        for start in range(0, messages, chunk):
            size = min(chunk, messages - start)
            # Message g: contact spread by a multiplicative hash, time increasing with g over 90
            # days; half inbound (handled), outbound mostly delivered, some sent, 3% failed.
            _sql(
                "INSERT INTO channels_app_msg (uuid, workspace_id, channel_id, contact_id, contact_urn_id, urn, "
                "direction, status, text, attachments, external_id, error, attempts, parts, metadata, "
                "created_on, sent_on, modified_on) SELECT " + _UUID7.format(ts="t", n="g") + ", %s, %s, "
                "%s + k, %s + k - 1, 'tel:+25078' || lpad((%s + k)::text, 7, '0'), "
                "CASE WHEN g %% 2 = 0 THEN 'in' ELSE 'out' END, "
                "CASE WHEN g %% 2 = 0 THEN 'handled' WHEN g %% 33 = 1 THEN 'failed' WHEN g %% 7 = 1 THEN 'sent' "
                "ELSE 'delivered' END, "
                "CASE WHEN g %% 20000 = 3 THEN 'I think it is " + RARE_WORD + ", please help' "
                "ELSE (%s::text[])[1 + g %% 12] || ' ' || (g %% 997)::text END, "
                "'[]', CASE WHEN g %% 2 = 0 THEN 'in-' ELSE 'out-' END || g, '', 1, 1, '{}', t, "
                "CASE WHEN g %% 2 = 1 THEN t END, t "
                "FROM (SELECT g, 1 + ((g::bigint * 2654435761) %% %s) AS k, "
                "now() - interval '90 days' + (g::float / %s) * interval '90 days' AS t "
                "FROM generate_series(%s, %s) g) s",
                [ws, channel, c0, u0, c0, PHRASES, contacts, messages + ctx["messages_before"],
                 ctx["messages_before"] + start + 1, ctx["messages_before"] + start + size],
            )  # fmt: skip
            log(f"  {start + size:,} messages, {time.monotonic() - started:.0f} s")
        _sql(
            "INSERT INTO flows_flowsession (uuid, workspace_id, contact_id, status, output, created_on, modified_on, "
            "ended_on) SELECT " + _UUID7.format(ts="created_on", n="id") + ", %s, id, 'completed', '{}', "
            "created_on, created_on, created_on FROM channels_app_contact WHERE id > %s AND id %% 2 = 0",
            [ws, c0],
        )
        _sql(
            "INSERT INTO flows_flowrun (uuid, workspace_id, flow_id, contact_id, session_id, status, results, "
            "responded, created_on, modified_on, exited_on) SELECT "
            + _UUID7.format(ts="s.created_on", n="s.id")
            + ", %s, %s, s.contact_id, s.id, 'completed', jsonb_build_object('age', jsonb_build_object("
            "'value', (s.id %% 60)::text, 'category', 'Has Number', 'name', 'Age', 'node_uuid', "
            "'00000000-0000-4000-8000-000000000001', 'created_on', s.created_on)), true, s.created_on, "
            "s.created_on, s.created_on FROM flows_flowsession s WHERE s.contact_id > %s",
            [ws, flow, c0],
        )
    log(f"  indexes rebuilt, {time.monotonic() - started:.0f} s")
    _sql(
        "INSERT INTO channels_app_contactgroup_contacts (contactgroup_id, contact_id) "
        "SELECT %s, id FROM channels_app_contact WHERE id > %s AND id %% 2 = 1",
        [group, c0],
    )
    ctx["messages_before"] += messages
    ctx["contacts_range"] = (c0 + 1, c1)


def finish_load(log: Callable[[str], None]) -> dict[str, float]:
    """What an operator runs after a bulk load; timed, since the periodic jobs do the same."""
    from django.db import connection

    from channels_app.services import groups, stats

    timings = {}
    started = time.monotonic()
    connection.ensure_connection()
    autocommit = connection.connection.autocommit
    connection.connection.autocommit = True
    try:
        _sql("VACUUM ANALYZE")
    finally:
        connection.connection.autocommit = autocommit
    timings["vacuum_analyze_s"] = time.monotonic() - started
    started = time.monotonic()
    stats.rebuild_daily_counts(days=None)
    timings["daily_counts_rebuild_s"] = time.monotonic() - started
    started = time.monotonic()
    groups.squash_group_counts()
    timings["group_counts_squash_s"] = time.monotonic() - started
    log("  " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    return timings


# ------------------------------------------------------------------------------- the measuring


class QueryTimer:
    """Times every SQL statement of a request (to explain the slowest when over budget)."""

    def __init__(self) -> None:
        self.queries: list[tuple[float, str, Any]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - started, sql, params))


def _timed(run: Callable[[], Any], runs: int) -> tuple[float, float, list[tuple[float, str, Any]]]:
    """Median wall time and median time in SQL (ms), and the slowest query of the last run."""
    from django.db import connection

    run()  # warm-up (and a check that it answers)
    times, sql_times, slowest = [], [], []
    for _ in range(runs):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        sql_times.append(sum(q[0] for q in timer.queries) * 1000)
        slowest = sorted(timer.queries, key=lambda q: -q[0])[:1]
    return statistics.median(times), statistics.median(sql_times), slowest


def _explain(sql: str, params: Any) -> str:
    rows = _sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", list(params or []))
    return "\n".join(r[0] for r in rows)


def _get(client: Any, path: str, params: dict[str, str] | None = None) -> Callable[[], Any]:
    def run() -> Any:
        response = client.get(path, params or {})
        if response.status_code != 200:
            raise RuntimeError(f"{path} {params}: {response.status_code} {response.content[:300]!r}")
        return response

    return run


def screens(ctx: dict[str, Any]) -> list[tuple[str, str, Callable[[], Any]]]:
    from django.test import Client

    from aggregators.xc import jobs as xc_jobs
    from channels_app.services import send

    ui = Client()
    ui.force_login(ctx["user"])
    api = Client(HTTP_AUTHORIZATION=f"Token {ctx['token']}")
    lo, hi = ctx["contacts_range"]
    someone = _one("SELECT id FROM channels_app_contact WHERE id BETWEEN %s AND %s ORDER BY id LIMIT 1 OFFSET %s",
                   [lo, hi, (hi - lo) // 3])  # fmt: skip
    busiest = _one(
        "SELECT contact_id FROM channels_app_msg WHERE contact_id IS NOT NULL ORDER BY id DESC LIMIT 1"
    )
    contact_uuid = str(_one("SELECT uuid FROM channels_app_contact WHERE id = %s", [busiest]))
    number = f"078{someone:07d}"  # a local number: normalised to +25078… with the channel's country
    name = _one("SELECT name FROM channels_app_contact WHERE id = %s", [someone])
    flow = ctx["flow_uuid"]
    return [
        ("log", "message log, first page", _get(ui, "/messages/")),
        ("log_filtered", "message log, failed outbound", _get(ui, "/messages/", {"status": "failed", "direction": "out"})),
        ("log_number", "message log searched by a number", _get(ui, "/messages/", {"q": number})),
        ("log_word", f"message log searched by a word ({RARE_WORD!r})", _get(ui, "/messages/", {"q": RARE_WORD})),
        ("log_common", "message log searched by a common word ('visit')", _get(ui, "/messages/", {"q": "visit"})),
        ("contacts", "contacts list", _get(ui, "/contacts/")),
        ("contacts_name", f"contacts searched by name ({name!r})", _get(ui, "/contacts/", {"search": name})),
        ("contacts_number", "contacts searched by a number", _get(ui, "/contacts/", {"search": number})),
        ("api_contacts_name", "API contacts search by name", _get(api, "/api/v1/contacts", {"search": name})),
        ("api_contacts_number", "API contacts search by number", _get(api, "/api/v1/contacts", {"search": number})),
        ("api_messages", "API messages, first page", _get(api, "/api/v1/messages")),
        ("contact_page", "contact page (message history)", _get(ui, f"/contacts/{contact_uuid}/")),
        ("dashboard", "dashboard (30-day plots)", _get(ui, "/")),
        ("groups", "groups with member counts", _get(ui, "/contacts/groups/")),
        ("flow_results", "flow results, first page", _get(api, f"/api/v1/flows/{flow}/results", {"format": "json"})),
        ("tick_sweep", "periodic: send/handle sweep", lambda: send.sweep()),
        ("tick_poll", "periodic: connector status poll tick", lambda: xc_jobs.poll_statuses()),
    ]  # fmt: skip


WAL_MODES = ("off", "lz4", "zstd")


def _wal_of_this_database(start: str, end: str) -> dict[str, Any]:
    """WAL bytes, full-page image bytes and count, and the bytes per relation and record type,
    of the records touching this database's blocks (pg_walinspect): the cluster is shared, so its
    LSN difference counts the neighbours' WAL too. Commit records carry no block and are left
    out (34 bytes per transaction)."""
    oid = _one("SELECT oid FROM pg_database WHERE datname = current_database()")
    rows = _sql(
        "SELECT COALESCE(c.relname, 'other') || ' ' || r.resource_manager || '/' || r.record_type, "
        "sum(r.record_length), sum(r.fpi_length), count(*) FILTER (WHERE r.fpi_length > 0) "
        "FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn) r "
        "LEFT JOIN pg_class c ON c.relfilenode = substring(r.block_ref from %s)::oid "
        "WHERE r.block_ref LIKE %s GROUP BY 1 ORDER BY 2 DESC",
        [start, end, rf"rel \d+/{oid}/(\d+)", f"%/{oid}/%"],
    )
    return {
        "total": sum(float(r[1]) for r in rows),
        "fpi_bytes": sum(float(r[2]) for r in rows),
        "fpis": sum(int(r[3]) for r in rows),
        # (relation and record, bytes, of which full-page images)
        "by_record": [(str(r[0]), float(r[1]), float(r[2])) for r in rows],
    }


def _receive(ctx: dict[str, Any], count: int, offset: int, seconds: float | None = None) -> int:
    """Post inbound messages from existing contacts (scattered) and run the handler: `count`
    of them, or as many as fit in `seconds` when given. Returns how many were posted."""
    from django.test import Client

    from channels_app.worker import drain

    client = Client()
    lo, hi = ctx["contacts_range"]
    path = f"/c/ex/{ctx['channel_uuid']}/receive"
    deadline = time.monotonic() + seconds if seconds is not None else None
    posted = 0
    for i in range(offset, offset + count):
        if deadline is not None and time.monotonic() >= deadline:
            break
        contact_id = lo + (i * 7919) % (hi - lo + 1)
        response = client.post(path, {"from": f"+25078{contact_id:07d}", "text": f"bench wal {i}"})
        if response.status_code != 200:
            raise RuntimeError(f"receive: {response.status_code} {response.content[:200]!r}")
        posted += 1
        if i % 200 == 199:
            drain(max_seconds=120)
    drain(max_seconds=300)
    return posted


def wal_per_message(ctx: dict[str, Any], count: int, stream_seconds: float) -> dict[str, Any]:
    """WAL bytes per inbound message stored and handled (received at the endpoint, handled by
    the job), per wal_compression setting (a superuser can set it per database), two ways:

    - "worst": `count` messages right after a CHECKPOINT. Every page's first change after a
      checkpoint writes a full-page image, so nearly every message pays for a random leaf of
      the (contact, id) index: the figure of a checkpoint falling in a burst.
    - "stream": every message of a `stream_seconds` stream that starts at a CHECKPOINT, with no
      checkpoint inside: a page touched twice in the stream pays its image once, as over a
      checkpoint interval of that length at this rate.

    Both also give the bytes without full-page images: what a message costs once its pages
    are dirty, the floor that a longer checkpoint interval tends to (docs/operations/scale.md)."""
    _sql("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
    _receive(ctx, 100, offset=10**6)  # warm-up: the first inserts after a bulk load fill old pages' gaps
    results: dict[str, Any] = {}
    offset = 0
    for mode in WAL_MODES:
        try:
            _database_setting(f"wal_compression = {mode}")
        except Exception as exc:  # noqa: BLE001 (a server built without zstd refuses the value)
            results[mode] = {"skipped": str(exc).splitlines()[0]}
            continue
        if _one("SHOW wal_compression") != mode:
            raise RuntimeError(f"wal_compression={mode} did not apply")
        results[mode] = {"worst": _wal_window(ctx, count, offset=offset)}
        offset += count
        if stream_seconds > 0:
            results[mode]["stream"] = _wal_window(ctx, 10**6, offset=offset, seconds=stream_seconds)
            offset += results[mode]["stream"]["window"]
    _database_setting(None)
    return results


def _database_setting(setting: str | None) -> None:
    """Set (or reset) wal_compression for this database's new sessions, then drop the pooled
    connections so that the web path and the worker threads all get it (a superuser may)."""
    from django.db import connections

    name = DB_URL.rsplit("/", 1)[1]
    _sql(f'ALTER DATABASE "{name}" ' + (f"SET {setting}" if setting else "RESET wal_compression"))
    connections["default"].close()
    close_pool = getattr(connections["default"], "close_pool", None)
    if close_pool is not None:
        close_pool()


def _checkpoints() -> str:
    """The last checkpoint's redo position (pg_stat_bgwriter's counters lag behind the
    checkpoint itself, the control file does not)."""
    return str(_one("SELECT redo_lsn FROM pg_control_checkpoint()"))


def _wal_window(ctx: dict[str, Any], count: int, offset: int, seconds: float | None = None) -> dict[str, Any]:
    """Post `count` messages (or for `seconds`) from right after a CHECKPOINT, in chunks of 200,
    reading each chunk's WAL as soon as it is written: the cluster is shared, and its
    neighbours' WAL makes it recycle segments, and checkpoint, within a minute. A checkpoint
    inside the window (timed, or forced by that WAL) restarts the full-page images, so the
    window ends at the last chunk before it and reports that."""
    from django.db import DatabaseError

    chunk = 200
    _sql("CHECKPOINT")
    checkpoints = _checkpoints()
    last_id = _one("SELECT COALESCE(max(id), 0) FROM channels_app_msg")
    lsn = str(_one("SELECT pg_current_wal_flush_lsn()"))
    total = fpi_bytes = 0.0
    fpis = posted = 0
    by_record: dict[str, list[float]] = {}
    interrupted = recycled = False
    started = time.monotonic()
    elapsed = 0.0
    while posted < count and (seconds is None or elapsed < seconds):
        sent = _receive(ctx, min(chunk, count - posted), offset=offset + posted)
        end_lsn = str(_one("SELECT pg_current_wal_flush_lsn()"))
        if _checkpoints() != checkpoints:
            interrupted = True
            break
        try:
            wal = _wal_of_this_database(lsn, end_lsn)
        except DatabaseError:  # recycled before it could be read even so: the whole cluster's
            recycled = True
            size = float(_one("SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)", [end_lsn, lsn]))
            wal = {"total": size, "fpi_bytes": 0.0, "fpis": 0,
                   "by_record": [("whole cluster (segments recycled before they could be read)", size, 0.0)]}  # fmt: skip
        total += wal["total"]
        fpi_bytes += wal["fpi_bytes"]
        fpis += wal["fpis"]
        for name, size, fpi in wal["by_record"]:
            kept = by_record.setdefault(name, [0.0, 0.0])
            kept[0] += size
            kept[1] += fpi
        posted += sent
        lsn = end_lsn
        elapsed = time.monotonic() - started
    # Every post stores one message (no dedupe window in this bench, and _receive stops on
    # anything but a 200); the chunk cut off by a checkpoint is stored but not counted.
    stored = max(1, posted)
    in_database = _one("SELECT count(*) FROM channels_app_msg WHERE id > %s AND direction = 'in'", [last_id])
    if in_database < posted:
        raise RuntimeError(f"{posted} messages posted, {in_database} stored")
    pending = _one("SELECT count(*) FROM channels_app_msg WHERE status = 'pending'")
    ranked = sorted(by_record.items(), key=lambda item: -item[1][0])
    return {
        "wal_bytes_per_msg": total / stored,
        "no_fpi_bytes_per_msg": (total - fpi_bytes) / stored,
        "fpi_per_msg": fpis / stored,
        "by_record": [(name, size / stored, fpi / stored) for name, (size, fpi) in ranked],
        "stored": stored,
        "window": posted,
        "seconds": elapsed,
        "checkpoint_inside": interrupted,
        "recycled": recycled,
        "pending_left": pending,
    }


def create_base(aggregator_port: int | None = None) -> dict[str, Any]:
    from django.core.management import call_command

    from channels_app.models import ContactGroup
    from channels_app.services.channels import create_channel
    from channels_app.workspaces import create_workspace
    from flows.models import Flow

    call_command("migrate", verbosity=0)
    workspace, token = create_workspace(
        name="National programme", email="ops@example.org", password="bench-pass"
    )
    channel = create_channel(workspace=workspace, type_code="EX", name="National shortcode", address="8080",
                             country="RW", config={"send_url": "http://127.0.0.1:9/send"})  # fmt: skip
    flow = Flow.objects.create(workspace=workspace, name="Registration",
                               definition={"uuid": "x", "name": "Registration", "nodes": []})  # fmt: skip
    group = ContactGroup.objects.create(workspace=workspace, name="Mothers")
    pipeline_channel = None
    if aggregator_port is not None:
        from benchmarks.flows_e2e import KEYWORD, keyword_reply_flow

        pipeline_channel = create_channel(workspace=workspace, type_code="EX", name="Pipeline aggregator",
                                          address="+250788000000", country="RW",
                                          config={"send_url": f"http://127.0.0.1:{aggregator_port}/send"})  # fmt: skip
        keyword_reply_flow(workspace, KEYWORD)
    return {
        "pipeline_channel_uuid": str(pipeline_channel.uuid) if pipeline_channel else None,
        "workspace_id": workspace.id,
        "channel_id": channel.id,
        "channel_uuid": str(channel.uuid),
        "flow_id": flow.id,
        "flow_uuid": str(flow.uuid),
        "group_id": group.id,
        "user": workspace.memberships.get().user,
        "token": token,
        "messages_before": 0,
    }


def pipeline(
    ctx: dict[str, Any], aggregator: Any, *, prefix: int, messages: int, paced_rate: float
) -> dict[str, Any]:
    """Receive and end to end on this database, with real processes: a burst of `messages`
    (receive rate, end-to-end rate) and a run paced at `paced_rate` per second (p95 POST -> reply).
    Each run's senders are new contacts (`prefix`), as a programme's new registrations are."""
    from benchmarks import flows_e2e

    flows_e2e.BENCH_DB_URL, flows_e2e.REDIS_URL = DB_URL, REDIS_URL  # the big database, not the e2e bench's
    args = argparse.Namespace(
        web=1, contacts=max(1, messages // 4), connections=32, timeout=300.0, stall=30.0
    )
    channel_uuid = ctx["pipeline_channel_uuid"]
    burst = flows_e2e.run_case("burst, 2 workers", args, channel_uuid, aggregator, prefix, 2, messages)
    paced_messages = int(paced_rate * 20)
    paced = flows_e2e.run_case(f"paced {paced_rate:.0f}/s, 2 workers", args, channel_uuid, aggregator,
                               prefix + 1, 2, paced_messages, rate=paced_rate)  # fmt: skip
    for run in (burst, paced):
        if run["missing"] or run["duplicates"] or run["order_violations"]:
            raise RuntimeError(f"pipeline lost, doubled or reordered replies: {run}")
    return {"burst": burst, "paced": paced}


@contextmanager
def _aggregator(*, enabled: bool) -> Iterator[tuple[Any, int | None]]:
    """The e2e bench's local aggregator in its own process (a pipe to ask it for arrivals)."""
    if not enabled:
        yield None, None
        return
    import multiprocessing

    from benchmarks.flows_e2e import aggregator_process

    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=aggregator_process, args=(child,), daemon=True
    )
    process.start()
    try:
        yield parent, parent.recv()
    finally:
        parent.send("stop")
        process.join(5)
        if process.is_alive():
            process.terminate()


def measure(ctx: dict[str, Any], runs: int, wal_messages: int, stream_seconds: float) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for key, label, run in screens(ctx):
        ms, sql_ms, slowest = _timed(run, runs)
        results[key] = {"label": label, "ms": ms, "sql_ms": sql_ms, "slowest": slowest}
    results["wal"] = wal_per_message(ctx, wal_messages, stream_seconds)
    results["size_bytes"] = _one("SELECT pg_database_size(current_database())")
    results["msg_table_bytes"] = _one("SELECT pg_total_relation_size('channels_app_msg')")
    return results


def report(a: dict[str, Any], b: dict[str, Any], sizes: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    from benchmarks.kit import figure

    lines = [
        f"database A: {sizes['a']}, {a['size_bytes'] / 1e6:,.0f} MB; "
        f"database B: {sizes['b']}, {b['size_bytes'] / 1e9:,.2f} GB (messages table {b['msg_table_bytes'] / 1e9:,.2f} GB)",
        "",
        f"| figure | A | B | B/A | of which SQL, A -> B | under {BUDGET_MS:.0f} ms at B |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    figures = []
    for key, value in b.items():
        if not isinstance(value, dict) or "ms" not in value:
            continue
        ms_a, ms_b = a[key]["ms"], value["ms"]
        ok = "yes" if ms_b <= BUDGET_MS else "NO"
        sql = f"{a[key]['sql_ms']:.1f} -> {value['sql_ms']:.1f} ms"
        lines.append(
            f"| {value['label']} | {ms_a:.1f} ms | {ms_b:.1f} ms | {ms_b / max(ms_a, 0.01):.1f}x | {sql} | {ok} |"
        )
        figures.append(figure(key, value["label"], ms_b, "ms", higher_is_better=False,
                              baseline=("empty database", ms_a), target=("<=", BUDGET_MS)))  # fmt: skip
    lines += _wal_rows(a["wal"], b["wal"], figures)
    if "pipeline" in a and "pipeline" in b:
        lines += _pipeline_rows(a["pipeline"], b["pipeline"], figures)
    lines += _wal_breakdown(b["wal"])
    for value in b.values():
        if isinstance(value, dict) and value.get("ms", 0) > BUDGET_MS and value["slowest"]:
            seconds, sql, params = value["slowest"][0]
            lines += [
                "",
                f"## over budget: {value['label']} ({value['ms']:.0f} ms; slowest query {seconds * 1000:.0f} ms)",
            ]
            lines += ["```", _explain(sql, params), "```"]
    return "\n".join(lines), figures


def _wal_rows(a: dict[str, Any], b: dict[str, Any], figures: list[dict[str, Any]]) -> list[str]:
    """Rows for WAL per stored message, A against B, per wal_compression: the worst case (right
    after a checkpoint) and the stream (one checkpoint interval of the stream's length)."""
    from benchmarks.kit import figure

    lines = []
    for mode in WAL_MODES:
        if "skipped" in b.get(mode, {"skipped": "not run"}):
            lines.append(
                f"| WAL per stored message, wal_compression={mode} | skipped: {b[mode]['skipped']} | | | | |"
            )
            continue
        for kind in ("worst", "stream"):
            if kind not in b[mode]:
                continue
            wa, wb = a[mode][kind], b[mode][kind]
            label = (f"WAL per stored message, wal_compression={mode}, "
                     + ("right after a CHECKPOINT" if kind == "worst"
                        else f"{wb['seconds']:.0f} s stream from a CHECKPOINT ({wb['stored'] / wb['seconds']:.0f} msg/s)"))  # fmt: skip
            note = " (cut short by a checkpoint of the shared cluster)" if wb["checkpoint_inside"] else ""
            note += " (some WAL recycled before read: whole cluster counted)" if wb.get("recycled") else ""
            lines.append(
                f"| {label} | {wa['wal_bytes_per_msg'] / 1024:.2f} KB | {wb['wal_bytes_per_msg'] / 1024:.2f} KB "
                f"| {wb['wal_bytes_per_msg'] / max(wa['wal_bytes_per_msg'], 1):.1f}x "
                f"| full-page images per message {wa['fpi_per_msg']:.2f} -> {wb['fpi_per_msg']:.2f}; "
                f"without them {wa['no_fpi_bytes_per_msg'] / 1024:.2f} -> {wb['no_fpi_bytes_per_msg'] / 1024:.2f} KB{note} "
                f"| {'yes' if wb['wal_bytes_per_msg'] <= 2048 else 'NO'} (2 KB) |"
            )
            key = f"wal_per_msg_{mode}" + ("" if kind == "worst" else "_stream")
            figures.append(figure(key, label.split(" (")[0], wb["wal_bytes_per_msg"] / 1024, "KB",
                                  higher_is_better=False, baseline=("empty database", wa["wal_bytes_per_msg"] / 1024),
                                  target=("<=", 2.0)))  # fmt: skip
    return lines


def _wal_breakdown(wal: dict[str, Any]) -> list[str]:
    """Per relation and record type at B (bytes per message, of which full-page images)."""
    lines = []
    for mode in WAL_MODES:
        for kind in ("worst", "stream"):
            run = wal.get(mode, {}).get(kind)
            if run is None:
                continue
            shown = [r for r in run["by_record"] if r[1] >= 8][:14]
            lines += [
                "",
                f"WAL per stored message at B, wal_compression={mode}, {kind} "
                f"({run['stored']} messages, {run['window']} posted, {run['pending_left']} left pending): "
                f"{run['wal_bytes_per_msg']:.0f} B, of which full-page images "
                f"{run['wal_bytes_per_msg'] - run['no_fpi_bytes_per_msg']:.0f} B",
                "",
                "| relation and record | B per message | of which full-page images |",
                "| --- | --- | --- |",
            ]
            lines += [f"| {name} | {size:.0f} | {fpi:.0f} |" for name, size, fpi in shown]
    return lines


def _pipeline_rows(a: dict[str, Any], b: dict[str, Any], figures: list[dict[str, Any]]) -> list[str]:
    """Rows for receive and end to end, A against B: within PIPELINE_TOLERANCE or NO."""
    from benchmarks.kit import figure

    rows = [
        ("receive_rate", "receive under load (POSTs/s, 2 workers handling)", a["burst"]["inbound_per_second"],
         b["burst"]["inbound_per_second"], "msg/s", True),
        ("e2e_rate", "end to end, burst (replies/s at the aggregator)", a["burst"]["per_second"],
         b["burst"]["per_second"], "msg/s", True),
        ("e2e_paced_p95", f"end to end p95, {b['paced']['case']}", a["paced"]["p95_ms"] or 0,
         b["paced"]["p95_ms"] or 0, "ms", False),
    ]  # fmt: skip
    lines = []
    for key, label, va, vb, unit, higher in rows:
        ratio = vb / max(va, 0.01)
        within = ratio >= 1 - PIPELINE_TOLERANCE if higher else ratio <= 1 + PIPELINE_TOLERANCE
        lines.append(f"| {label} | {va:,.1f} {unit} | {vb:,.1f} {unit} | {ratio:.2f}x | "
                     f"CPU ms/msg web {b['burst']['web_cpu_ms_per_msg']}, workers {b['burst']['worker_cpu_ms_per_msg']} "
                     f"| {'yes' if within else 'NO'} (15% of A) |")  # fmt: skip
        limit = va * (1 - PIPELINE_TOLERANCE) if higher else va * (1 + PIPELINE_TOLERANCE)
        figures.append(figure(key, label, vb, unit, higher_is_better=higher, baseline=("empty database", va),
                              target=(">=" if higher else "<=", round(limit, 1))))  # fmt: skip
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--small", "--quick", action="store_true", help="20,000 contacts, 200,000 messages")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--wal-messages", type=int, default=1000, help="messages after a CHECKPOINT (worst case)"
    )
    parser.add_argument("--wal-stream-seconds", type=float, default=60.0,
                        help="length of the sustained WAL stream per wal_compression setting (0: skip)")  # fmt: skip
    parser.add_argument("--json", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench-big.md")
    parser.add_argument("--no-pipeline", dest="pipeline", action="store_false",
                        help="skip receive and end to end with real processes")  # fmt: skip
    parser.add_argument("--pipeline-messages", type=int, default=4000, help="messages in the burst")
    parser.add_argument("--paced-rate", type=float, default=100.0, help="messages/s of the paced run")
    args = parser.parse_args(argv)
    if args.small:
        args.contacts, args.messages = 20_000, 200_000

    def log(text: str) -> None:
        print(text, flush=True)

    _recreate_database()
    _setup_django()
    from channels_app import queue

    queue.connection().flushdb()
    started = time.monotonic()
    with _aggregator(enabled=args.pipeline) as (aggregator, aggregator_port):
        ctx = create_base(aggregator_port)
        seed(ctx, contacts=BASE["contacts"], messages=BASE["messages"], log=lambda _: None)
        finish_load(log=lambda _: None)
        log(f"A: {BASE['contacts']:,} contacts, {BASE['messages']:,} messages; measuring")
        a = measure(ctx, args.runs, min(args.wal_messages, 300), args.wal_stream_seconds)
        if args.pipeline:
            log("A: receive and end to end (serve + 2 workers)")
            a["pipeline"] = pipeline(ctx, aggregator, prefix=40, messages=args.pipeline_messages,
                                     paced_rate=args.paced_rate)  # fmt: skip
        log(f"B: growing to {args.contacts:,} contacts, {args.messages:,} messages")
        seed(
            ctx, contacts=args.contacts - BASE["contacts"], messages=args.messages - BASE["messages"], log=log
        )
        load = finish_load(log=log)
        log("B: measuring")
        b = measure(ctx, args.runs, args.wal_messages, args.wal_stream_seconds)
        if args.pipeline:
            log("B: receive and end to end (serve + 2 workers)")
            b["pipeline"] = pipeline(ctx, aggregator, prefix=50, messages=args.pipeline_messages,
                                     paced_rate=args.paced_rate)  # fmt: skip
    sizes = {
        "a": f"{BASE['contacts']:,} contacts / {BASE['messages']:,} messages",
        "b": f"{args.contacts:,} contacts / {args.messages:,} messages",
    }
    text, figures = report(a, b, sizes)
    text += f"\n\nbuilt and measured in {time.monotonic() - started:.0f} s; load steps: " + ", ".join(
        f"{k} {v:.1f}" for k, v in load.items()
    )
    print("\n" + text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n")
    if args.json:
        from benchmarks.kit import write_json

        write_json(args.json, "big", figures, [sizes["a"] + " vs " + sizes["b"]])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
