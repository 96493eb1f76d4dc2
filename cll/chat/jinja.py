"""Template helpers of the live-chat widget (jinja2/chat/widget.html).

What they return depends on the page's path and the settings only, never on the visitor: the
widget is part of pages the page cache keeps for everyone (cll/core/pagecache.py).
"""

import jinja2
from django.conf import settings


def chat_max_chars() -> int:
    """The longest message the server takes (the widget's ``maxlength``)."""
    return settings.CHAT_MAX_MESSAGE_CHARS


@jinja2.pass_context
def chat_widget_wanted(context) -> bool:
    """Whether the page shows the visitor's widget: not on staff pages (staff answer chats from
    their console)."""
    request = context.get("request")
    path = getattr(request, "path_info", "") or ""
    return "/staff/" not in path and not path.startswith("/admin/") and "/admin/" not in path


# Found by cll.core.jinja.environment.
GLOBALS = {"chat_max_chars": chat_max_chars, "chat_widget_wanted": chat_widget_wanted}
