from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cll.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.apps import apps
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import pre_save

        from cll.accounts.middleware import session_signed_in

        # Staff session limits count from the sign-in (cll/accounts/middleware.py).
        user_logged_in.connect(session_signed_in, dispatch_uid="cll-session-signed-in")

        if apps.is_installed("allauth.mfa"):
            from allauth.mfa.signals import authenticator_added

            from cll.accounts.mfa import record_factor_activation

            # Activating a second factor proves it: no second code right after (issue 11).
            authenticator_added.connect(record_factor_activation, dispatch_uid="cll-mfa-added")

        if apps.is_installed("allauth.socialaccount"):
            from allauth.socialaccount.models import SocialAccount

            from cll.accounts.adapter import minimise_on_save

            pre_save.connect(minimise_on_save, sender=SocialAccount, dispatch_uid="cll-social-min")
