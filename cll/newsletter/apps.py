from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    name = "cll.newsletter"
    verbose_name = _("Newsletter")

    def ready(self) -> None:
        # accounts may not import the newsletter (layers): the newsletter adds its sign-up box
        # through accounts' hook. Imported here because models are not loaded before ready().
        from cll.accounts.hooks import signup_extra_register
        from cll.newsletter.forms import news_signup_field
        from cll.newsletter.services import subscription_on_signup

        signup_extra_register(
            name="newsletter_news", field=news_signup_field, after_signup=subscription_on_signup
        )
