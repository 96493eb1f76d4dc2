from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _

from cll.core.urlscrub import PublicConverter


class CoreConfig(AppConfig):
    name = "cll.core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        # URLconfs use <public:...> (cll/core/urlscrub.py); registered before any is loaded.
        register_converter(PublicConverter, "public")
