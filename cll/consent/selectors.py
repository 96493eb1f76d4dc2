"""Reads of the consent app: what the visitor of this request allows.

``consent_state(request)`` is the one question every other app asks (analytics before recording a
clickstream, templates before injecting a tag). It parses the signed consent cookie only, never
the database, and is memoised on the request: the access-log middleware calls it on every
request. Do Not Track and Global Privacy Control win over any stored choice: they are an
objection (GDPR Art. 21(5)).

The consent cookie is strictly necessary (it stores the choice) and signed with
``django.core.signing``: a forged, malformed, expired (``CONSENT_MAX_AGE_DAYS``) or outdated
(banner or privacy-policy version changed) value counts as no choice, so the banner asks again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.signals import setting_changed
from django.http import HttpRequest

from cll.consent import registry
from cll.consent.models import CookiePolicyVersion, TagConfiguration
from cll.consent.registry import BANNER_VERSION
from cll.lib.clientip import network_of, request_client_ip
from cll.policies.selectors import policy_version_current

COOKIE_SALT = "cll.consent.cookie"
_STATE_ATTR = "_cll_consent_state"
_TAGS_CACHE_KEY = "consent:tags"
# A newly published privacy policy re-asks every visitor within this many seconds.
POLICY_VERSION_TTL = 10.0
_policy_memo: tuple[float, str] = (float("-inf"), "")
# Longest accepted cookie value: a real one is ~200 characters; anything bigger is garbage.
_MAX_COOKIE_LENGTH = 1024


@dataclass(frozen=True)
class ConsentState:
    preferences: bool = False
    analytics: bool = False
    advertising: bool = False
    # "dnt" or "gpc" when the browser sent an opt-out signal, else None.
    signal: str | None = None
    # Whether a valid, current choice exists (else the banner is shown).
    decided: bool = False
    # The random pseudonymous id of the stored choice ("" when there is none).
    consent_id: str = ""
    # The signal already recorded as an objection for this consent id ("" when none).
    objection: str = ""
    # The categories the visitor chose, before any signal is applied.
    chosen: tuple[str, ...] = field(default=())

    def allows(self, category: str) -> bool:
        """Whether a non-essential category may be used for this request."""
        if category == registry.NECESSARY:
            return True
        if self.signal and category in (registry.ANALYTICS, registry.ADVERTISING):
            return False
        if category not in registry.OPTIONAL_CATEGORIES:
            return False
        return bool(getattr(self, category, False))

    @property
    def cache_key(self) -> str:
        """What a cached public page depends on (the banner and the tags)."""
        if not self.decided and not self.signal:
            return "c-"
        flags = "".join("1" if self.allows(c) else "0" for c in registry.OPTIONAL_CATEGORIES)
        return f"c{int(self.decided)}{flags}{self.signal or ''}"


def privacy_signal(request: HttpRequest) -> str | None:
    # META rather than request.headers, which builds a dictionary of every header on first use
    # (~8 µs on every page: the page cache's key asks this).
    meta = request.META
    if meta.get("HTTP_SEC_GPC", "").strip() == "1":
        return "gpc"
    if meta.get("HTTP_DNT", "").strip() == "1":
        return "dnt"
    return None


def max_age_seconds() -> int:
    return settings.CONSENT_MAX_AGE_DAYS * 86400


def privacy_policy_version() -> str:
    """The privacy policy version in force, read at most every ``POLICY_VERSION_TTL`` seconds
    per process (``consent_state`` runs on every request and must not query the database)."""
    global _policy_memo
    read_at, value = _policy_memo
    now = time.monotonic()
    if now - read_at < POLICY_VERSION_TTL:
        return value

    value = str(policy_version_current("privacy"))
    _policy_memo = (now, value)
    return value


def privacy_policy_version_forget(**kwargs) -> None:
    global _policy_memo
    _policy_memo = (float("-inf"), "")


setting_changed.connect(privacy_policy_version_forget, dispatch_uid="consent:policy_version")


def consent_payload(request: HttpRequest) -> dict | None:
    """The stored payload when the cookie is genuine, unexpired and current, else None."""
    raw = request.COOKIES.get(registry.consent_cookie_name())
    if not raw or len(raw) > _MAX_COOKIE_LENGTH:
        return None
    try:
        payload = signing.loads(raw, salt=COOKIE_SALT, max_age=max_age_seconds())
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, dict):
        return None
    consent_id = payload.get("id")
    if not isinstance(consent_id, str) or not 8 <= len(consent_id) <= 64:
        return None
    categories = payload.get("c")
    if categories is not None and not isinstance(categories, list):
        return None
    return payload


def consent_state(request: HttpRequest) -> ConsentState:
    """The visitor's choices for this request (memoised on the request; no database query)."""
    state = getattr(request, _STATE_ATTR, None)
    if state is None:
        state = _state_from(request)
        setattr(request, _STATE_ATTR, state)
    return state


def _state_from(request: HttpRequest) -> ConsentState:
    signal = privacy_signal(request)
    payload = consent_payload(request)
    if payload is None:
        return ConsentState(signal=signal)
    objection = payload.get("o") if payload.get("o") in ("dnt", "gpc") else ""
    categories = payload.get("c")
    current = (
        categories is not None
        and payload.get("b") == BANNER_VERSION
        and payload.get("p") == privacy_policy_version()
    )
    if not current:
        # The id and the recorded objection survive a re-prompt; the choice does not.
        return ConsentState(signal=signal, consent_id=payload["id"], objection=objection)
    # Unknown categories (tampering is impossible, old versions are not) are ignored.
    chosen = tuple(c for c in registry.OPTIONAL_CATEGORIES if c in categories)
    return ConsentState(
        preferences=registry.PREFERENCES in chosen,
        analytics=registry.ANALYTICS in chosen,
        advertising=registry.ADVERTISING in chosen,
        signal=signal,
        decided=True,
        consent_id=payload["id"],
        objection=objection,
        chosen=chosen,
    )


def minimised_ip(request: HttpRequest) -> str:
    """The client's network, not its address: IPv4 /24, IPv6 /48 ("" when unparsable)."""
    return network_of(request_client_ip(request))


# -- Third-party tags ---------------------------------------------------------------------------

# Hosts Google's tags talk to, by category (Google's documented CSP lists for GA4 and Google Ads).
TAG_HOSTS = {
    registry.ANALYTICS: {
        "script-src": ["https://www.googletagmanager.com"],
        "connect-src": [
            "https://www.googletagmanager.com",
            "https://*.google-analytics.com",
            "https://*.analytics.google.com",
        ],
        "img-src": ["https://www.googletagmanager.com", "https://*.google-analytics.com"],
    },
    registry.ADVERTISING: {
        "script-src": [
            "https://www.googletagmanager.com",
            "https://www.googleadservices.com",
            "https://googleads.g.doubleclick.net",
        ],
        "connect-src": [
            "https://www.googletagmanager.com",
            "https://www.googleadservices.com",
            "https://googleads.g.doubleclick.net",
            "https://*.doubleclick.net",
            "https://www.google.com",
        ],
        "img-src": [
            "https://www.googletagmanager.com",
            "https://googleads.g.doubleclick.net",
            "https://*.doubleclick.net",
            "https://www.google.com",
            "https://www.google.be",
        ],
    },
}


@dataclass(frozen=True)
class Tags:
    """What ``_tags.html`` injects for this request (empty when nothing may load)."""

    analytics_id: str = ""
    ads_id: str = ""
    floodlight_id: str = ""
    google_signals: bool = False

    @property
    def categories(self) -> tuple[str, ...]:
        found = []
        if self.analytics_id:
            found.append(registry.ANALYTICS)
        if self.ads_id or self.floodlight_id:
            found.append(registry.ADVERTISING)
        return tuple(found)

    def __bool__(self) -> bool:
        return bool(self.categories)


def tag_configuration_values() -> dict:
    """The staff's tag configuration (cached; the cache is cleared when staff change it)."""
    values = cache.get(_TAGS_CACHE_KEY)
    if values is None:
        row = TagConfiguration.objects.filter(pk=1).first()
        values = {
            "analytics_id": row.ga4_measurement_id if row else "",
            "ads_id": row.ads_conversion_id if row else "",
            "floodlight_id": row.floodlight_id if row else "",
            "google_signals": row.google_signals if row else False,
        }
        cache.set(_TAGS_CACHE_KEY, values, 300)
    return values


def tags_forget() -> None:
    cache.delete(_TAGS_CACHE_KEY)


def tags_for(request: HttpRequest) -> Tags:
    """The tags this visitor consented to, and never any under DNT/GPC.

    The database (through the cache) is only read when a category is allowed.
    """
    state = consent_state(request)
    analytics = state.allows(registry.ANALYTICS)
    advertising = state.allows(registry.ADVERTISING)
    if not (analytics or advertising):
        return Tags()
    values = tag_configuration_values()
    return Tags(
        analytics_id=values["analytics_id"] if analytics else "",
        ads_id=values["ads_id"] if advertising else "",
        floodlight_id=values["floodlight_id"] if advertising else "",
        google_signals=bool(values["google_signals"]) and advertising,
    )


def tag_csp_sources(tags: Tags) -> dict[str, list[str]]:
    """The extra CSP sources a response injecting ``tags`` needs, per directive."""
    sources: dict[str, list[str]] = {}
    for category in tags.categories:
        for directive, hosts in TAG_HOSTS[category].items():
            bucket = sources.setdefault(directive, [])
            bucket.extend(host for host in hosts if host not in bucket)
    return sources


def gtag_consent(state: ConsentState) -> dict[str, str]:
    """Google Consent Mode v2 values for a consent state (every type denied unless chosen)."""

    def grant(allowed: bool) -> str:
        return "granted" if allowed else "denied"

    analytics = state.allows(registry.ANALYTICS)
    advertising = state.allows(registry.ADVERTISING)
    preferences = state.allows(registry.PREFERENCES)
    return {
        "ad_storage": grant(advertising),
        "ad_user_data": grant(advertising),
        "ad_personalization": grant(advertising),
        "analytics_storage": grant(analytics),
        "functionality_storage": grant(preferences),
        "personalization_storage": grant(preferences),
        "security_storage": "denied",
    }


def cookie_policy_versions():
    return CookiePolicyVersion.objects.order_by("-number")


def cookie_policy_version_get(number: int):
    return CookiePolicyVersion.objects.filter(number=number).first()
