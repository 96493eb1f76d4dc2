"""django-allauth adapter: allauth's e-mails go through the outbox like every other message."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from cll.core.outbox import email_queue


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
