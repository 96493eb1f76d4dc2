"""django-allauth adapters: allauth's e-mails go through the outbox like every other message;
social accounts keep only the profile data we need."""

from __future__ import annotations

import functools
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context as allauth_context
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import translation

from cll.core.emails import email_render
from cll.core.outbox import email_queue
from cll.lib.clientip import request_client_ip


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render allauth's message and queue it; the outbox task delivers it after commit.

        Our own templates (templates/account/email/..., mfa/email/, socialaccount/email/) in
        the shared branded frame (cll/core/emails.py): a text and an HTML part, in the
        language of the page the person was on (an account holds no language preference).
        Nothing talks to the mail server inside the request. The message is encrypted with the
        data key of the account it is about when there is one (``subject_person``); a message
        to an address with no account (enumeration-safe "unknown account" notice) has none.
        """
        language = translation.get_language() or settings.LANGUAGE_CODE
        rendered = email_render(
            subject_template=f"{template_prefix}_subject.txt",
            text_template=f"{template_prefix}_message.txt",
            html_template=f"{template_prefix}_message.html",
            context=self._mail_context(email, context),
            language=language,
        )
        user = context.get("user")
        if user is None:
            user = get_user_model().objects.filter(email__iexact=email).first()
        with transaction.atomic():
            email_queue(
                to=email,
                subject=self.format_email_subject(rendered.subject),
                text=rendered.text,
                html=rendered.html,
                subject_person=getattr(user, "public_id", None),
                headers={"Content-Language": language},
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

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """A sign-in (or a second factor proved) within ``ACCOUNT_REAUTHENTICATION_TIMEOUT``
        counts as a recent authentication, as an explicit re-authentication does.

        allauth only counts explicit re-authentications, so a person who has just typed their
        password is asked for it again on the very next sensitive page (issue 11: "Activate"
        asked for the password 0.6 s after signing in). Once the timeout has passed since the
        last proof, sensitive actions ask again, as allauth does.
        """
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        return not authenticated_recently(self.request)

    def _mail_context(self, email: str, context: dict) -> dict:

        # allauth's messages greet "from {{ current_site.name }}": our name, not the host name.
        site = SimpleNamespace(
            name=settings.ORGANISATION_NAME, domain=urlsplit(settings.SITE_URL).netloc
        )
        return {"request": allauth_context.request, "email": email, "current_site": site, **context}


def authenticated_recently(request) -> bool:
    """Whether the signed-in person proved who they are (password, second factor, social
    account, code) in this session less than ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` ago."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    moments = [record.get("at", 0) for record in get_authentication_records(request, user)]
    return bool(moments) and time.time() - max(moments) < account_settings.REAUTHENTICATION_TIMEOUT


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
    def get_app(self, request, provider, client_id=None):
        """A provider this server has no credentials for answers 404 at its sign-in and
        callback addresses (as allauth's OpenID Connect views do), not a 500."""

        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as exc:
            raise _no_social_app() from exc

    def pre_social_login(self, request, sociallogin) -> None:
        """Trim what the provider sent before anything is saved (sign-in, signup or link)."""
        sociallogin.account.extra_data = minimise_extra_data(sociallogin.account.extra_data)
        super().pre_social_login(request, sociallogin)


@functools.cache
def _no_social_app() -> type[Exception]:

    # Still a DoesNotExist for allauth's own handlers, and a 404 for Django's.
    return type("NoSocialApp", (SocialApp.DoesNotExist, Http404), {})


def minimise_on_save(sender, instance, **kwargs) -> None:
    """pre_save of SocialAccount: allauth also refreshes extra_data of an account it finds at
    sign-in, before the adapter sees it; the map's promise holds for every save."""
    instance.extra_data = minimise_extra_data(instance.extra_data)
