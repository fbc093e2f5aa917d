"""Per-table autovacuum for the busy tables on PostgreSQL (issue 27; see docs/operations.md).

The default `autovacuum_vacuum_scale_factor` of 0.2 waits for 20% of a table to be dead rows:
2,000,000 on a 10M-message table, while every message leaves 1-3 dead versions behind (status
changes are not HOT updates). Thresholds in rows instead keep the table and its indexes from
bloating; the insert thresholds keep the visibility map current for index-only scans and freeze
append-only rows in small steps. Operators can change them later with ALTER TABLE … SET (…).
"""

from django.db import migrations

SETTINGS = {
    # ~1-3 dead rows per message: vacuum after 50k of them, whatever the table's size.
    "channels_app_msg": {
        "autovacuum_vacuum_scale_factor": "0",
        "autovacuum_vacuum_threshold": "50000",
        "autovacuum_vacuum_insert_scale_factor": "0",
        "autovacuum_vacuum_insert_threshold": "100000",
        "autovacuum_analyze_scale_factor": "0.01",
        "autovacuum_vacuum_cost_limit": "2000",
    },
    # Append-only: only the insert thresholds matter (visibility map, freezing).
    "channels_app_msgevent": {
        "autovacuum_vacuum_insert_scale_factor": "0",
        "autovacuum_vacuum_insert_threshold": "200000",
        "autovacuum_analyze_scale_factor": "0.02",
    },
    "channels_app_contact": {
        "autovacuum_vacuum_scale_factor": "0.02",
        "autovacuum_analyze_scale_factor": "0.02",
    },
    # Rewritten every minute (daily counts) or appended to and squashed (group counts): tiny
    # tables with a high turnover.
    "channels_app_msgdailycount": {
        "autovacuum_vacuum_scale_factor": "0",
        "autovacuum_vacuum_threshold": "5000",
    },
    "channels_app_contactgroupcount": {
        "autovacuum_vacuum_scale_factor": "0",
        "autovacuum_vacuum_threshold": "5000",
    },
}


def apply(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, settings in SETTINGS.items():
        options = ", ".join(f"{name} = {value}" for name, value in settings.items())
        schema_editor.execute(f"ALTER TABLE {table} SET ({options})")


def reset(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, settings in SETTINGS.items():
        schema_editor.execute(f"ALTER TABLE {table} RESET ({', '.join(settings)})")


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0010_msg_contact_links_without_row_locks")]

    operations = [migrations.RunPython(apply, reset)]
