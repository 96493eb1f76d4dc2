"""System checks: the data map must classify every field of every model, truthfully.

``manage.py check`` (and so CI, ``migrate`` and ``runserver``) fails on the first unclassified
field, so a personal-data field cannot reach production without a purpose, a legal basis, a
retention rule and an erasure action. Third-party models declared with ``third_party=True`` are
held to the same rules, so a library upgrade that adds a column is caught too.

- privacy.E001: a project model is not declared;
- privacy.E002: a field is not classified;
- privacy.E003: a classified name is not a field (renamed or removed);
- privacy.E004: a declared model does not exist;
- privacy.E005: the subject path does not lead to a person;
- privacy.E006: an unlinked model keeps personal data without a retention period;
- privacy.W001: a third-party model is not declared (its app's data escapes the map).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import AppConfig, apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, UUIDField

from cll.core.encryption import EncryptedFieldMixin
from cll.privacy import datamap


def _field_names(model: type[Model]) -> list[str]:
    # Columns and many-to-many relations; reverse relations are classified on the model that
    # holds the foreign key.
    return [f.name for f in model._meta.concrete_fields] + [
        f.name for f in model._meta.many_to_many
    ]


def _is_person(model: type[Model]) -> bool:
    entry = datamap.entry_for(model)
    return entry is not None and entry.subject == "self"


def _subject_problem(model: type[Model], subject: str | None) -> str | None:
    """Why ``subject`` does not lead from a row of ``model`` to a person's public id, or None.

    Mirrors what ``datamap.subject_of`` and ``datamap.subject_filter`` do with it.
    """
    if subject is None or subject == datamap.UNLINKED:
        return None
    opts = model._meta
    if subject == "self":
        try:
            public_id = opts.get_field("public_id")
        except FieldDoesNotExist:
            return "subject='self' needs a public_id field"
        if not isinstance(public_id, UUIDField):
            return "subject='self' needs public_id to be a UUIDField"
        return None
    if subject.startswith("id:"):
        try:
            target = opts.get_field(subject[3:])
        except FieldDoesNotExist:
            return f"{subject!r} names no field"
        if not isinstance(target, UUIDField):
            return f"{subject!r} must name a UUIDField holding a person's public id"
        return None
    current = model
    for step in subject.split("__"):
        try:
            relation = current._meta.get_field(step)
        except FieldDoesNotExist:
            return f"{subject!r}: {current._meta.label} has no field {step!r}"
        # One row leads to at most one person: forward foreign keys and one-to-one relations.
        if not relation.is_relation or relation.many_to_many or relation.one_to_many:
            return f"{subject!r}: {current._meta.label}.{step} is not a to-one relation"
        current = relation.related_model
    if not _is_person(current):
        return f"{subject!r} ends at {current._meta.label}, which is not a person (subject='self')"
    return None


def _entry_problems(model: type[Model], entry: datamap.ModelMap) -> list[checks.CheckMessage]:
    label = model._meta.label
    problems: list[checks.CheckMessage] = []
    names = set(_field_names(model))
    for name in sorted(names - set(entry.fields)):
        problems.append(
            checks.Error(
                f"{label}.{name} is not classified in the data map.",
                hint="Give it a FieldRule (category, purposes, legal basis, retention, "
                "erasure, readers) in the app's privacy.py.",
                obj=model,
                id="privacy.E002",
            )
        )
    for name in sorted(set(entry.fields) - names):
        problems.append(
            checks.Error(
                f"{label}.{name} is classified but is not a field.",
                obj=model,
                id="privacy.E003",
            )
        )
    reason = _subject_problem(model, entry.subject)
    if reason is not None:
        problems.append(
            checks.Error(
                f"{label} has an invalid subject: {reason}.",
                hint="Use 'self', a to-one relation path to a person ('order__user'), "
                "'id:<uuid field>', datamap.UNLINKED or None (see cll/privacy/datamap.py).",
                obj=model,
                id="privacy.E005",
            )
        )
    for field in model._meta.concrete_fields:
        rule = entry.fields.get(field.name)
        if isinstance(field, EncryptedFieldMixin) and rule is not None and not rule.encrypted:
            problems.append(
                checks.Error(
                    f"{label}.{field.name} is encrypted but the data map says encrypted=False.",
                    hint="Set encrypted=True on its FieldRule: the record of processing and the "
                    "privacy policy are generated from it.",
                    obj=model,
                    id="privacy.E007",
                )
            )
    if entry.subject == datamap.UNLINKED:
        for name, rule in sorted(entry.personal_fields.items()):
            if datamap.RETENTION[rule.retention].days is None:
                problems.append(
                    checks.Error(
                        f"{label}.{name} is personal data in rows that cannot be linked to "
                        f"a person, but its retention rule {rule.retention!r} has no limit.",
                        hint="Erasure cannot find these rows; only a retention rule with a "
                        "number of days (and the job that applies it) removes them.",
                        obj=model,
                        id="privacy.E006",
                    )
                )
    return problems


def model_problems(models: Iterable[type[Model]]) -> list[checks.CheckMessage]:
    """Errors for the given models against the data map (missing or unclassified fields)."""
    problems: list[checks.CheckMessage] = []
    for model in models:
        if model._meta.proxy or not model._meta.managed:
            continue
        entry = datamap.entry_for(model)
        if entry is None:
            module = model._meta.app_config.name.replace(".", "/")
            problems.append(
                checks.Error(
                    f"{model._meta.label} is not declared in the data map.",
                    hint=f"Declare it in {module}/privacy.py with "
                    "datamap.register(); see CONTRIBUTING.md.",
                    obj=model,
                    id="privacy.E001",
                )
            )
            continue
        problems.extend(_entry_problems(model, entry))
    return problems


def _unknown_labels() -> list[checks.CheckMessage]:
    # A typo or a removed model: no installed model leads to such an entry.
    problems: list[checks.CheckMessage] = []
    for entry in datamap.entries():
        if _model_or_none(entry.label) is None:
            problems.append(
                checks.Error(
                    f"{entry.label} is declared in the data map but is not an installed model.",
                    hint="Remove the declaration, or declare a third-party model only when its "
                    "app is installed.",
                    id="privacy.E004",
                )
            )
    return problems


def _undeclared_third_party(configs: Iterable[AppConfig]) -> list[checks.CheckMessage]:
    prefix = settings.PRIVACY_PROJECT_APPS_PREFIX
    return [
        checks.Warning(
            f"{model._meta.label} (third-party) is not declared in the data map.",
            hint="Declare it with third_party=True in cll/privacy/thirdparty.py.",
            obj=model,
            id="privacy.W001",
        )
        for config in configs
        if not config.name.startswith(prefix)
        for model in config.get_models()
        if not model._meta.proxy and model._meta.managed and datamap.entry_for(model) is None
    ]


@checks.register("privacy")
def check_data_map(
    app_configs: Iterable[AppConfig] | None = None, **kwargs
) -> list[checks.CheckMessage]:
    prefix = settings.PRIVACY_PROJECT_APPS_PREFIX
    configs = list(app_configs or apps.get_app_configs())
    labels = {config.label for config in configs}
    project_models = [
        model
        for config in configs
        if config.name.startswith(prefix)
        for model in config.get_models()
    ]
    # Third-party declarations are held to the same rules: a library upgrade that adds a
    # column must be classified before it ships.
    third_party_models = [
        model
        for entry in datamap.entries()
        if entry.third_party and entry.label.partition(".")[0] in labels
        if (model := _model_or_none(entry.label)) is not None
    ]
    return (
        model_problems(project_models + third_party_models)
        + _unknown_labels()
        + _undeclared_third_party(configs)
    )


def _model_or_none(label: str) -> type[Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None
