"""The data map: one declaration, in each app's ``privacy.py``, of every field of every model.

For each field it says what kind of data it is, why we hold it (declared purposes), on which
legal basis, how long (declared retention rules), what erasure does to it, which staff roles may
read it, who receives it and whether it is encrypted. For each model it says how a row leads to
the person it is about (``subject``), so export, erasure, retention and per-person encryption
keys can find that person's rows without a hand-written list. The system check in ``checks.py``
refuses any unclassified field and any subject path that does not lead to a person.

``subject`` is one of:

- ``"self"``: the row is the person (it has a ``public_id``);
- a relation path to such a row, e.g. ``"order__user"``;
- ``"id:<field>"``: a UUID field holding the person's public id (no foreign key, e.g. ledgers);
- ``UNLINKED``: rows hold personal data but cannot be tied to a person id by a query (e.g. a
  session's signed blob). Export and erasure cannot find them, so their personal fields must
  have a retention rule with a number of days: retention is what removes them;
- ``None``: the rows are not about anyone (only allowed when no field is personal).

Apps import this module; it imports no domain app (it learns about them through registration).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cll.core.roles import Role

# Rows that hold personal data which no query can tie to a person id (see module docstring).
UNLINKED = "unlinked"


class Category(models.TextChoices):
    IDENTITY = "identity", _("Identity")
    CONTACT = "contact", _("Contact details")
    LEARNING = "learning", _("Learning profile")
    MINOR = "minor", _("Data about a child")
    FINANCIAL = "financial", _("Financial data")
    TECHNICAL = "technical", _("Technical data and logs")
    CONTENT = "content", _("Content you wrote")
    SECURITY = "security", _("Security credentials")
    NONE = "none", _("Not personal data")


class Basis(models.TextChoices):
    """GDPR Art. 6(1) legal bases."""

    CONSENT = "consent", _("Consent (GDPR Art. 6(1)(a))")
    CONTRACT = "contract", _("Contract (GDPR Art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (GDPR Art. 6(1)(c))")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest (GDPR Art. 6(1)(f))")
    NONE = "none", _("None needed (not personal data)")


class Erasure(models.TextChoices):
    DELETE = "delete", _("Deleted")
    ANONYMISE = "anonymise", _("Anonymised")
    LEGAL_HOLD = "legal_hold", _("Kept under legal hold, detached from the person")
    KEEP = "keep", _("Kept (not personal data)")


@dataclass(frozen=True)
class Retention:
    key: str
    # Shown to people (privacy policy, data export, staff pages): a plain sentence, translated
    # (gettext_lazy, or format_lazy around ngettext_lazy for a number of days). Commands and
    # settings are operators' business: the README's data-cleanup section names them.
    text: str | Promise
    days: int | None = None  # None: tied to an event (account closed, contract ended...)

    @property
    def description(self) -> str:
        """The rule in the active language."""
        return str(self.text)


RETENTION: dict[str, Retention] = {}


def retention_rule(key: str, description: str | Promise, days: int | None = None) -> str:
    """Declare a retention rule once; field rules refer to it by key.

    ``description`` is read by people: a translatable plain sentence without command or
    setting names (see ``Retention.text``).
    """
    rule = Retention(key, description, days)
    existing = RETENTION.get(key)
    if existing is not None and existing != rule:
        raise ValueError(f"Retention rule {key!r} declared twice with different terms.")
    RETENTION[key] = rule
    return key


NOT_PERSONAL_RETENTION = retention_rule("none", _("Not personal data: no limit."))


@dataclass(frozen=True, eq=False)
class Purpose:
    key: str
    # Shown to people (privacy policy, record of processing): a gettext_lazy string.
    description: str | Promise


PURPOSES: dict[str, Purpose] = {}


def purpose(key: str, description: str | Promise) -> str:
    """Declare a purpose of processing once; field rules refer to it by key.

    The description is shown to people in the privacy policy, so pass it through gettext_lazy.
    """
    existing = PURPOSES.get(key)
    if existing is not None:
        # Comparing lazy strings translates them, which is fine: re-declarations happen in
        # privacy.py modules, imported once the app registry (and so translation) is ready.
        if str(existing.description) != str(description):
            raise ValueError(f"Purpose {key!r} declared twice with different descriptions.")
        return key
    PURPOSES[key] = Purpose(key, description)
    return key


# Purposes of the platform itself, declared here rather than in an app's privacy.py so that they
# exist whatever order the apps' data maps are imported in.
ACCOUNT_PURPOSE = purpose(
    "account",
    _("Creating and running your account: signing you in and writing to you about it."),
)
SECURITY_PURPOSE = purpose(
    "security",
    _("Keeping the service and your account secure: authentication and abuse prevention."),
)
ACCOUNTABILITY_PURPOSE = purpose(
    "accountability",
    _(
        "Proving that we respect data-protection law: who read or changed personal data, "
        "consents given or withdrawn, and how your requests were handled."
    ),
)


@dataclass(frozen=True, eq=False)
class Recipient:
    """Someone outside CLL who receives personal data (a processor or a third party).

    Field rules name recipients by key. The record of processing lists them; rectification,
    erasure and restriction are notified to them (GDPR Art. 19) at ``contact``.
    """

    key: str
    name: str
    # What they do with the data, shown to people: a gettext_lazy string.
    description: str | Promise
    country: str = "BE"  # ISO 3166 code where the data is processed
    # The safeguard for a transfer outside the EEA (GDPR Art. 46), empty inside it.
    transfer_safeguard: str = ""
    # Where Art. 19 notifications go (an e-mail address); empty: notified by staff by hand.
    contact: str = ""


RECIPIENTS: dict[str, Recipient] = {}


def recipient(
    key: str,
    name: str,
    description: str | Promise,
    *,
    country: str = "BE",
    transfer_safeguard: str = "",
    contact: str = "",
) -> str:
    """Declare a recipient once; field rules refer to it by key in ``recipients``."""
    new = Recipient(key, name, description, country, transfer_safeguard, contact)
    existing = RECIPIENTS.get(key)
    if existing is not None:
        if (existing.name, existing.country, existing.contact) != (name, country, contact):
            raise ValueError(f"Recipient {key!r} declared twice with different terms.")
        return key
    RECIPIENTS[key] = new
    return key


SMTP_RELAY = recipient(
    "smtp-relay",
    "SMTP relay",
    _("Our e-mail relay, which carries the messages we send you to your mail server."),
)


@dataclass(frozen=True, eq=False)
class People:
    """A category of people the data is about (GDPR Art. 30(1)(c)), for the record of
    processing. Models name them by key in ``register(..., people=...)``."""

    key: str
    # Shown to people and auditors: a gettext_lazy string.
    description: str | Promise


PEOPLE: dict[str, People] = {}


def people_category(key: str, description: str | Promise) -> str:
    """Declare a category of people once; ``register(..., people=(key, ...))`` refers to it."""
    existing = PEOPLE.get(key)
    if existing is not None:
        if str(existing.description) != str(description):
            raise ValueError(f"People category {key!r} declared twice with different terms.")
        return key
    PEOPLE[key] = People(key, description)
    return key


ACCOUNT_HOLDERS = people_category(
    "account-holders", _("People with an account: learners, guardians of children and staff")
)
OTHER_PEOPLE = people_category(
    "others",
    _(
        "People without an account whom a record names: visitors who write to us or make a "
        "request, parents asked for their consent"
    ),
)


@dataclass(frozen=True)
class FieldRule:
    category: str
    purposes: tuple[str, ...]
    basis: str
    retention: str
    erasure: str
    readers: tuple[str, ...] = (Role.SELF,)
    recipients: tuple[str, ...] = ()
    encrypted: bool = False

    def __post_init__(self):
        # Fail at import time, with the offending value, rather than in a later export or purge.
        for value, choices in (
            (self.category, Category),
            (self.basis, Basis),
            (self.erasure, Erasure),
        ):
            if value not in choices.values:
                raise ValueError(f"Unknown {choices.__name__.lower()} {value!r}.")
        if self.retention not in RETENTION:
            raise ValueError(f"Unknown retention rule {self.retention!r}: declare it first.")
        for key in self.purposes:
            if key not in PURPOSES:
                raise ValueError(f"Unknown purpose {key!r}: declare it first with purpose().")
        for key in self.recipients:
            if key not in RECIPIENTS:
                raise ValueError(f"Unknown recipient {key!r}: declare it first with recipient().")
        if self.category == Category.NONE and self.erasure not in (Erasure.KEEP, Erasure.DELETE):
            raise ValueError("A field that is not personal data is kept or deleted with its row.")
        # GDPR Art. 5(1)(b) and 6(1): no personal data without a purpose and a legal basis.
        if self.category != Category.NONE and (not self.purposes or self.basis == Basis.NONE):
            raise ValueError("A personal-data field needs at least one purpose and a legal basis.")

    @property
    def personal(self) -> bool:
        return self.category != Category.NONE


NOT_PERSONAL = FieldRule(
    category=Category.NONE,
    purposes=(),
    basis=Basis.NONE,
    retention=NOT_PERSONAL_RETENTION,
    erasure=Erasure.KEEP,
    readers=("*",),
)


def same(rule: FieldRule, *names: str) -> dict[str, FieldRule]:
    """Give several fields the same rule: ``fields={**same(rule, "a", "b"), ...}``."""
    return dict.fromkeys(names, rule)


@dataclass
class ModelMap:
    label: str  # "app_label.ModelName"
    subject: str | None  # "self", "order__user", "id:<field>", UNLINKED or None: see above
    fields: dict[str, FieldRule]
    description: str = ""
    third_party: bool = False
    declared_in: str = field(default="", compare=False)
    # What people call these rows (erasure pages, data export), translated and counts-free
    # ("Sign-in methods", "Data key"); empty: the model's plural verbose name.
    title: str | Promise = ""
    # Categories of people (keys of PEOPLE); empty: see ``people_keys``.
    people: tuple[str, ...] = ()

    @property
    def people_keys(self) -> tuple[str, ...]:
        """The declared categories of people, else a default from the subject: rows reached
        through an account are about account holders, other linkable rows about anyone."""
        if self.people:
            return self.people
        if not self.personal_fields:
            return ()
        if self.subject == "self" or (self.linkable and not self.subject.startswith("id:")):
            return (ACCOUNT_HOLDERS,)
        return (ACCOUNT_HOLDERS, OTHER_PEOPLE)

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.label)

    @property
    def display_name(self) -> str:
        """The rows' name for people, in the active language, with a capital first letter."""
        name = str(self.title or self.model._meta.verbose_name_plural)
        return name[:1].upper() + name[1:]

    @property
    def personal_fields(self) -> dict[str, FieldRule]:
        return {name: rule for name, rule in self.fields.items() if rule.personal}

    @property
    def linkable(self) -> bool:
        """Whether a query can find the rows about one person (export, erasure)."""
        return self.subject not in (None, UNLINKED)


_REGISTRY: dict[str, ModelMap] = {}


def register(
    label: str,
    *,
    subject: str | None,
    fields: dict[str, FieldRule],
    description: str = "",
    third_party: bool = False,
    people: tuple[str, ...] = (),
    title: str | Promise = "",
) -> ModelMap:
    """Declare one model. Called from an app's ``privacy.py`` at start-up.

    ``people`` (optional) names the categories of people its rows are about (``PEOPLE``).
    ``title`` is what people call the rows (gettext_lazy, no count in it: "Sign-in methods"),
    shown on the erasure pages and in the data export instead of the model's name."""
    for key in people:
        if key not in PEOPLE:
            raise ValueError(f"Unknown people category {key!r}: declare it with people_category().")
    if label in _REGISTRY:
        raise ValueError(f"{label} is declared twice in the data map.")
    if subject is None and any(rule.personal for rule in fields.values()):
        raise ValueError(f"{label} holds personal data but says whose it is not (subject=None).")
    entry = ModelMap(
        label=label,
        subject=subject,
        fields=dict(fields),
        description=description,
        third_party=third_party,
        people=tuple(people),
        title=title,
    )
    _REGISTRY[label] = entry
    return entry


def entries() -> Iterator[ModelMap]:
    return iter(sorted(_REGISTRY.values(), key=lambda entry: entry.label))


def entry_for(model: type[models.Model] | str) -> ModelMap | None:
    label = model if isinstance(model, str) else model._meta.label
    return _REGISTRY.get(label)


def rule_for(model: type[models.Model] | str, field_name: str) -> FieldRule | None:
    entry = entry_for(model)
    return None if entry is None else entry.fields.get(field_name)


def subject_of(instance: models.Model) -> uuid.UUID | None:
    """The public id of the person a row is about, following the model's declared path.

    None when the model is not about anyone or its rows cannot be linked to a person.
    """
    entry = entry_for(type(instance))
    if entry is None or not entry.linkable:
        return None
    if entry.subject.startswith("id:"):
        return getattr(instance, entry.subject[3:])
    target = instance
    if entry.subject != "self":
        for step in entry.subject.split("__"):
            target = getattr(target, step, None)
            if target is None:
                return None
    return target.public_id


def subject_filter(model: type[models.Model] | str, subject: uuid.UUID) -> models.Q:
    """A filter selecting the rows of ``model`` about the person whose public id is given.

    It selects nothing for unlinked models: their rows are removed by retention, not per person.
    """
    entry = entry_for(model)
    if entry is None or not entry.linkable:
        return models.Q(pk__in=[])
    if entry.subject == "self":
        return models.Q(public_id=subject)
    if entry.subject.startswith("id:"):
        return models.Q(**{entry.subject[3:]: subject})
    return models.Q(**{f"{entry.subject}__public_id": subject})


def personal_models() -> Iterable[ModelMap]:
    return (entry for entry in entries() if entry.personal_fields)
