"""System checks of the erasure engine (see engine.py, "Rule for legal hold and encryption").

- erasure.E001: a field under legal hold is encrypted on a model whose rows are about a person:
  it is sealed with that person's data key, which erasure destroys;
- erasure.E002: a model kept under legal hold has a CASCADE foreign key to a model whose rows
  erasure deletes: deleting those would delete the rows the law makes us keep.

Before serving (deployment checks tagged ``serving``, cll/core/serving.py: run when the web
server starts, never for ``migrate`` or ``erasure_journal_replay``):

- erasure.E003: the database is behind the erasure journal (restored from an older backup):
  it would serve people erased since; ``manage.py erasure_journal_replay`` puts it right;
- erasure.E004: the journal has lines but the database cannot say how far it is (not migrated);
- erasure.W001: the journal ends before the database's position: it was truncated or replaced.
"""

from __future__ import annotations

from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError, models

from cll.core.serving import SERVING
from cll.erasure.engine import erasure_plan
from cll.erasure.journal import journal_last_seq, journal_path, journal_watermark
from cll.privacy.datamap import Erasure

REPLAY = "manage.py erasure_journal_replay"


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


@checks.register(SERVING, deploy=True)
def database_holds_the_journal(app_configs=None, databases=None, **kwargs):
    """Refuse to serve a database restored from a backup older than the latest erasures.

    Cheap (it runs at every start): the journal's tail, and one row only when the journal has
    lines; an empty or missing journal asks nothing of the database.
    """
    if databases is not None and DEFAULT_DB_ALIAS not in databases:
        return []
    journal = journal_last_seq()
    if journal == 0:
        return []
    try:
        database = journal_watermark()
    except DatabaseError as exc:
        return [
            checks.Error(
                f"The erasure journal {journal_path()} has {journal} line(s), but the database "
                f"cannot tell which of them it holds ({type(exc).__name__}: is it migrated?).",
                hint=f"Run manage.py migrate, then {REPLAY}.",
                id="erasure.E004",
            )
        ]
    if database < journal:
        return [
            checks.Error(
                f"The database is behind the erasure journal: the journal {journal_path()} "
                f"ends at line {journal}, the database holds its erasures up to line "
                f"{database} only. It was probably restored from a backup older than the latest "
                "erasures: it would serve the people erased since.",
                hint=f"Run {REPLAY} (it erases them again), then start the site.",
                id="erasure.E003",
            )
        ]
    if database > journal:
        return [
            checks.Warning(
                f"The erasure journal {journal_path()} ends at line {journal}, but the database "
                f"holds erasures up to line {database}: the journal was truncated or replaced.",
                hint=f"Restore it from its off-site copy (CLL_ERASURE_JOURNAL), then run {REPLAY}.",
                id="erasure.W001",
            )
        ]
    return []
