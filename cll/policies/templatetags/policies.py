"""The notice of a policy change, shown on every page to signed-in people concerned.

Every signed-in page renders it, so when no material change is due it costs no query (the
selector keeps the publication dates in memory, with the freshness of cached pages: see
``selectors.policy_notice_for``).
"""

from __future__ import annotations

from django import template
from django.db import DatabaseError

from cll.policies.forms import PolicyAcceptForm
from cll.policies.selectors import policy_notice_for
from cll.policies.text import policy_markdown_render

register = template.Library()


@register.inclusion_tag("policies/_notice_banner.html", takes_context=True)
def policy_notice(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    # Anonymous pages are cached and shared: they never carry a notice (and cost no query).
    if user is None or not user.is_authenticated:
        return {"notice": None}
    try:
        notice = policy_notice_for(user)
    except DatabaseError:
        # Error pages render this frame too: a database outage must not break them.
        return {"notice": None}
    if notice is None:
        return {"notice": None}
    return {
        "notice": notice,
        "form": PolicyAcceptForm(version=notice.version),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def policy_changes(version, language: str):
    """The summary of a version's changes in ``language`` (English if not translated), as HTML."""
    return policy_markdown_render(version.changes(language) or version.changes("en"))
