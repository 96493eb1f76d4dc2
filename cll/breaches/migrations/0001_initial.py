"""The breach register moved here from the privacy app (privacy migration 0003 made its tables).

State only: the models are created with the tables, index and constraint they already have, so
no row is copied or lost; privacy migration 0006 then removes them from the privacy app's state.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

DECISIONS = [
    ("pending", "To be assessed"),
    ("required", "Required"),
    ("not_required", "Not required"),
]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("privacy", "0003_retention_breaches"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Breach",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        ("title", models.CharField(max_length=200, verbose_name="short title")),
                        ("detected_at", models.DateTimeField(verbose_name="detected at")),
                        (
                            "nature",
                            models.TextField(max_length=5000, verbose_name="nature of the breach"),
                        ),
                        (
                            "data_categories",
                            models.JSONField(
                                blank=True, default=list, verbose_name="categories of personal data"
                            ),
                        ),
                        (
                            "people_categories",
                            models.CharField(
                                blank=True,
                                max_length=500,
                                verbose_name="categories of people concerned",
                            ),
                        ),
                        (
                            "people_count",
                            models.PositiveIntegerField(
                                blank=True,
                                null=True,
                                verbose_name="approximate number of people concerned",
                            ),
                        ),
                        (
                            "records_count",
                            models.PositiveIntegerField(
                                blank=True,
                                null=True,
                                verbose_name="approximate number of records concerned",
                            ),
                        ),
                        (
                            "consequences",
                            models.TextField(
                                blank=True, max_length=5000, verbose_name="likely consequences"
                            ),
                        ),
                        (
                            "measures",
                            models.TextField(
                                blank=True, max_length=5000, verbose_name="measures taken or proposed"
                            ),
                        ),
                        (
                            "authority_notification",
                            models.CharField(
                                choices=DECISIONS,
                                default="pending",
                                max_length=16,
                                verbose_name="notification of the supervisory authority",
                            ),
                        ),
                        (
                            "authority_notified_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="authority notified at"
                            ),
                        ),
                        (
                            "authority_reference",
                            models.CharField(
                                blank=True, max_length=100, verbose_name="authority's reference"
                            ),
                        ),
                        (
                            "late_reason",
                            models.TextField(
                                blank=True, max_length=5000, verbose_name="reasons for the delay"
                            ),
                        ),
                        (
                            "people_notification",
                            models.CharField(
                                choices=DECISIONS,
                                default="pending",
                                max_length=16,
                                verbose_name="notification of the people concerned",
                            ),
                        ),
                        (
                            "decision_reasons",
                            models.TextField(
                                blank=True,
                                max_length=5000,
                                verbose_name="reasons for these decisions",
                            ),
                        ),
                        (
                            "people_notified_at",
                            models.DateTimeField(
                                blank=True, null=True, verbose_name="people notified at"
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "reported_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="reported by",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "personal-data breach",
                        "verbose_name_plural": "personal-data breaches",
                        "db_table": "privacy_breach",
                        "ordering": ["-detected_at"],
                        "indexes": [
                            models.Index(
                                fields=["detected_at"], name="privacy_breach_detected_idx"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="BreachNotice",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "public_id",
                            models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
                        ),
                        (
                            "audience",
                            models.CharField(
                                choices=[
                                    ("listed", "The accounts listed below"),
                                    ("all_learners", "All learners"),
                                ],
                                max_length=16,
                            ),
                        ),
                        ("subject", models.CharField(max_length=200, verbose_name="subject")),
                        ("body", models.TextField(max_length=10000, verbose_name="message")),
                        ("sent_at", models.DateTimeField()),
                        ("recipients", models.PositiveIntegerField(default=0)),
                        (
                            "breach",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notices",
                                to="breaches.breach",
                            ),
                        ),
                        (
                            "sent_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "breach notice",
                        "verbose_name_plural": "breach notices",
                        "db_table": "privacy_breachnotice",
                        "ordering": ["-sent_at"],
                    },
                ),
                migrations.CreateModel(
                    name="BreachNotification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("person", models.UUIDField()),
                        ("email", models.UUIDField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "breach",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="notifications",
                                to="breaches.breach",
                            ),
                        ),
                        (
                            "notice",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="breaches.breachnotice",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "breach notification",
                        "verbose_name_plural": "breach notifications",
                        "db_table": "privacy_breachnotification",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("breach", "person"), name="privacy_breach_notified_once"
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
