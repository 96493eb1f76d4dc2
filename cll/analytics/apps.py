from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "cll.analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from cll.analytics import checks  # noqa: F401  (registers the system checks)
