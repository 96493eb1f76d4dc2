"""The French and Dutch texts of the first privacy policy, shipped after its English text
(cll/policies/texts/privacy/2026-11.{fr,nl}.md): the same version in the site's other
languages, not a new version — so they are added to it where its text in that language is
still empty, and nothing else about the published version changes."""

from django.db import migrations


def add(apps, schema_editor):
    from django.conf import settings

    from cll.policies.text import first_version_bodies

    PolicyVersion = apps.get_model("policies", "PolicyVersion")
    bodies = first_version_bodies("privacy", "2026-11")
    for version in PolicyVersion.objects.filter(
        kind="privacy", version=settings.PRIVACY_POLICY_VERSION
    ):
        missing = {
            f"body_{language}": bodies[language]
            for language in ("fr", "nl")
            if bodies[language] and not getattr(version, f"body_{language}")
        }
        if missing:
            PolicyVersion.objects.filter(pk=version.pk).update(**missing)


class Migration(migrations.Migration):
    dependencies = [("policies", "0002_first_versions")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
