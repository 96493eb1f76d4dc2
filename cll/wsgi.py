"""WSGI entry point: every page is served here (granian, WSGI interface)."""

import os

from django.core.wsgi import get_wsgi_application

from cll.lib.env import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cll.settings")
load_settings_or_exit()
application = get_wsgi_application()

# Not one page from a database that is not fit to serve (cll/core/serving.py); runserver
# loads this module too.
from cll.core.serving import refuse_to_serve_unless_ready  # noqa: E402

refuse_to_serve_unless_ready()

# The worker's long-lived objects out of the full collections' way (a full collection stalls
# every request on the worker): what is alive now, then what its first requests load
# (cll/core/longlived.py).
from cll.core.longlived import FrozenWhenWarm, freeze_alive  # noqa: E402

freeze_alive()
application = FrozenWhenWarm(application)
