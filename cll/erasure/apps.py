from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ErasureConfig(AppConfig):
    name = "cll.erasure"
    verbose_name = _("Erasure")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from cll.erasure import checks  # noqa: F401 (registers the system checks)
        from cll.erasure.engine import anonymisers_discover
        from cll.erasure.services import erasure_execute
        from cll.erasure.signals import cancel_on_sign_in
        from cll.privacy.eraser import person_erase

        anonymisers_discover()
        # Retention rules of apps below this one erase people through the kernel.
        person_erase.install(erasure_execute)
        user_logged_in.connect(cancel_on_sign_in, dispatch_uid="erasure.cancel_on_sign_in")
