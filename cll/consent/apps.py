"""Cookie consent, the cookie registry, Do Not Track / Global Privacy Control, and consent-gated
third-party tags.
"""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _publish_cookie_policy(sender, using="default", **kwargs) -> None:
    from django.db import connections

    from cll.consent.models import CookiePolicyVersion
    from cll.consent.services import cookie_policy_publish

    # Migrating backwards (or to a state before this app's tables) publishes nothing.
    if CookiePolicyVersion._meta.db_table not in connections[using].introspection.table_names():
        return
    cookie_policy_publish()


def _page_cache_key(request) -> str:
    from cll.consent.selectors import consent_state

    return consent_state(request).cache_key


def _allows(request, category: str) -> bool:
    from cll.consent.selectors import consent_state

    return consent_state(request).allows(category)


class ConsentConfig(AppConfig):
    name = "cll.consent"
    verbose_name = _("Cookies and consent")

    def ready(self) -> None:
        from cll.consent import checks  # noqa: F401  (registers the system checks)
        from cll.core import pagecache
        from cll.privacy import visitor

        # Cached public pages show the banner (or not) and the tags the visitor consented to.
        pagecache.vary_key_on(_page_cache_key)
        # The access log asks the kernel what a visitor allows; the answer is ours.
        visitor.consent_reader_set(_allows)
        post_migrate.connect(_publish_cookie_policy, sender=self, dispatch_uid="consent:publish")
