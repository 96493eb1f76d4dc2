"""System checks of the erasure engine (see engine.py, "Rule for legal hold and encryption").

- erasure.E001: a field under legal hold is encrypted on a model whose rows are about a person:
  it is sealed with that person's data key, which erasure destroys;
- erasure.E002: a model kept under legal hold has a CASCADE foreign key to a model whose rows
  erasure deletes: deleting those would delete the rows the law makes us keep.
"""

from __future__ import annotations

from django.core import checks
from django.db import models

from cll.erasure.engine import erasure_plan
from cll.privacy.datamap import Erasure


@checks.register()
def legal_hold_survives_erasure(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    plans = erasure_plan()
    deleted = {plan.model for plan in plans if plan.action == Erasure.DELETE}
    for plan in plans:
        for name, rule in plan.entry.personal_fields.items():
            if rule.erasure == Erasure.LEGAL_HOLD and rule.encrypted:
                errors.append(
                    checks.Error(
                        f"{plan.label}.{name} is kept under legal hold but encrypted with the "
                        "data key of the person it is about, which erasure destroys.",
                        hint="Store it unencrypted (database access control protects it), or "
                        "keep the legal copy on a row that is not linked to the person.",
                        obj=plan.model,
                        id="erasure.E001",
                    )
                )
        if plan.action != Erasure.LEGAL_HOLD:
            continue
        for model_field in plan.model._meta.concrete_fields:
            if (
                model_field.is_relation
                and model_field.related_model in deleted
                and model_field.remote_field.on_delete is models.CASCADE
            ):
                errors.append(
                    checks.Error(
                        f"{plan.label}.{model_field.name} cascades from "
                        f"{model_field.related_model._meta.label}, whose rows erasure deletes: "
                        "the rows kept under legal hold would be deleted with them.",
                        hint="Use on_delete=SET_NULL or PROTECT, or keep the related rows "
                        "(anonymise them) in the data map.",
                        obj=plan.model,
                        id="erasure.E002",
                    )
                )
    return errors
