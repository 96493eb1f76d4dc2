"""The notice of a policy change, shown on every page to signed-in people concerned.

Every signed-in page renders it, so when no material change is due it costs no query (the
selector keeps the publication dates in memory, with the freshness of cached pages: see
``selectors.policy_notice_for``).
"""

from __future__ import annotations

import jinja2
from django.db import DatabaseError
from markupsafe import Markup

from cll.policies.forms import PolicyAcceptForm
from cll.policies.selectors import policy_notice_for
from cll.policies.text import policy_markdown_render


@jinja2.pass_context
def policy_notice(context) -> Markup:
    """The notice (``policies/_notice_banner.html``) when the signed-in person has one."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Markup("")
    try:
        notice = policy_notice_for(user)
    except DatabaseError:
        return Markup("")
    if notice is None:
        return Markup("")
    banner = context.environment.get_template("policies/_notice_banner.html")
    return Markup(  # noqa: S704 (an autoescaped template's output)
        banner.render(
            {
                "notice": notice,
                "form": PolicyAcceptForm(version=notice.version),
                "request": request,
                "csrf_input": context.get("csrf_input"),
            }
        )
    )


def policy_changes(version, language: str):
    """The summary of a version's changes in ``language`` (English if not translated), as HTML."""
    return policy_markdown_render(version.changes(language) or version.changes("en"))


# Found by cll.core.jinja.environment.
GLOBALS = {"policy_notice": policy_notice}
FILTERS = {"policy_changes": policy_changes}
