"""The register of personal-data breaches (GDPR Art. 33 and 34): the 72-hour clock to notify the
authority, and e-mails to the people concerned."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BreachesConfig(AppConfig):
    name = "cll.breaches"
    verbose_name = _("Breach register")
