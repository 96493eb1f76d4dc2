"""The access log is kept in compressed blocks of requests instead of one row per request.

The raw log table is replaced (its rows are not carried over: nothing was deployed with it; on
a development database, run ``aggregates_refresh`` before migrating if the last days' aggregates
matter — aggregates themselves are kept).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_log_segment"),
    ]

    operations = [
        migrations.DeleteModel(name="AccessEvent"),
        migrations.CreateModel(
            name="AccessLogBlock",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("first_us", models.BigIntegerField()),
                ("last_us", models.BigIntegerField()),
                ("events", models.PositiveIntegerField()),
                ("ips", models.TextField()),
                ("ip_truncated", models.BooleanField(default=False)),
                ("data", models.BinaryField()),
                ("clickstream", models.BinaryField(blank=True, null=True)),
            ],
            options={
                "indexes": [models.Index(fields=["day"], name="analytics_block_day")],
            },
        ),
    ]
