"""The messages' text is indexed by words (full-text search), not by trigrams (issue 27, WAL).

The text index is written for every stored message (and again on each status change of an
outbound one). A trigram GIN index writes an entry per distinct three-character run of the
text: about 3 KB of WAL for a 160-character SMS, more than everything else a message costs.
The words index writes one entry per distinct word, about five times less
(docs/operations/scale.md, "WAL"). The message log matches each query word as the start of a
word of the text (services.message_words): "vacc" finds "vaccination", "ccination" no longer
does.

The index keeps 0018's shape: pending inbound messages are left out (handling would write their
words a second time; the log finds them through `msg_inbox`). The statistics object gives the
planner the words' frequencies, which a partial index does not collect: without them a common
word would be taken for a rare one.

PostgreSQL only. Full-text search is built in, so unlike 0008 nothing is skipped when pg_trgm is
missing. On a database with millions of messages, create the index with
CREATE INDEX CONCURRENTLY (same name and definition) before migrating: see
docs/operations/scale.md.
"""

from django.db import migrations

WORDS = "to_tsvector('simple'::regconfig, text)"
CREATE_WORDS = (
    f"CREATE INDEX IF NOT EXISTS msg_text_words ON channels_app_msg USING gin ({WORDS}) "
    "WHERE status <> 'pending'"
)
CREATE_TRIGRAMS = (
    "CREATE INDEX IF NOT EXISTS msg_text_trgm_not_pending ON channels_app_msg "
    "USING gin (upper(text) gin_trgm_ops) WHERE status <> 'pending'"
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(CREATE_WORDS)
        cursor.execute(f"CREATE STATISTICS IF NOT EXISTS msg_text_words ON ({WORDS}) FROM channels_app_msg")
        cursor.execute("DROP INDEX IF EXISTS msg_text_trgm_not_pending")
        cursor.execute("DROP STATISTICS IF EXISTS msg_upper_text")
        cursor.execute("ANALYZE channels_app_msg")  # a sample (30k rows): seconds at 10M messages


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is not None:
            cursor.execute(CREATE_TRIGRAMS)
            cursor.execute(
                "CREATE STATISTICS IF NOT EXISTS msg_upper_text ON (upper(text)) FROM channels_app_msg"
            )
        cursor.execute("DROP INDEX IF EXISTS msg_text_words")
        cursor.execute("DROP STATISTICS IF EXISTS msg_text_words")


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0019_msg_partial_contact_external_id")]

    operations = [migrations.RunPython(forward, backward)]
