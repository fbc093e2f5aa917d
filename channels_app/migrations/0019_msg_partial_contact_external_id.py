"""Two of the messages' indexes become partial (issue 27, WAL per message).

`msg_contact_id_known` replaces `msg_contact_id` and leaves out messages without a contact: an
inbound message is stored before its contact is resolved, so it wrote a `(NULL, id)` entry at
receive and a `(contact, id)` entry at handle; every lookup names a contact. The provider-id
index only holds outbound messages that have an id (`msg_out_external_id` replaces
`msg_channel_external_id`): inbound ids are found through `unique_inbound_external_id`, and an
outbound message has none until it is sent. An inbound message now writes neither at receive,
and only the contact entry at handle.

On PostgreSQL the new indexes are created IF NOT EXISTS, so on a database with millions of
messages an operator creates them first with CREATE INDEX CONCURRENTLY (the statements below,
with CONCURRENTLY) and the migration then only drops the old ones: its own CREATE INDEX would
hold a write lock on the table while it builds.
"""

from django.db import migrations, models

NEW_INDEXES = {
    "msg_contact_id_known": "CREATE INDEX IF NOT EXISTS msg_contact_id_known ON channels_app_msg "
    "(contact_id, id DESC) WHERE contact_id IS NOT NULL",
    "msg_out_external_id": "CREATE INDEX IF NOT EXISTS msg_out_external_id ON channels_app_msg "
    "(channel_id, external_id) WHERE direction = 'out' AND external_id IS NOT NULL",
}
OLD = [
    models.Index(fields=["contact", "-id"], name="msg_contact_id"),
    models.Index(fields=["channel", "external_id"], name="msg_channel_external_id"),
]
NEW = [
    models.Index(
        fields=["contact", "-id"], condition=models.Q(contact__isnull=False), name="msg_contact_id_known"
    ),
    models.Index(
        fields=["channel", "external_id"],
        condition=models.Q(direction="out", external_id__isnull=False),
        name="msg_out_external_id",
    ),
]


def forward(apps, schema_editor):
    msg = apps.get_model("channels_app", "Msg")
    if schema_editor.connection.vendor == "postgresql":
        for statement in NEW_INDEXES.values():
            schema_editor.execute(statement)
        for index in OLD:
            schema_editor.execute(f"DROP INDEX IF EXISTS {index.name}")
        return
    for index in NEW:
        schema_editor.add_index(msg, index)
    for index in OLD:
        schema_editor.remove_index(msg, index)


def backward(apps, schema_editor):
    msg = apps.get_model("channels_app", "Msg")
    for index in OLD:
        schema_editor.add_index(msg, index)
    for index in NEW:
        schema_editor.remove_index(msg, index)


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0018_msg_text_trgm_not_pending")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                *[migrations.RemoveIndex(model_name="msg", name=index.name) for index in OLD],
                *[migrations.AddIndex(model_name="msg", index=index) for index in NEW],
            ],
        )
    ]
