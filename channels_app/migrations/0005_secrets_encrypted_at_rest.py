"""Webhook secrets and app application tokens get room for their encrypted form; existing plaintext secrets are encrypted.

The data step uses the live secret_store (which channel config keys are secrets is decided by
the channel types and connectors, i.e. code) on rows read through the historical models.
"""

from django.db import migrations, models


def encrypt_existing(apps, schema_editor):
    from channels_app import crypto
    from channels_app.models import Channel as LiveChannel
    from channels_app.services.secret_store import _transform, channel_secret_keys

    Channel = apps.get_model("channels_app", "Channel")
    WebhookSubscription = apps.get_model("channels_app", "WebhookSubscription")
    for row in Channel.objects.order_by("id").iterator(chunk_size=500):
        live = LiveChannel(
            id=row.id, workspace_id=row.workspace_id, channel_type=row.channel_type, config=row.config or {}
        )
        config, changed = _transform(live.config, channel_secret_keys(live), crypto.encrypt)
        if changed:
            Channel.objects.filter(id=row.id).update(config=config)
    for hook in WebhookSubscription.objects.order_by("id").iterator(chunk_size=500):
        if hook.secret and not crypto.is_encrypted(hook.secret):
            WebhookSubscription.objects.filter(id=hook.id).update(secret=crypto.encrypt(hook.secret))
    AppToken = apps.get_model("channels_app", "AppToken")
    for app in AppToken.objects.order_by("id").iterator(chunk_size=500):
        if app.application_token and not crypto.is_encrypted(app.application_token):
            AppToken.objects.filter(id=app.id).update(application_token=crypto.encrypt(app.application_token))


class Migration(migrations.Migration):
    dependencies = [
        ("channels_app", "0004_unique_incoming_call_id"),
        ("aggregators", "0002_agent_phone"),
    ]

    operations = [
        migrations.AlterField(
            model_name="webhooksubscription",
            name="secret",
            field=models.CharField(max_length=255),
        ),
        migrations.AlterField(
            model_name="apptoken",
            name="application_token",
            field=models.CharField(max_length=255),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
    ]
