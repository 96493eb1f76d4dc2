"""Sessions name their teacher; the catalogue is kept by the Administrator role in the admin
(issue 11): the role's group gets the catalogue's model permissions, nothing else."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CATALOGUE_MODELS = ("language", "site", "session", "course")
ACTIONS = ("add", "change", "delete", "view")


def grant_catalogue(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    administrators, _created = Group.objects.get_or_create(name="Administrator")
    for model in CATALOGUE_MODELS:
        # The permissions are created after migrations (post_migrate): create them now, the
        # same rows Django's own create_permissions makes.
        content_type, _created = ContentType.objects.get_or_create(app_label="courses", model=model)
        for action in ACTIONS:
            permission, _created = Permission.objects.get_or_create(
                content_type=content_type,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {model}"},
            )
            administrators.permissions.add(permission)


def revoke_catalogue(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="courses", content_type__model__in=CATALOGUE_MODELS
    )
    for group in Group.objects.filter(name="Administrator"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0001_initial"),
        ("accounts", "0002_staff_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="session",
            name="teacher",
            field=models.ForeignKey(
                blank=True,
                limit_choices_to=models.Q(
                    ("groups__name", "Teacher"), ("is_active", True), ("is_staff", True)
                ),
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="taught_sessions",
                to=settings.AUTH_USER_MODEL,
                verbose_name="teacher",
            ),
        ),
        migrations.AlterField(
            model_name="session",
            name="price_cents",
            field=models.PositiveIntegerField(
                help_text="All taxes included.", verbose_name="price"
            ),
        ),
        migrations.RunPython(grant_catalogue, revoke_catalogue),
    ]
