"""django-allauth adapters: allauth's e-mails go through the outbox like every other message;
social accounts keep only the profile data we need."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction

from cll.core.outbox import email_queue
from cll.lib.clientip import request_client_ip


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's message and queue it; the outbox task delivers it after commit.

        Nothing talks to the mail server inside the request. The message is encrypted with the
        data key of the account it is about when there is one (``subject_person``); a message
        to an address with no account (enumeration-safe "unknown account" notice) has none.
        """
        message = self.render_mail(template_prefix, email, self._mail_context(email, context))
        html = ""
        for content, mimetype in getattr(message, "alternatives", ()):
            if mimetype == "text/html":
                html = content
        if message.content_subtype == "html":
            text, html = "", message.body
        else:
            text = message.body
        user = context.get("user")
        if user is None:
            user = get_user_model().objects.filter(email__iexact=email).first()
        with transaction.atomic():
            email_queue(
                to=email,
                subject=message.subject,
                text=text,
                html=html,
                subject_person=getattr(user, "public_id", None),
                kind=template_prefix,
            )

    def get_client_ip(self, request) -> str:
        """The client as ``CLL_TRUSTED_PROXIES`` says to derive it (cll/lib/clientip.py), so
        that allauth's rate limits (sign-in, sign-up, password reset, parental consent) key on
        each visitor, not on the reverse proxy; the same address the access log records."""
        ip = request_client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def _mail_context(self, email: str, context: dict) -> dict:
        from allauth.core import context as allauth_context

        # allauth's messages greet "from {{ current_site.name }}": our name, not the host name.
        site = SimpleNamespace(
            name=settings.ORGANISATION_NAME, domain=urlsplit(settings.SITE_URL).netloc
        )
        return {"request": allauth_context.request, "email": email, "current_site": site, **context}


def user_display(user) -> str:
    """How allauth names an account in its pages and messages (ACCOUNT_USER_DISPLAY).

    The e-mail address, not ``str(user)`` (the public id, meaningless to the person).
    """
    return user.email


# What a social account keeps of the profile a provider sends (SocialAccount.extra_data): the
# identifier, the e-mail address and whether the provider verified it, and the name shown on the
# connections page. Everything else (picture, locale, profile link, token claims...) is dropped.
EXTRA_DATA_KEPT = frozenset(
    {
        # OpenID Connect claims (Google, LinkedIn, Microsoft, any OIDC provider)
        "sub",
        "email",
        "email_verified",
        "name",
        "given_name",
        "family_name",
        # Facebook
        "id",
        "first_name",
        "last_name",
        # Google (legacy userinfo)
        "verified_email",
        # Microsoft Graph
        "mail",
        "userPrincipalName",
        "displayName",
        "givenName",
        "surname",
    }
)
# allauth's openid_connect provider nests the claims under these keys.
_NESTED = ("userinfo", "id_token")


def minimise_extra_data(data: object) -> dict:
    if not isinstance(data, dict):
        return {}
    kept = {key: value for key, value in data.items() if key in EXTRA_DATA_KEPT}
    for key in _NESTED:
        if isinstance(data.get(key), dict):
            kept[key] = minimise_extra_data(data[key])
    return kept


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin) -> None:
        """Trim what the provider sent before anything is saved (sign-in, signup or link)."""
        sociallogin.account.extra_data = minimise_extra_data(sociallogin.account.extra_data)
        super().pre_social_login(request, sociallogin)


def minimise_on_save(sender, instance, **kwargs) -> None:
    """pre_save of SocialAccount: allauth also refreshes extra_data of an account it finds at
    sign-in, before the adapter sees it; the map's promise holds for every save."""
    instance.extra_data = minimise_extra_data(instance.extra_data)
