"""The messages' trigram index leaves out pending inbound messages (issue 27, WAL per message).

Every status change of a message is a non-HOT update (status is in the work-queue indexes'
predicates), so it writes the text's trigrams into the GIN index again: for the 16-character
text of the big bench, twice the WAL of the row itself, and about 3 KB for a full SMS. An
inbound message is stored pending and handled a moment later: it is now indexed once, when
handled, and the message log finds pending ones through the `msg_inbox` index
(services.message_search). Outbound statuses stay indexed: the only index that holds queued
messages without their text is the outbox, and during a broadcast it holds a million of them.

A partial index has no statistics of its expression for the planner (the full index had):
without them it guessed that a common word ("visit", 33k of 200k messages) matched 240 rows
and read them all through the index instead of walking the newest messages. The statistics
object `msg_upper_text` gives the planner the distribution of upper(text) again.

PostgreSQL only, like 0008. On a database with millions of messages, create the new index with
CREATE INDEX CONCURRENTLY (same name and definition) before migrating: see
docs/operations/scale.md.
"""

from django.db import migrations

CREATE_PARTIAL = (
    "CREATE INDEX IF NOT EXISTS msg_text_trgm_not_pending ON channels_app_msg "
    "USING gin (upper(text) gin_trgm_ops) WHERE status <> 'pending'"
)
CREATE_FULL = (
    "CREATE INDEX IF NOT EXISTS msg_text_trgm ON channels_app_msg USING gin (upper(text) gin_trgm_ops)"
)


def _has_trigrams(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
    return cursor.fetchone() is not None


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _has_trigrams(cursor):  # 0008 skipped the trigram indexes: nothing to replace
            return
        cursor.execute(CREATE_PARTIAL)
        cursor.execute("DROP INDEX IF EXISTS msg_text_trgm")
        cursor.execute(
            "CREATE STATISTICS IF NOT EXISTS msg_upper_text ON (upper(text)) FROM channels_app_msg"
        )
        cursor.execute("ANALYZE channels_app_msg")  # a sample (30k rows): seconds at 10M messages


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not _has_trigrams(cursor):
            return
        cursor.execute(CREATE_FULL)
        cursor.execute("DROP INDEX IF EXISTS msg_text_trgm_not_pending")
        cursor.execute("DROP STATISTICS IF EXISTS msg_upper_text")


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0017_contactgroup_status")]

    operations = [migrations.RunPython(forward, backward)]
