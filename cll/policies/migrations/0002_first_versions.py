"""The first published version of the privacy policy and of the general terms, loaded from
the text files shipped with the app (cll/policies/texts/), so a fresh database shows them."""

import datetime

from django.db import migrations

# The date the platform's first versions were published (Europe/Brussels midnight, in UTC).
FIRST_PUBLISHED = datetime.datetime(2026, 10, 31, 23, 0, tzinfo=datetime.UTC)


def load(apps, schema_editor):
    from django.conf import settings

    from cll.policies.text import FIRST_VERSIONS, first_version_bodies

    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    for kind, version in FIRST_VERSIONS:
        # The privacy policy keeps the label parental consents were recorded with.
        label = settings.PRIVACY_POLICY_VERSION if kind == "privacy" else version
        if PolicyVersion.objects.filter(kind=kind).exists():
            continue
        bodies = first_version_bodies(kind, version)
        PolicyVersion.objects.create(
            kind=kind,
            version=label,
            published_at=FIRST_PUBLISHED,
            effective_at=FIRST_PUBLISHED,
            announced_at=FIRST_PUBLISHED,
            material=False,
            **{f"body_{language}": text for language, text in bodies.items()},
        )


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
