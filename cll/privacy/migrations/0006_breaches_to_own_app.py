"""The breach register moved to its own app (breaches migration 0001): its three models are
removed from this app's state only; the tables and their rows are untouched.

The content types are relabelled too, so permissions and admin-log rows that point at them
follow the models instead of being left behind as stale rows.
"""

from django.db import migrations

MODELS = ("breach", "breachnotice", "breachnotification")


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)


def to_breaches(apps, schema_editor):
    _relabel(apps, "privacy", "breaches")


def to_privacy(apps, schema_editor):
    _relabel(apps, "breaches", "privacy")


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0005_datakey_to_core"),
        ("breaches", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="BreachNotification"),
                migrations.DeleteModel(name="BreachNotice"),
                migrations.DeleteModel(name="Breach"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(to_breaches, to_privacy, elidable=True),
    ]
