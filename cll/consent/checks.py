"""System checks of the consent app: cookie lifetimes the registry may declare."""

from __future__ import annotations

from django.core import checks

from cll.consent import registry


@checks.register()
def cookie_lifetimes(app_configs=None, **kwargs):
    errors = []
    for cookie in registry.cookies():
        if (
            cookie.referral
            and cookie.party == registry.FIRST_PARTY
            and (cookie.days is None or cookie.days > registry.MAX_REFERRAL_DAYS)
        ):
            errors.append(
                checks.Error(
                    f"The referral cookie {cookie.display_name} lasts "
                    f"{cookie.days or 'unbounded'} days: the privacy policy promises at most "
                    f"{registry.MAX_REFERRAL_DAYS}.",
                    obj="cll.consent.registry",
                    id="consent.E001",
                )
            )
        if cookie.days is not None and cookie.days > registry.MAX_DAYS:
            errors.append(
                checks.Error(
                    f"The cookie {cookie.display_name} lasts {cookie.days} days: no cookie may "
                    f"last more than 13 months ({registry.MAX_DAYS} days).",
                    obj="cll.consent.registry",
                    id="consent.E002",
                )
            )
        if cookie.category not in registry.CATEGORIES:
            errors.append(
                checks.Error(
                    f"The cookie {cookie.display_name} has an unknown category "
                    f"{cookie.category!r}.",
                    obj="cll.consent.registry",
                    id="consent.E003",
                )
            )
    return errors
