"""The erasure engine: one person's rows in every app, erased as the data map says.

The data map (``cll/privacy/datamap.py``, each app's ``privacy.py``) declares an erasure action
for every field. The action of a *row* follows from its fields:

- a field under **legal hold** keeps the row (e.g. an invoice): its other personal fields are
  cleared, and the row is detached from the person: a nullable foreign key that leads straight
  to the person is set to NULL; otherwise (a NOT NULL key, or a pseudonymous id such as the
  audit ledger's, which a hash chain forbids rewriting) the link is left pointing at nothing
  personal, because the person's account row is itself anonymised into an empty shell;
- else a field to **anonymise** keeps the row, with every personal field set to a neutral value
  (NULL where allowed, an empty string, the field's default, or a random value for unique
  columns); a nullable foreign key to the person is set to NULL, a NOT NULL one stays,
  pointing at the anonymised account;
- else (every personal field is **deleted**) the row is deleted.

Model-specific anonymisation (the account row keeps existing, with an unusable address and
password) is registered with ``@anonymiser("app_label.Model")`` instead of branching here; the
registered function receives the row and the names of the fields to clear. Apps put theirs in an
``anonymisers.py`` module, discovered at start-up.

Rule for legal hold and encryption: a field under legal hold must never be sealed with the
person's data key, since erasure destroys that key (crypto-shredding) and the record the law
makes us keep would become noise. The system check ``erasure.E001`` refuses such a field;
``erasure.E002`` refuses a row under legal hold that a deleted row would take with it (a
``CASCADE`` foreign key to a model whose rows erasure deletes).

``erase_subject`` runs inside the caller's transaction: kept rows are found first (so a
deletion or a detachment cannot hide a row reached through it), then deleted rows go (one
DELETE per model, deepest paths first), then kept rows are cleared, then the person's own row,
and finally the data key is destroyed.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from cll.core.encryption import EncryptedFieldMixin, data_key_destroy
from cll.privacy import datamap
from cll.privacy.datamap import Erasure, ModelMap

# Rows are found and changed this many primary keys at a time (below every database's limit
# on query parameters).
CHUNK = 500

# (row, names of the fields to clear) -> None; the function saves the row itself.
AnonymiseFn = Callable[[models.Model, tuple[str, ...]], bool | None]
_ANONYMISERS: dict[str, AnonymiseFn] = {}


def anonymiser(label: str) -> Callable[[AnonymiseFn], AnonymiseFn]:
    """Register how rows of ``label`` ("app_label.Model") are anonymised.

    The function gets each row and the names of its personal fields that erasure must clear
    (those whose rule is ``delete`` or ``anonymise``; ``neutralise`` does the generic part) and
    must save the row; it returns False when it left the row to another step (not counted).
    One function per model.
    """

    def register(function: AnonymiseFn) -> AnonymiseFn:
        if label in _ANONYMISERS and _ANONYMISERS[label] is not function:
            raise ValueError(f"{label} already has an anonymiser.")
        _ANONYMISERS[label] = function
        return function

    return register


def anonymisers_discover() -> None:
    """Import every installed app's ``anonymisers.py`` (called once by the app config)."""
    autodiscover_modules("anonymisers")


# -- The plan: what erasure does to each model, read from the data map -------------------------


def row_action(entry: ModelMap) -> str:
    """What erasure does to a row of this model: legal hold > anonymise > delete."""
    actions = {rule.erasure for rule in entry.personal_fields.values()}
    if Erasure.LEGAL_HOLD in actions:
        return Erasure.LEGAL_HOLD
    if Erasure.ANONYMISE in actions:
        return Erasure.ANONYMISE
    return Erasure.DELETE


@dataclass(frozen=True)
class ModelPlan:
    entry: ModelMap
    action: str
    # Personal fields cleared on a kept row (their rule is delete or anonymise).
    clear: tuple[str, ...]
    # A nullable foreign key straight to the person, set to NULL on a row under legal hold.
    detach: str | None

    @property
    def model(self) -> type[models.Model]:
        return self.entry.model

    @property
    def label(self) -> str:
        return self.entry.label


def erasure_plan() -> list[ModelPlan]:
    """Every model with rows that erasure finds by person, with what it does to them."""
    plans = []
    for entry in datamap.personal_models():
        if not entry.linkable:
            continue
        action = row_action(entry)
        clear = tuple(
            name
            for name, rule in entry.personal_fields.items()
            if rule.erasure in (Erasure.DELETE, Erasure.ANONYMISE)
        )
        detach = None
        subject = entry.subject
        if (
            action == Erasure.LEGAL_HOLD
            and subject != "self"
            and not subject.startswith("id:")
            and "__" not in subject
            and entry.model._meta.get_field(subject).null
        ):
            detach = subject
        plans.append(ModelPlan(entry=entry, action=action, clear=clear, detach=detach))
    return plans


# -- Neutral values -----------------------------------------------------------------------------


class _Keep:
    """Marker: this field cannot be cleared (a NOT NULL foreign key) and is left as it is."""


KEEP = _Keep()


def _unique(model_field: models.Field) -> bool:
    if model_field.unique:
        return True
    model = getattr(model_field, "model", None)
    for constraint in model._meta.constraints if model else ():
        if isinstance(constraint, models.UniqueConstraint) and model_field.name in (
            constraint.fields or ()
        ):
            return True
    return False


def _random_text(model_field: models.Field) -> str:
    token = uuid.uuid4().hex
    if isinstance(model_field, models.EmailField):
        return f"erased-{token}@invalid"
    limit = model_field.max_length or 64
    return f"erased-{token}"[:limit]


def neutral_value(model_field: models.Field) -> object:
    """A value that says nothing about anyone and fits the column (NOT NULL, unique)."""
    if model_field.is_relation:
        return None if model_field.null else KEEP
    if model_field.null:
        return None
    if _unique(model_field):
        if isinstance(model_field, models.UUIDField):
            return uuid.uuid4()
        if model_field.empty_strings_allowed and not isinstance(model_field, EncryptedFieldMixin):
            return _random_text(model_field)
        return KEEP
    if isinstance(model_field, EncryptedFieldMixin):
        if model_field.empty_strings_allowed:
            return ""
        return model_field.get_default() if model_field.has_default() else KEEP
    if model_field.has_default():
        return model_field.get_default()
    if isinstance(model_field, (models.CharField, models.TextField)):
        return ""
    if isinstance(model_field, models.BooleanField):
        return False
    if isinstance(model_field, (models.IntegerField, models.FloatField, models.DecimalField)):
        return 0
    if isinstance(model_field, models.DateTimeField):
        return timezone.now()
    if isinstance(model_field, models.DateField):
        return datetime.date(1970, 1, 1)
    if isinstance(model_field, models.JSONField):
        return {}
    if isinstance(model_field, models.BinaryField):
        return b""
    return KEEP


def neutralise(row: models.Model, names: Iterable[str]) -> list[str]:
    """Set the named fields of ``row`` to neutral values (many-to-many: emptied); save; return
    the names of the columns changed."""
    opts = row._meta
    changed = []
    for name in names:
        model_field = opts.get_field(name)
        if model_field.many_to_many:
            getattr(row, name).clear()
            continue
        value = neutral_value(model_field)
        if value is KEEP:
            continue
        setattr(row, model_field.attname, value)
        changed.append(model_field.attname)
    if changed:
        row.save(update_fields=changed)
    return changed


def _constant_values(plan: ModelPlan) -> dict[str, object] | None:
    """The values for a single UPDATE of every row, or None when rows need one by one."""
    if plan.label in _ANONYMISERS:
        return None
    opts = plan.model._meta
    values: dict[str, object] = {}
    for name in plan.clear:
        model_field = opts.get_field(name)
        if model_field.many_to_many or _unique(model_field):
            return None
        value = neutral_value(model_field)
        if value is KEEP:
            continue
        if isinstance(model_field, EncryptedFieldMixin) and value not in (None, ""):
            return None  # only save() can seal a value
        values[model_field.attname] = value
    if plan.detach:
        values[opts.get_field(plan.detach).attname] = None
    return values


# -- Running it ---------------------------------------------------------------------------------


@dataclass
class Counts:
    """Rows per model label and what happened to them."""

    by_model: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, label: str, outcome: str, n: int) -> None:
        if n:
            self.by_model[label][outcome] = self.by_model[label].get(outcome, 0) + n

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {label: dict(sorted(c.items())) for label, c in sorted(self.by_model.items())}


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _depth(plan: ModelPlan) -> int:
    subject = plan.entry.subject or ""
    return 0 if subject == "self" or subject.startswith("id:") else subject.count("__") + 1


def erase_subject(*, subject: uuid.UUID) -> dict[str, dict[str, int]]:
    """Erase, in the caller's transaction, every row about the person with this public id;
    destroy their data key. Returns counts per model label: ``deleted``, ``anonymised``,
    ``held`` (kept under legal hold). Running it again finds nothing more to do.
    """
    counts = Counts()
    plans = erasure_plan()
    # Kept rows are found before anything changes: a deletion may set to NULL the link
    # through which they are found (see the module docstring).
    found: dict[str, list] = {}
    for plan in plans:
        if plan.action == Erasure.DELETE:
            continue
        manager = plan.model._base_manager
        q = datamap.subject_filter(plan.model, subject)
        if plan.action == Erasure.LEGAL_HOLD and not plan.clear and not plan.detach:
            # Nothing to change on these rows (e.g. the hash-chained ledger): just count them.
            counts.add(plan.label, "held", manager.filter(q).count())
            continue
        found[plan.label] = list(manager.filter(q).values_list("pk", flat=True))

    # One DELETE per model (fast deletes: no row is loaded, nothing decrypted). Deeper paths
    # first: a row found through another deleted row goes before it.
    deleted = [p for p in plans if p.action == Erasure.DELETE]
    for plan in sorted(deleted, key=_depth, reverse=True):
        rows = plan.model._base_manager.filter(datamap.subject_filter(plan.model, subject))
        _total, per_label = rows.delete()
        for label, n in per_label.items():
            counts.add(label, "deleted", n)

    kept = [p for p in plans if p.action != Erasure.DELETE and p.label in found]
    # The person's own row last: the others were found through its public id.
    for plan in sorted(kept, key=lambda p: p.entry.subject == "self"):
        outcome = "held" if plan.action == Erasure.LEGAL_HOLD else "anonymised"
        values = _constant_values(plan)
        for chunk in _chunks(found[plan.label]):
            rows = plan.model._base_manager.filter(pk__in=chunk)
            if values is not None:
                n = rows.update(**values) if values else rows.count()
                counts.add(plan.label, outcome, n)
                continue
            function = _ANONYMISERS.get(plan.label, _default_anonymiser)
            for row in rows:
                if plan.detach:
                    setattr(row, plan.model._meta.get_field(plan.detach).attname, None)
                    row.save(update_fields=[plan.model._meta.get_field(plan.detach).attname])
                # An anonymiser returning False left the row to another step: not counted.
                if function(row, plan.clear) is not False:
                    counts.add(plan.label, outcome, 1)

    if data_key_destroy(subject=subject):
        counts.add("core.DataKey", "destroyed", 1)
    return counts.as_dict()


def _default_anonymiser(row: models.Model, names: tuple[str, ...]) -> None:
    neutralise(row, names)
