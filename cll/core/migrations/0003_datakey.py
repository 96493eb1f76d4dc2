"""Data keys belong to the platform's encryption (cll/core/encryption.py), no longer to the
privacy app: the model moves here in Django's state only; its table, ``privacy_datakey``, and
its rows stay as they are (privacy migration 0005 removes it from that app's state)."""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_public_content_version"),
        ("privacy", "0004_audit_seal"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="DataKey",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        ("subject", models.UUIDField()),
                        ("master_key_id", models.CharField(max_length=16)),
                        ("wrapped", models.BinaryField(max_length=128)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("destroyed_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "data key",
                        "db_table": "privacy_datakey",
                        "indexes": [
                            models.Index(
                                fields=["master_key_id"], name="privacy_datakey_master_idx"
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("destroyed_at__isnull", True)),
                                fields=("subject",),
                                name="privacy_datakey_one_live_per_subject",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
