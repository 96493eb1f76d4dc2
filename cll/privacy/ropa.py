"""The record of processing activities (GDPR Art. 30(1)), generated from the data map.

Nothing here lists a purpose, a recipient or a category by hand: each processing activity is a
purpose declared with ``datamap.purpose``, and what it says (legal bases, categories of people
and of data, recipients, transfers, time limits) is gathered from the field rules that name
that purpose. A purpose, a recipient or a model added to the map appears in the record without
touching this module. Only two things are declared here, because the map cannot know them: the
controller's identity (settings) and the general description of the security measures
(Art. 30(1)(g)).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cll.privacy import datamap
from cll.privacy.datamap import Basis, Category, Recipient, Retention

# Member states of the European Economic Area (EU + Iceland, Liechtenstein, Norway): a recipient
# elsewhere is a transfer that needs a safeguard (GDPR Chapter V).
EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)

# Art. 30(1)(g): "a general description of the technical and organisational security measures".
SECURITY_MEASURES = (
    gettext_lazy(
        "Encryption at rest of personal data with AES-256-GCM: one data key per person, wrapped "
        "by a versioned master keyring kept outside the database; erasing a person destroys "
        "their key (crypto-shredding), backups included."
    ),
    gettext_lazy(
        "Encryption in transit: the site is served over HTTPS only (TLS, HSTS); e-mail goes to "
        "the relay over TLS when it offers it."
    ),
    gettext_lazy(
        "Two-factor authentication (authenticator app or security key) for every staff page "
        "and the administration."
    ),
    gettext_lazy(
        "Least privilege: each staff role reads only the fields the data map allows it; "
        "every staff read of a person's data is recorded."
    ),
    gettext_lazy(
        "An append-only, hash-chained audit ledger of access to personal data, consents and "
        "requests, verified with manage.py audit_verify."
    ),
    gettext_lazy(
        "Retention periods applied every day by code; an erasure journal keeps erased people "
        "erased when a backup is restored."
    ),
    gettext_lazy("Passwords hashed with Argon2; exact lookups of encrypted values by HMAC."),
    gettext_lazy(
        "Content Security Policy with nonces, CSRF protection, no third-party request before "
        "consent, every asset self-hosted."
    ),
    gettext_lazy(
        "A register of personal-data breaches with the 72-hour notification clock (GDPR Art. 33)."
    ),
)


@dataclass
class Activity:
    """One processing activity: a declared purpose and everything the map says about it."""

    key: str
    description: str
    bases: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    data_categories: list[str] = field(default_factory=list)
    recipients: list[Recipient] = field(default_factory=list)
    retention: list[Retention] = field(default_factory=list)
    models: list[str] = field(default_factory=list)

    @property
    def transfers(self) -> list[Recipient]:
        return [recipient for recipient in self.recipients if outside_eea(recipient)]


def outside_eea(recipient: Recipient) -> bool:
    return recipient.country.upper() not in EEA


def controller() -> dict[str, str]:
    """Art. 30(1)(a): name and contact details of the controller."""
    return {
        "name": settings.ORGANISATION_NAME,
        "address": settings.POSTAL_ADDRESS,
        "privacy_email": settings.PRIVACY_EMAIL,
        "company_number": settings.COMPANY_NUMBER,
        "dpa_registration": settings.DPA_REGISTRATION,
    }


def activities() -> list[Activity]:
    """Every declared purpose, in key order, with what the map's field rules say about it."""
    found = {
        key: Activity(key=key, description=str(purpose.description))
        for key, purpose in sorted(datamap.PURPOSES.items())
    }
    bases: dict[str, set[str]] = {key: set() for key in found}
    people: dict[str, set[str]] = {key: set() for key in found}
    data: dict[str, set[str]] = {key: set() for key in found}
    recipients: dict[str, set[str]] = {key: set() for key in found}
    rules: dict[str, set[str]] = {key: set() for key in found}
    models: dict[str, set[str]] = {key: set() for key in found}
    for entry in datamap.personal_models():
        for rule in entry.personal_fields.values():
            for key in rule.purposes:
                bases[key].add(rule.basis)
                people[key].update(entry.people_keys)
                data[key].add(rule.category)
                recipients[key].update(rule.recipients)
                rules[key].add(rule.retention)
                models[key].add(entry.label)
    for key, activity in found.items():
        activity.bases = [str(Basis(value).label) for value in sorted(bases[key])]
        activity.people = [str(datamap.PEOPLE[value].description) for value in sorted(people[key])]
        activity.data_categories = [str(Category(value).label) for value in sorted(data[key])]
        activity.recipients = [datamap.RECIPIENTS[value] for value in sorted(recipients[key])]
        activity.retention = [datamap.RETENTION[value] for value in sorted(rules[key])]
        activity.models = sorted(models[key])
    return list(found.values())


def _recipient_document(recipient: Recipient) -> dict[str, Any]:
    return {
        "key": recipient.key,
        "name": recipient.name,
        "description": str(recipient.description),
        "country": recipient.country,
        "outside_eea": outside_eea(recipient),
        "transfer_safeguard": recipient.transfer_safeguard,
    }


def _retention_document(rule: Retention) -> dict[str, Any]:
    return {"key": rule.key, "description": rule.description, "days": rule.days}


def ropa_document() -> dict[str, Any]:
    """The whole record as plain data (JSON), texts in the active language."""
    found = activities()
    recipients = sorted(datamap.RECIPIENTS.values(), key=lambda recipient: recipient.key)
    return {
        "title": _("Record of processing activities (GDPR Art. 30(1))"),
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "controller": controller(),
        "activities": [
            {
                "key": activity.key,
                "purpose": activity.description,
                "legal_bases": activity.bases,
                "categories_of_people": activity.people,
                "categories_of_data": activity.data_categories,
                "recipients": [_recipient_document(r) for r in activity.recipients],
                "transfers_outside_eea": [_recipient_document(r) for r in activity.transfers],
                "time_limits": [_retention_document(rule) for rule in activity.retention],
                "models": activity.models,
            }
            for activity in found
        ],
        "recipients": [_recipient_document(recipient) for recipient in recipients],
        "transfers_outside_eea": [
            _recipient_document(recipient) for recipient in recipients if outside_eea(recipient)
        ],
        "time_limits": [
            _retention_document(rule)
            for key, rule in sorted(datamap.RETENTION.items())
            if key != datamap.NOT_PERSONAL_RETENTION
        ],
        "security_measures": [str(measure) for measure in SECURITY_MEASURES],
    }


CSV_COLUMNS = (
    "controller",
    "controller_address",
    "controller_contact",
    "activity",
    "purpose",
    "legal_bases",
    "categories_of_people",
    "categories_of_data",
    "recipients",
    "transfers_outside_eea",
    "time_limits",
    "security_measures",
)


def _recipient_text(recipient: dict[str, Any]) -> str:
    text = f"{recipient['name']} ({recipient['country']})"
    if recipient["transfer_safeguard"]:
        text += f": {recipient['transfer_safeguard']}"
    return text


def _limit_text(rule: dict[str, Any]) -> str:
    days = f" [{rule['days']} days]" if rule["days"] is not None else ""
    return f"{rule['key']}{days}: {rule['description']}"


def ropa_csv(document: dict[str, Any] | None = None) -> str:
    """One row per processing activity; the controller and the security measures, which
    concern every activity, are repeated on each row so that every row stands alone."""
    document = document or ropa_document()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    owner = document["controller"]
    measures = " | ".join(document["security_measures"])
    for activity in document["activities"]:
        writer.writerow(
            (
                owner["name"],
                owner["address"],
                owner["privacy_email"],
                activity["key"],
                activity["purpose"],
                " | ".join(activity["legal_bases"]),
                " | ".join(activity["categories_of_people"]),
                " | ".join(activity["categories_of_data"]),
                " | ".join(_recipient_text(r) for r in activity["recipients"]),
                " | ".join(_recipient_text(r) for r in activity["transfers_outside_eea"]),
                " | ".join(_limit_text(rule) for rule in activity["time_limits"]),
                measures,
            )
        )
    return out.getvalue()
