"""Template tags of the consent app: what the banner and the tag loader need for a request."""

from __future__ import annotations

import json

import jinja2

from cll.consent import registry
from cll.consent.selectors import consent_state, gtag_consent, tags_for


@jinja2.pass_context
def consent_banner(context) -> dict:
    request = context.get("request")
    if request is None:
        return {"show": False}
    state = consent_state(request)
    show = not state.decided
    return {
        "show": show,
        "signal": state.signal,
        # The signal is recorded once per consent id (consent.js posts it).
        "record_signal": bool(state.signal) and state.objection != state.signal,
        # Where the banner's form sends the visitor back (only the banner's form needs it).
        "next": request.get_full_path() if show else None,
    }


def consent_categories() -> list[dict]:
    """The optional categories of cookies the banner offers, in order."""
    return [
        {
            "key": category,
            "label": registry.CATEGORY_LABELS[category],
            "description": registry.CATEGORY_DESCRIPTIONS[category],
        }
        for category in registry.OPTIONAL_CATEGORIES
    ]


@jinja2.pass_context
def consent_tags(context) -> dict:
    request = context.get("request")
    if request is None:
        return {"tags": None}
    tags = tags_for(request)
    if not tags:
        return {"tags": None}
    return {
        "tags": tags,
        "consent_json": json.dumps(gtag_consent(consent_state(request)), sort_keys=True),
        "ga_days": registry.GA_COOKIE_DAYS,
        "ads_days": registry.ADS_COOKIE_DAYS,
    }


# Found by cll.core.jinja.environment.
GLOBALS = {
    "consent_banner": consent_banner,
    "consent_categories": consent_categories,
    "consent_tags": consent_tags,
}
