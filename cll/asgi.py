"""ASGI entry point: websockets (live chat). Production routes only ``/ws/`` here.

In the embedded ``run`` layout the same process also answers HTTP, for simplicity.
"""

import os

from django.core.asgi import get_asgi_application

from cll.lib.env import load_settings_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cll.settings")
load_settings_or_exit()
django_asgi_app = get_asgi_application()

# Not one page or message from a database that is not fit to serve (cll/core/serving.py).
from cll.core.serving import refuse_to_serve_unless_ready  # noqa: E402

refuse_to_serve_unless_ready()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from cll.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)

# The worker's long-lived objects out of the full collections' way (a full collection stalls
# every request on the worker): what is alive now, then what its first requests load
# (cll/core/longlived.py).
from cll.core.longlived import FrozenWhenWarmASGI, freeze_alive  # noqa: E402

freeze_alive()
application = FrozenWhenWarmASGI(application)
