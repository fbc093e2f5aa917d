"""The contact history index keys on the contact alone (issue 27, WAL per message).

`(contact_id, id DESC)` made every entry unique, so each handled message wrote its own entry on
a random leaf: at 10M messages 38,600 leaves (302 MB), and after a checkpoint nearly every
message paid a full-page image of one (99% of the images of a 3-minute stream). On
`(contact_id)` alone, the messages of a contact share one posting list (B-tree deduplication,
PostgreSQL 13+): 90 MB, a third of the leaves, so a third of the images over a checkpoint
interval. A contact's page reads its messages through the index and sorts them (0.4 ms for a
contact of the bench's; the planner walks the newest messages instead for a contact with a
large share of them).

On PostgreSQL the new index is created IF NOT EXISTS, so on a database with millions of
messages an operator creates it first with CREATE INDEX CONCURRENTLY (the statement below, with
CONCURRENTLY) and the migration then only drops the old one.
"""

from django.db import migrations, models

CREATE = (
    "CREATE INDEX IF NOT EXISTS msg_contact_known ON channels_app_msg (contact_id) "
    "WHERE contact_id IS NOT NULL"
)
OLD = models.Index(
    fields=["contact", "-id"], condition=models.Q(contact__isnull=False), name="msg_contact_id_known"
)
NEW = models.Index(fields=["contact"], condition=models.Q(contact__isnull=False), name="msg_contact_known")


def forward(apps, schema_editor):
    msg = apps.get_model("channels_app", "Msg")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)
        schema_editor.execute(f"DROP INDEX IF EXISTS {OLD.name}")
        return
    schema_editor.add_index(msg, NEW)
    schema_editor.remove_index(msg, OLD)


def backward(apps, schema_editor):
    msg = apps.get_model("channels_app", "Msg")
    schema_editor.add_index(msg, OLD)
    schema_editor.remove_index(msg, NEW)


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0020_msg_text_words")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                migrations.RemoveIndex(model_name="msg", name=OLD.name),
                migrations.AddIndex(model_name="msg", index=NEW),
            ],
        )
    ]
