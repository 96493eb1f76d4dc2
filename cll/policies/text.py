"""Policy texts: the first versions shipped as files, and markdown rendered to safe HTML.

The first version of each policy lives in ``texts/<kind>/<version>.<language>.md`` and is loaded
into the database by a data migration (``0002_first_versions``). The same files back the public
pages while no version is in the database (a database emptied by a test's flush), so the page
never goes blank.

Texts may name the site identity with placeholders (``{privacy_email}``, ``{postal_address}``,
``{organisation_name}``, ``{dpa_registration}``, ``{company_number}``) and two links
(``{privacy_url}``, ``{contact_url}``): the settings are the one source of these facts, so the
text cannot disagree with the footer.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString

from cll.lib.markup import markdown_to_safe_html

TEXTS_DIR = Path(__file__).resolve().parent / "texts"

# The versions shipped as files: (kind, version label). The privacy policy's label is the one
# parental consents recorded before any version was published (settings.PRIVACY_POLICY_VERSION).
FIRST_VERSIONS = (("privacy", "2026-11"), ("terms", "2026-11"))

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def first_version_bodies(kind: str, version: str) -> dict[str, str]:
    """The texts of a version shipped as files, by language ("" where there is no file)."""
    bodies = {}
    for language in ("fr", "en", "nl"):
        path = TEXTS_DIR / kind / f"{version}.{language}.md"
        bodies[language] = path.read_text(encoding="utf-8") if path.exists() else ""
    return bodies


def _placeholders() -> dict[str, str]:
    return {
        "privacy_email": settings.PRIVACY_EMAIL,
        "postal_address": settings.POSTAL_ADDRESS,
        "organisation_name": settings.ORGANISATION_NAME,
        "dpa_registration": settings.DPA_REGISTRATION,
        "company_number": settings.COMPANY_NUMBER,
        "privacy_url": reverse("policies:privacy_policy"),
        "contact_url": reverse("helpdesk:contact"),
    }


def policy_markdown_render(text: str) -> SafeString:
    """Markdown to safe HTML (``cll.lib.markup``) with placeholders such as ``{privacy_email}``
    filled in from the settings."""
    return _rendered(text, tuple(_placeholders().items()))


@functools.lru_cache(maxsize=64)
def _rendered(text: str, placeholders: tuple[tuple[str, str], ...]) -> SafeString:
    # A policy is long (markdown and sanitising: ~10 ms) and its published versions never
    # change: each text is rendered once per process with the values it was given (bounded:
    # staff previews of drafts pass through too).
    values = dict(placeholders)

    def fill(html: str) -> str:
        return _PLACEHOLDER.sub(
            lambda match: escape(values[match[1]]) if match[1] in values else match[0], html
        )

    return markdown_to_safe_html(text, tables=True, transform=fill)
