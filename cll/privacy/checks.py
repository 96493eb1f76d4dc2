"""System checks: the data map must classify every field of every project model.

``manage.py check`` (and so CI, ``migrate`` and ``runserver``) fails on the first unclassified
field, so a personal-data field cannot reach production without a purpose, a legal basis, a
retention rule and an erasure action.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core import checks

from cll.privacy import datamap


def _field_names(model) -> list[str]:
    # Columns and many-to-many relations; reverse relations are classified on the model that
    # holds the foreign key.
    return [f.name for f in model._meta.concrete_fields] + [
        f.name for f in model._meta.many_to_many
    ]


def model_problems(models) -> list[checks.CheckMessage]:
    problems: list[checks.CheckMessage] = []
    for model in models:
        if model._meta.proxy or not model._meta.managed:
            continue
        entry = datamap.entry_for(model)
        if entry is None:
            problems.append(
                checks.Error(
                    f"{model._meta.label} is not declared in the data map.",
                    hint=f"Declare it in {model._meta.app_config.name}/privacy.py with "
                    "datamap.register(); see CONTRIBUTING.md.",
                    obj=model,
                    id="privacy.E001",
                )
            )
            continue
        names = set(_field_names(model))
        for name in sorted(names - set(entry.fields)):
            problems.append(
                checks.Error(
                    f"{model._meta.label}.{name} is not classified in the data map.",
                    hint="Give it a FieldRule (category, purposes, legal basis, retention, "
                    "erasure, readers) in the app's privacy.py.",
                    obj=model,
                    id="privacy.E002",
                )
            )
        for name in sorted(set(entry.fields) - names):
            problems.append(
                checks.Error(
                    f"{model._meta.label}.{name} is classified but is not a field.",
                    obj=model,
                    id="privacy.E003",
                )
            )
    return problems


@checks.register("privacy")
def check_data_map(app_configs=None, **kwargs):
    prefix = settings.PRIVACY_PROJECT_APPS_PREFIX
    configs = app_configs or apps.get_app_configs()
    project_models = [
        model
        for config in configs
        if config.name.startswith(prefix)
        for model in config.get_models()
    ]
    declared_elsewhere = [
        entry.model for entry in datamap.entries() if entry.third_party and app_configs is None
    ]
    return model_problems(project_models + declared_elsewhere)
