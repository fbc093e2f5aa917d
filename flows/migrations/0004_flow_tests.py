from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0003_tickets_resthooks_airtime_llm"),
    ]

    operations = [
        migrations.AddField(
            model_name="flow",
            name="tests",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="flow",
            name="tests_failing",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
