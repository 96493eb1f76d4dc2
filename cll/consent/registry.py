"""The cookie registry: every cookie this site or a tag it loads may set, declared in code.

The cookie policy (``consent:cookie_settings``) is generated from it, each published version of
it is kept (``CookiePolicyVersion``, see ``services.cookie_policy_publish``), and in the test
settings a middleware fails any response that sets a cookie missing from it
(``cll.consent.testing.UndeclaredCookieMiddleware``).

Rules enforced by system checks (``cll/consent/checks.py``):
- a first-party cookie used for referral or sponsor tracking lasts at most 30 days (the privacy
  policy's promise);
- no cookie lasts more than 13 months (390 days), the ePrivacy guidance on tracker lifetime.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# Bump when the banner's wording or categories change: every visitor is asked again.
BANNER_VERSION = "2026-11-25"

# Categories a visitor chooses (strictly necessary is always on and never asked).
NECESSARY = "necessary"
PREFERENCES = "preferences"
ANALYTICS = "analytics"
ADVERTISING = "advertising"
CATEGORIES = (NECESSARY, PREFERENCES, ANALYTICS, ADVERTISING)
OPTIONAL_CATEGORIES = (PREFERENCES, ANALYTICS, ADVERTISING)

CATEGORY_LABELS = {
    NECESSARY: _("Strictly necessary"),
    PREFERENCES: _("Preferences"),
    ANALYTICS: _("Analytics"),
    ADVERTISING: _("Advertising"),
}
CATEGORY_DESCRIPTIONS = {
    NECESSARY: _(
        "Needed for the website to work: signing in, protecting forms and remembering your "
        "cookie choice. Always on."
    ),
    PREFERENCES: _("Remember settings you choose so that you do not have to choose them again."),
    ANALYTICS: _(
        "Google Analytics measures how the website is used (pages visited, time spent) so that "
        "we can improve it."
    ),
    ADVERTISING: _(
        "Google Ads and DoubleClick measure our advertisements and show you our advertisements "
        "on other websites (remarketing)."
    ),
}

# Longest lifetime allowed for any cookie (13 months) and for referral cookies (policy: 30 days).
MAX_DAYS = 390
MAX_REFERRAL_DAYS = 30
# Lifetimes we configure on Google's tags (gtag ``cookie_expires``), in days.
GA_COOKIE_DAYS = 390
ADS_COOKIE_DAYS = 30

FIRST_PARTY = "first"
THIRD_PARTY = "third"


@dataclass(frozen=True)
class Cookie:
    """One cookie: ``name`` is exact, or a prefix when ``prefix`` is true (``_ga_`` for
    ``_ga_ABC123``). ``days`` is None for a cookie that ends with the browser session."""

    name: str
    provider: str
    category: str
    # English msgid (gettext_noop): shown with gettext(), stored untranslated in snapshots.
    purpose: str
    days: int | None
    party: str = FIRST_PARTY
    prefix: bool = False
    # Set to follow a visitor from a referral or sponsor (ad click): 30 days at most.
    referral: bool = False

    def matches(self, name: str) -> bool:
        return name.startswith(self.name) if self.prefix else name == self.name

    @property
    def display_name(self) -> str:
        return f"{self.name}*" if self.prefix else self.name

    def snapshot(self) -> dict:
        """A stable, untranslated description (stored in ``CookiePolicyVersion``)."""
        return {
            "name": self.display_name,
            "provider": self.provider,
            "category": self.category,
            # The English msgid: displayed translated while the translation exists.
            "purpose": self.purpose,
            "days": self.days,
            "party": self.party,
            "referral": self.referral,
        }


def consent_cookie_name() -> str:
    # The __Host- prefix makes browsers refuse it unless Secure, host-only and Path=/.
    return "__Host-cll_consent" if settings.SESSION_COOKIE_SECURE else "cll_consent"


def cookies() -> list[Cookie]:
    """Every declared cookie. Names follow the settings (``__Host-`` prefixes under HTTPS)."""
    return [
        Cookie(
            settings.SESSION_COOKIE_NAME,
            "CLL",
            NECESSARY,
            gettext_noop(
                "Keeps you signed in to your account and remembers the sessions in your "
                "shopping cart."
            ),
            settings.SESSION_COOKIE_AGE // 86400,
        ),
        Cookie(
            settings.CSRF_COOKIE_NAME,
            "CLL",
            NECESSARY,
            gettext_noop("Protects the forms you send against cross-site request forgery."),
            settings.CSRF_COOKIE_AGE // 86400,
        ),
        Cookie(
            "messages",
            "CLL",
            NECESSARY,
            gettext_noop(
                "Carries a confirmation message to the next page you open, then is deleted."
            ),
            None,
        ),
        Cookie(
            consent_cookie_name(),
            "CLL",
            NECESSARY,
            gettext_noop(
                "Remembers your cookie choices and a random consent number that proves them."
            ),
            settings.CONSENT_MAX_AGE_DAYS,
        ),
        Cookie(
            "_ga",
            "Google (Google Analytics)",
            ANALYTICS,
            gettext_noop("Distinguishes visitors for Google Analytics statistics."),
            GA_COOKIE_DAYS,
        ),
        Cookie(
            "_ga_",
            "Google (Google Analytics)",
            ANALYTICS,
            gettext_noop("Keeps the state of your visit for Google Analytics statistics."),
            GA_COOKIE_DAYS,
            prefix=True,
        ),
        Cookie(
            "_gcl_",
            "Google (Google Ads)",
            ADVERTISING,
            gettext_noop(
                "Links a click on one of our advertisements to a registration (conversion)."
            ),
            ADS_COOKIE_DAYS,
            prefix=True,
            referral=True,
        ),
        Cookie(
            "IDE",
            "Google (DoubleClick, doubleclick.net)",
            ADVERTISING,
            gettext_noop("Shows and measures our advertisements on other websites (remarketing)."),
            MAX_DAYS,
            party=THIRD_PARTY,
        ),
        Cookie(
            "test_cookie",
            "Google (DoubleClick, doubleclick.net)",
            ADVERTISING,
            gettext_noop("Checks whether your browser accepts cookies from DoubleClick."),
            1,
            party=THIRD_PARTY,
        ),
    ]


def cookie_for(name: str) -> Cookie | None:
    """The declaration covering a cookie name (exact names win over prefixes)."""
    declared = cookies()
    for cookie in declared:
        if not cookie.prefix and cookie.matches(name):
            return cookie
    for cookie in declared:
        if cookie.prefix and cookie.matches(name):
            return cookie
    return None


def first_party_names_of(category: str) -> list[Cookie]:
    return [c for c in cookies() if c.category == category and c.party == FIRST_PARTY]


def by_category() -> list[tuple[str, list[Cookie]]]:
    declared = cookies()
    return [(category, [c for c in declared if c.category == category]) for category in CATEGORIES]


def snapshot() -> dict:
    """The registry as published: what ``CookiePolicyVersion`` stores."""
    return {
        "banner_version": BANNER_VERSION,
        "cookies": [cookie.snapshot() for cookie in cookies()],
    }


def snapshot_digest(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
