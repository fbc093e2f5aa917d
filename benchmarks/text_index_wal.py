"""`python -m benchmarks.text_index_wal [--messages N] [--quick] [--json PATH]`: the WAL that indexing a
message's text costs, by text length, trigrams (`upper(text) gin_trgm_ops`, migrations 0008 and
0018) against words (`to_tsvector('simple', text)`, migration 0020).

Every stored message writes its text into the index once (inbound: when handled; outbound: on
each status change, which is not a HOT update), so this index's WAL is paid per message. Each
case gets a fresh table shaped like the messages table's text part (id, status, text, the
index partial on `status <> 'pending'`), 20,000 messages already in it, then N messages
stored pending and handled in batches of 100, as the receive path and the handler do. Only the
WAL records of the index's own relation are counted (pg_walinspect: the cluster is shared),
with and without full-page images; pending-list merges into the index are inside the window.

Texts are made of a fixed vocabulary of 3,000 invented words picked with a Zipf-like skew, so
that common words repeat as they do in real traffic. Database: BENCH_TEXT_WAL_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/flowgate_bench_text_wal; dropped and created again).
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
from pathlib import Path
from typing import Any

import psycopg

from benchmarks.kit import figure, write_json

DB_URL = os.environ.get(
    "BENCH_TEXT_WAL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/flowgate_bench_text_wal"
)
INDEXES = {
    "trigrams": "gin (upper(text) gin_trgm_ops)",
    "words": "gin (to_tsvector('simple'::regconfig, text))",
}
LENGTHS = (16, 60, 160)
PREFILL = 20_000
BATCH = 100


def _vocabulary(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(3000)]


def texts(count: int, length: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = _vocabulary(random.Random(7))
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    made = []
    for _ in range(count):
        picked: list[str] = []
        while len(" ".join(picked)) < length:
            picked += rng.choices(words, cum_weights=cumulative, k=4)
        made.append(" ".join(picked)[:length])
    return made


def _recreate_database() -> None:
    admin, name = DB_URL.rsplit("/", 1)
    with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _index_wal(conn: psycopg.Connection[Any], start: str, end: str) -> tuple[float, float]:
    """(bytes, of which full-page images) of the records on the index `msg_text`'s blocks."""
    filenode = conn.execute("SELECT pg_relation_filenode('msg_text')").fetchone()[0]  # type: ignore[index]
    row = conn.execute(
        "SELECT COALESCE(sum(record_length), 0), COALESCE(sum(fpi_length), 0) "
        "FROM pg_get_wal_records_info(%s::pg_lsn, %s::pg_lsn) WHERE block_ref ~ %s",
        [start, end, rf"/{filenode} "],
    ).fetchone()
    return float(row[0]), float(row[1])  # type: ignore[index]


def measure(conn: psycopg.Connection[Any], kind: str, length: int, messages: int) -> dict[str, float]:
    conn.execute("DROP TABLE IF EXISTS msgs")
    conn.execute("CREATE TABLE msgs (id bigserial PRIMARY KEY, status text NOT NULL, text text NOT NULL)")
    conn.execute(f"CREATE INDEX msg_text ON msgs USING {INDEXES[kind]} WHERE status <> 'pending'")
    with conn.cursor().copy("COPY msgs (status, text) FROM STDIN") as copy:
        for text in texts(PREFILL, length, seed=1):
            copy.write_row(("handled", text))
    conn.execute("VACUUM ANALYZE msgs")  # the pending list merged: the window starts empty
    conn.execute("CHECKPOINT")
    start = str(conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0])  # type: ignore[index]
    batch_texts = texts(messages, length, seed=2)
    for first in range(0, messages, BATCH):
        with conn.transaction():
            ids = [
                row[0]
                for row in conn.cursor().execute(
                    "INSERT INTO msgs (status, text) SELECT 'pending', unnest(%s::text[]) RETURNING id",
                    [batch_texts[first : first + BATCH]],
                )
            ]
        with conn.transaction():
            conn.execute("UPDATE msgs SET status = 'handled' WHERE id = ANY(%s)", [ids])
    # Flushed, not inserted: pg_walinspect refuses an end past the flushed WAL, and other
    # sessions of a shared cluster may have inserted records that are not flushed yet (ours are:
    # each batch committed).
    end = str(conn.execute("SELECT pg_current_wal_flush_lsn()").fetchone()[0])  # type: ignore[index]
    total, images = _index_wal(conn, start, end)
    return {"bytes": total / messages, "without_images": (total - images) / messages}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="500 messages per case: a smoke test")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.messages = 500
    _recreate_database()
    results: dict[tuple[str, int], dict[str, float]] = {}
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        for length in LENGTHS:
            for kind in INDEXES:
                results[kind, length] = measure(conn, kind, length, args.messages)
    print(f"WAL of the text index per message ({args.messages:,} messages stored pending and handled, "
          f"{PREFILL:,} already indexed; bytes, of which without full-page images)")  # fmt: skip
    print("| text length | trigrams | words | words / trigrams |")
    print("| ---: | ---: | ---: | ---: |")
    figures = []
    for length in LENGTHS:
        old, new = results["trigrams", length], results["words", length]
        print(f"| {length} | {old['bytes']:,.0f} B ({old['without_images']:,.0f}) "
              f"| {new['bytes']:,.0f} B ({new['without_images']:,.0f}) "
              f"| {new['bytes'] / max(old['bytes'], 1):.2f} |")  # fmt: skip
        figures.append(figure(f"text_index_wal_{length}", f"text index WAL per message, {length} characters",
                              new["bytes"], "B", higher_is_better=False,
                              baseline=("trigram index", old["bytes"])))  # fmt: skip
    if args.json:
        write_json(args.json, "text_index_wal", figures, [f"{args.messages} messages per case"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
