from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cll.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import pre_save

        if apps.is_installed("allauth.socialaccount"):
            from allauth.socialaccount.models import SocialAccount

            from cll.accounts.adapter import minimise_on_save

            pre_save.connect(minimise_on_save, sender=SocialAccount, dispatch_uid="cll-social-min")
