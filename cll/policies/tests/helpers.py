"""Building blocks shared by the policies tests."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cll.policies import services
from cll.policies.models import PolicyVersion
from cll.privacy import datamap
from cll.privacy.datamap import Role

TEXTS = {
    "fr": "## 1. Qui nous sommes\n\nTexte français.",
    "en": "## 1. Who we are\n\nEnglish text.",
    "nl": "## 1. Wie we zijn\n\nNederlandse tekst.",
}
CHANGES = {
    "fr": "Nous ajoutons des recommandations de cours.",
    "en": "We add course recommendations.",
    "nl": "We voegen cursusaanbevelingen toe.",
}


def consent_purpose(key: str = "test-recommendations") -> str:
    """A purpose based on consent, declared in the data map for one test (see the fixture)."""
    return datamap.purpose(key, _("Recommending courses from your learning history."))


def published(
    officer,
    *,
    kind: str = "privacy",
    version: str = "2027-01",
    material: bool = True,
    affects_existing_processing: bool = True,
    new_consent_purposes: tuple[str, ...] = (),
    bodies: dict[str, str] | None = None,
) -> PolicyVersion:
    draft = services.policy_version_draft_save(
        actor=officer,
        role=Role.PRIVACY_OFFICER,
        kind=kind,
        version=version,
        bodies=bodies or TEXTS,
        changes=CHANGES,
        material=material,
        affects_existing_processing=affects_existing_processing,
        new_consent_purposes=list(new_consent_purposes),
    )
    return services.policy_version_publish(actor=officer, role=Role.PRIVACY_OFFICER, version=draft)
