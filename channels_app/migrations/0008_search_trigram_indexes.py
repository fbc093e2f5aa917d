"""Trigram GIN indexes for substring search on PostgreSQL (issue 27).

Django's `icontains` is `UPPER(col) LIKE UPPER('%…%')` on PostgreSQL, so the indexes are on
`upper(col) gin_trgm_ops`: the message log and contact searches use them without raw SQL.
They are PostgreSQL-only (the embedded SQLite default searches by scan, fine at its size), kept
out of the model state on purpose, and skipped where the pg_trgm extension is not available.
"""

from django.db import migrations

TRIGRAM_INDEXES = [
    ("msg_text_trgm", "channels_app_msg", "upper(text)"),
    ("contact_name_trgm", "channels_app_contact", "upper((name)::text)"),
    ("urn_identity_trgm", "channels_app_contacturn", "upper((identity)::text)"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, expression in TRIGRAM_INDEXES:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
            )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name, _, _ in TRIGRAM_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0007_msg_uuid7_fewer_indexes")]

    operations = [migrations.RunPython(create, drop)]
