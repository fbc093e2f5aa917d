"""External API header values and send URLs holding credentials became secrets: encrypt them.

Same approach as 0005: the live secret_store decides which keys are secrets.
"""

from django.db import migrations


def encrypt_ex_secrets(apps, schema_editor):
    from channels_app import crypto
    from channels_app.models import Channel as LiveChannel
    from channels_app.services.secret_store import _transform, channel_secret_keys

    Channel = apps.get_model("channels_app", "Channel")
    for row in Channel.objects.filter(channel_type="EX").order_by("id").iterator(chunk_size=500):
        live = LiveChannel(
            id=row.id, workspace_id=row.workspace_id, channel_type=row.channel_type, config=row.config or {}
        )
        config, changed = _transform(live.config, channel_secret_keys(live), crypto.encrypt)
        if changed:
            Channel.objects.filter(id=row.id).update(config=config)


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0006_handler_access_tokens")]

    operations = [migrations.RunPython(encrypt_ex_secrets, migrations.RunPython.noop)]
