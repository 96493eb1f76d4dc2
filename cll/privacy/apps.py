from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PrivacyConfig(AppConfig):
    name = "cll.privacy"
    verbose_name = "Privacy"

    def ready(self):
        # Every app's privacy.py declares its models into the data map (like admin.py).
        autodiscover_modules("privacy")
        # Then every app's retention.py registers the pruners of its rules (retention engine);
        # after privacy.py, because a pruner names a rule that a privacy.py declares.
        autodiscover_modules("retention")
        from cll.privacy import checks  # noqa: F401  (registers the system checks)
