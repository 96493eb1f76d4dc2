"""The staff area's navigation: one link per staff section the signed-in person may open."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.translation import gettext_lazy as _

from cll.core.roles import staff_roles_of

register = template.Library()

# The sections, in the order staff see them. Who may open each is read from its view's
# ``staff_role_required`` roles, so the menu and the 403 answers cannot disagree.
SECTIONS = (
    ("staff:learner_list", _("Learners")),
    ("dsar_staff:request_list", _("Requests from people")),
    ("privacy_staff:home", _("Privacy operations")),
    ("policies_staff:version_list", _("Policies")),
    ("analytics_staff:dashboard", _("Analytics")),
    ("consent_staff:tags_edit", _("Tags and tracking")),
)


@register.simple_tag(takes_context=True)
def staff_sections(context) -> list[dict]:
    request = context.get("request")
    if request is None:
        return []
    roles = staff_roles_of(request.user)
    sections = []
    for name, label in SECTIONS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if roles & getattr(resolve(url).func, "staff_roles", frozenset()):
            sections.append({"url": url, "label": label, "current": request.path.startswith(url)})
    return sections
