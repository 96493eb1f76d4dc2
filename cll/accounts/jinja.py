"""The staff area's navigation: one link per staff section the signed-in person may open, and
the site header's entry to the staff area; the social sign-in providers of the sign-in and
linked-accounts pages (allauth's ``socialaccount`` template tags, for Jinja2)."""

from __future__ import annotations

import jinja2
from allauth.socialaccount.templatetags import socialaccount
from django.http import HttpRequest
from django.urls import NoReverseMatch, resolve, reverse
from django.utils.translation import gettext_lazy as _

from cll.core.roles import staff_roles_of

# The sections, in the order staff see them. Who may open each is read from its view's
# ``staff_role_required`` roles, so the menu, the staff home and the 403 answers cannot disagree.
SECTIONS = (
    ("staff:learner_list", _("Learners")),
    ("dsar_staff:request_list", _("Requests from people")),
    ("privacy_staff:home", _("Privacy operations")),
    ("policies_staff:version_list", _("Policies")),
    ("analytics_staff:dashboard", _("Analytics")),
    ("consent_staff:tags_edit", _("Tags and tracking")),
    # The shop (cll/shop/staff_urls.py): Billing, Teachers, Customer service.
    ("shop_staff:order_list", _("Orders and invoices")),
    ("shop_staff:accounting_export", _("Export for the accountant")),
    ("shop_staff:quote_list", _("Requests for a quote")),
    ("shop_staff:fraud_list", _("Reports of a fraudulent debit")),
    ("shop_staff:class_list", _("My classes")),
    ("shop_staff:enrolment_sessions", _("Enrolments")),
    # The newsletter's campaigns (cll/newsletter/staff_urls.py): Marketing.
    ("newsletter_staff:campaign_list", _("Newsletter")),
    # The helpdesk (cll/helpdesk, cll/chat, cll/feedback): Customer service.
    ("helpdesk_staff:ticket_list", _("Support tickets")),
    ("chat_staff:console", _("Live chat")),
    ("feedback_staff:results", _("Feedback")),
)


def staff_sections_for(request: HttpRequest) -> list[dict]:
    """The sections the signed-in person's roles open, in menu order: ``url``, ``label`` and
    ``current`` (the page shown is in that section)."""
    roles = staff_roles_of(request.user)
    if not roles:
        return []
    sections = []
    for name, label in SECTIONS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        if roles & getattr(resolve(url).func, "staff_roles", frozenset()):
            sections.append({"url": url, "label": label, "current": request.path.startswith(url)})
    return sections


@jinja2.pass_context
def staff_sections(context) -> list[dict]:
    request = context.get("request")
    if request is None:
        return []
    return staff_sections_for(request)


@jinja2.pass_context
def staff_entry(context) -> dict | None:
    """The header's link to the staff area for a signed-in staff member: the staff home for
    someone holding a staff role, the admin for a staff account without one (a superuser set
    up by ``createsuperuser``); ``None`` for everyone else (no query for them)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_staff and user.is_active):
        return None
    url = reverse("staff:home") if staff_roles_of(user) else reverse("admin:index")
    return {"url": url, "current": request.path.startswith(url)}


# "My account": the profile page and the pages it leads to (by URL name). On each, the header
# marks its "My account" entry as the section shown; on the profile page, as the page shown.
MY_ACCOUNT = "accounts:profile"
MY_ACCOUNT_PAGES = frozenset(
    {
        "accounts:deactivate",
        "accounts:child_add",
        "accounts:child_handover",
        "rights:home",
        "rights:child_export",
        "erasure:account_delete",
        "erasure:child_delete",
        "erasure:scheduled",
        "shop:enrolment_list",
        "shop:order_list",
        "shop:order_detail",
        "shop:timetable",
        "shop:waitlist_list",
        "helpdesk:ticket_list",
        "helpdesk:ticket_detail",
        "feedback:home",
        "newsletter:my_subscriptions",
        "policies:choices",
        # allauth's pages for the account's e-mail, password, second factor and sessions.
        "account_email",
        "account_change_password",
        "account_set_password",
        "mfa_index",
        "mfa_activate_totp",
        "mfa_deactivate_totp",
        "mfa_list_webauthn",
        "mfa_add_webauthn",
        "mfa_edit_webauthn",
        "mfa_remove_webauthn",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "usersessions_list",
        "socialaccount_connections",
    }
)


@jinja2.pass_context
def my_account_current(context) -> str | None:
    """The header's ``aria-current`` for "My account": ``"page"`` on the profile page,
    ``"true"`` on the other pages of the account, None elsewhere."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match is not None else None
    if view_name == MY_ACCOUNT:
        return "page"
    return "true" if view_name in MY_ACCOUNT_PAGES else None


@jinja2.pass_context
def get_providers(context) -> list:
    """The social sign-in providers configured for the site, by name (allauth's
    ``{% get_providers %}``): none without keys."""
    return socialaccount.get_providers(context)


@jinja2.pass_context
def provider_login_url(context, provider, **params) -> str:
    """Where a provider's sign-in or link form posts (allauth's ``{% provider_login_url %}``),
    e.g. ``provider_login_url(provider, process="connect")``; keeps the page's ``next``."""
    return socialaccount.provider_login_url(context, provider, **params)


# Found by cll.core.jinja.environment.
GLOBALS = {
    "staff_sections": staff_sections,
    "staff_entry": staff_entry,
    "my_account_current": my_account_current,
    "get_providers": get_providers,
    "provider_login_url": provider_login_url,
}
