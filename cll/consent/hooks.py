"""What the consent app registers with others at start-up (its AppConfig.ready): the cookie
policy published after every migration, the page cache's variation by consent, and the reader
of what a visitor allows that the privacy kernel hands to the access log."""

from __future__ import annotations

from django.db import connections
from django.http import HttpRequest

from cll.consent.models import CookiePolicyVersion
from cll.consent.selectors import consent_state
from cll.consent.services import cookie_policy_publish


def publish_cookie_policy(sender, using="default", **kwargs) -> None:
    """``post_migrate``: publish a new cookie-policy version when the registry changed."""
    # Migrating backwards (or to a state before this app's tables) publishes nothing.
    if CookiePolicyVersion._meta.db_table not in connections[using].introspection.table_names():
        return
    cookie_policy_publish()


def page_cache_key(request: HttpRequest) -> str:
    """Cached public pages show the banner (or not) and the tags the visitor consented to."""
    return consent_state(request).cache_key


def allows(request: HttpRequest, category: str) -> bool:
    return consent_state(request).allows(category)
