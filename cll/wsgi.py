"""WSGI entry point: every page is served here (granian, WSGI interface)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cll.settings")
application = get_wsgi_application()
