"""WSGI entry point: every page is served here (granian, WSGI interface)."""

import os

from django.core.wsgi import get_wsgi_application

from cll.lib.env import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cll.settings")
load_settings_or_exit()
application = get_wsgi_application()
