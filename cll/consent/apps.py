"""Cookie consent, the cookie registry, Do Not Track / Global Privacy Control, and consent-gated
third-party tags.
"""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "cll.consent"
    verbose_name = _("Cookies and consent")

    def ready(self) -> None:
        # Imported once the models are loaded (Django's ready()); checks registers the system
        # checks.
        from cll.consent import checks, hooks  # noqa: F401
        from cll.core import pagecache
        from cll.privacy import visitor

        pagecache.vary_key_on(hooks.page_cache_key)
        # The access log asks the kernel what a visitor allows; the answer is ours.
        visitor.consent_reader.install(hooks.allows)
        post_migrate.connect(
            hooks.publish_cookie_policy, sender=self, dispatch_uid="consent:publish"
        )
