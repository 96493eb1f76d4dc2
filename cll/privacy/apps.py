from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PrivacyConfig(AppConfig):
    name = "cll.privacy"
    verbose_name = "Privacy"

    def ready(self):
        # Imported here, once the models are loaded (Django's ready()): the encryption module
        # defines the data key model; importing checks registers the system checks.
        from cll.core import encryption
        from cll.privacy import checks, datamap  # noqa: F401

        # Every app's privacy.py declares its models into the data map (like admin.py).
        autodiscover_modules("privacy")
        # Then every app's retention.py registers the pruners of its rules (retention engine);
        # after privacy.py, because a pruner names a rule that a privacy.py declares.
        autodiscover_modules("retention")
        # The platform's encrypted fields seal a row with the key of the person the data map
        # says it is about: the kernel tells them (registration, not an upward import).
        encryption.subject_resolver.install(datamap.subject_of)
