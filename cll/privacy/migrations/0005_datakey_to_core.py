"""The data key model moved to the platform (core migration 0003): removed from this app's state
only; the table and its rows are untouched."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0004_audit_seal"),
        ("core", "0003_datakey"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="DataKey")],
            database_operations=[],
        ),
    ]
