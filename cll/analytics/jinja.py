"""``{% outbound_url "https://..." %}``: a link that leaves the site through the exit redirect,
so the exit page is recorded (in the clickstream, when the visitor allows it)."""

from django.urls import reverse

from cll.analytics.services import outbound_token


def outbound_url(url: str) -> str:
    return reverse("analytics:exit", args=[outbound_token(url=url)])


# Found by cll.core.jinja.environment.
GLOBALS = {"outbound_url": outbound_url}
