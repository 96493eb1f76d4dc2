"""The site header's link to the cart, shown once something is in it."""

from __future__ import annotations

import jinja2
from django.conf import settings

from cll.shop.cart import cart_count


@jinja2.pass_context
def cart_size(context) -> int:
    """How many seats the visitor's cart holds; 0 without a session cookie, where the session
    is not even read (the page stays the same for every anonymous visitor, so cacheable)."""
    request = context.get("request")
    if request is None or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return 0
    return cart_count(request.session)


# Found by cll.core.jinja.environment.
GLOBALS = {"cart_size": cart_size}
