from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PrivacyConfig(AppConfig):
    name = "cll.privacy"
    verbose_name = "Privacy"

    def ready(self):
        # Every app's privacy.py declares its models into the data map (like admin.py).
        autodiscover_modules("privacy")
        from cll.privacy import checks  # noqa: F401  (registers the system checks)
