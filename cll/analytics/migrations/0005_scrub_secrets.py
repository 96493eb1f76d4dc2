"""Secrets of e-mailed links (tokens in paths and referrers) leave the stored access log.

Runs the same service as ``manage.py access_log_scrub`` (the current URLconf decides which path
segments are secret, which no frozen copy here could know); on a new database there is nothing
to scrub. Irreversible by nature: the reverse does nothing.
"""

from django.db import migrations

from cll.analytics.services import access_log_scrub


def scrub(apps, schema_editor):
    access_log_scrub()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_log_blocks"),
    ]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
