"""A campaign's e-mail for one recipient: HTML with inline styles and a plain-text alternative in
the site's e-mail frame, a footer saying why it arrives with a personal unsubscribe link, and the
RFC 8058 headers (``List-Unsubscribe`` with the one-click URL and, when configured, a mailto;
``List-Unsubscribe-Post``), ``List-Id`` and a ``Message-ID``.

Speed: a campaign goes to up to hundreds of thousands of people and only the unsubscribe key
(and the address and Message-ID, which are headers) differs between them. So the markdown, the
templates and the URLs are rendered ONCE per (version, list, site) with a random placeholder
where the key goes, and cut at the placeholder (``PreparedCampaign``). A message is then a few
``str.join`` calls and an ``EmailMultiAlternatives``: no template, no markdown, no URL reversal
per recipient. ``campaign_message_render`` is the straightforward path (the templates rendered
with the real key); the tests prove both give the same text. The SMTP bytes are pre-encoded
too (shared headers folded and RFC 2047-encoded once, each piece of the body quoted-printable
once; the key goes between two soft line breaks), so the mail backend's serialisation costs a
``str.join`` instead of the ``email`` package's ~2.5 ms (``CampaignMessage.message``); the
tests parse both serialisations and compare them. On this machine: about 60,000 messages a
second built and serialised, against about 400 with Django's serialisation. Prepared campaigns
are kept in a small in-process cache keyed by everything they are made of, so an edited
version, list name, site address or sender is never served stale.

Safety: the body is staff markdown sanitised by nh3 (the tags and attributes of
``cll.lib.markup``; links http(s) and mailto only, relative ones made absolute on the site); the
style attributes are set by us through nh3, never taken from the text. No external stylesheet,
no remote image (a remote image tells the sender when and where a message is read). Headers
cannot be injected: the subject, list name and sender are collapsed to one line, and an
address holding a line break is refused.
"""

from __future__ import annotations

import email.policy
import re
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from email import quoprimime
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import quote

import markdown as markdown_lib
import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import override

from cll.core.emails import email_context
from cll.lib.markup import ATTRIBUTES, TABLE_TAGS, TEXT_TAGS
from cll.newsletter.models import CampaignVersion, Delivery, MailingList, Subscriber

HTML_TEMPLATE = "newsletter/campaign/message.html"
TEXT_TEMPLATE = "newsletter/campaign/message.txt"

# The inlined stylesheet of the body: one style attribute per element (mail clients drop
# <style> blocks and external sheets). Colours and sizes of the site's frame (emails/base.html).
BODY_STYLES = {
    "p": "margin: 0 0 1em;",
    "a": "color: #8f3118; text-decoration: underline;",
    "h2": "margin: 1.25em 0 0.5em; font-size: 1.375em; line-height: 1.3; color: #17324d;",
    "h3": "margin: 1.25em 0 0.5em; font-size: 1.2em; line-height: 1.3; color: #17324d;",
    "h4": "margin: 1em 0 0.5em; font-size: 1.05em; line-height: 1.3; color: #17324d;",
    "ul": "margin: 0 0 1em; padding-left: 1.5em;",
    "ol": "margin: 0 0 1em; padding-left: 1.5em;",
    "li": "margin: 0 0 0.25em;",
    "blockquote": "margin: 0 0 1em; padding: 0.25em 1em; border-left: 4px solid #b3401f; "
    "color: #4f5d66;",
    "pre": "margin: 0 0 1em; padding: 0.75em; background: #f6efe6; white-space: pre-wrap; "
    "overflow-wrap: anywhere;",
    "code": "font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9em;",
    "hr": "border: 0; border-top: 1px solid #d8cfc4; margin: 1.5em 0;",
    "table": "border-collapse: collapse; width: 100%; margin: 0 0 1em;",
    "th": "border: 1px solid #d8cfc4; padding: 0.375em 0.5em; text-align: left;",
    "td": "border: 1px solid #d8cfc4; padding: 0.375em 0.5em; text-align: left;",
}
ONE_CLICK_POST = "List-Unsubscribe=One-Click"
# A markdown link, for the text part: [words](https://...) -> words (https://...).
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]+)\]\((\S+?)\)")
_PREPARED_CACHE_SIZE = 16
CRLF = "\r\n"


def one_line(value: str) -> str:
    """``value`` on one line: any run of white space, CR and LF included, becomes one space.

    What goes into a header goes through it, so a line break cannot start a header of its own.
    """
    return " ".join(str(value).split())


def campaign_body_html(*, markdown: str, site_url: str) -> str:
    """The version's markdown as sanitised HTML with the inlined styles of ``BODY_STYLES``."""
    html = markdown_lib.markdown(
        markdown or "", extensions=["tables", "sane_lists"], output_format="html"
    )
    return nh3.clean(
        html,
        tags=set(TEXT_TAGS | TABLE_TAGS),
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        # A link written as "/fr/courses/" must work in a mail client: make it absolute.
        url_relative=("rewrite_with_base", site_url.rstrip("/") + "/"),
        set_tag_attribute_values={tag: {"style": style} for tag, style in BODY_STYLES.items()},
    )


def campaign_body_text(*, markdown: str, site_url: str) -> str:
    """The version's markdown as the plain-text part (markdown reads as text; links spelt out,
    relative ones made absolute on the site as in the HTML part)."""
    site = site_url.rstrip("/")

    def spelt_out(match: re.Match) -> str:
        url = match.group(2)
        return f"{match.group(1)} ({site + url if url.startswith('/') else url})"

    return _MARKDOWN_LINK.sub(spelt_out, (markdown or "").replace("\r\n", "\n")).strip()


@dataclass(frozen=True)
class _Urls:
    page: str  # the footer link (GET: a page asking, never unsubscribing by itself)
    one_click: str  # the RFC 8058 POST target
    list_unsubscribe: str  # the header's value


def _urls(*, key: str, mailing_list: MailingList, site_url: str, language: str) -> _Urls:
    with override(language):
        page = reverse("newsletter:unsubscribe", kwargs={"key": key})
        one_click = reverse(
            "newsletter:unsubscribe_one_click", kwargs={"key": key, "list_slug": mailing_list.slug}
        )
    site = site_url.rstrip("/")
    page_url = f"{site}{page}?list={quote(mailing_list.slug)}"
    one_click_url = f"{site}{one_click}"
    targets = [f"<{one_click_url}>"]
    mailto = one_line(settings.NEWSLETTER_UNSUBSCRIBE_MAILTO)
    if mailto:
        targets.append(f"<mailto:{mailto}?subject=unsubscribe-{key}>")
    return _Urls(page=page_url, one_click=one_click_url, list_unsubscribe=", ".join(targets))


def _sender() -> tuple[str, str]:
    """The From header and the domain of the sender (for List-Id and Message-ID)."""
    from_email = one_line(settings.DEFAULT_FROM_EMAIL)
    domain = parseaddr(from_email)[1].rpartition("@")[2] or "localhost"
    return from_email, domain


def _render(
    *, campaign_version: CampaignVersion, mailing_list: MailingList, site_url: str, key: str
) -> tuple[str, str, _Urls]:
    """HTML and text of the message for ``key`` (the templates, rendered in full)."""
    language = campaign_version.language
    urls = _urls(key=key, mailing_list=mailing_list, site_url=site_url, language=language)
    with override(language):
        context = email_context(
            {
                "site_url": site_url.rstrip("/"),
                "email_subject": one_line(campaign_version.subject),
                "campaign_body_html": mark_safe(  # noqa: S308 - sanitised by nh3
                    campaign_body_html(markdown=campaign_version.body, site_url=site_url)
                ),
                "campaign_body_text": campaign_body_text(
                    markdown=campaign_version.body, site_url=site_url
                ),
                "list_name": one_line(mailing_list.name),
                "unsubscribe_url": urls.page,
            }
        )
        html = render_to_string(HTML_TEMPLATE, context)
        text = render_to_string(TEXT_TEMPLATE, context).strip() + "\n"
    return html, text, urls


def campaign_message_render(
    *,
    subscriber: Subscriber,
    campaign_version: CampaignVersion,
    mailing_list: MailingList,
    site_url,
) -> tuple[str, str]:
    """(html, text) of one recipient's message, rendered straight from the templates.

    The slow, obvious path (previews, and the reference the fast path is tested against)."""
    html, text, _ = _render(
        campaign_version=campaign_version,
        mailing_list=mailing_list,
        site_url=site_url,
        key=_key(subscriber),
    )
    return html, text


def _key(subscriber: Subscriber) -> str:
    # Keys are URL-safe already (unsubscribe_key_new); quoting keeps any other one harmless
    # in a URL, in HTML (quoted text has no <, >, &, ") and in a header.
    return quote(subscriber.unsubscribe_key, safe="")


class CampaignMessage(EmailMultiAlternatives):
    """An ``EmailMultiAlternatives`` that names its two parts, and serialises itself for SMTP
    from the pre-encoded pieces of its ``PreparedCampaign`` (``wire``) while it is unchanged.

    Django's generic serialisation (``email`` package: header folding, MIME tree, transfer
    encoding) costs ~2.5 ms a message, more than everything else a recipient costs; the mail
    backends ask for ``message(policy=email.policy.SMTP)`` and then only call ``as_bytes()``
    on it, so that one call is answered with bytes assembled from parts encoded once per
    campaign. Any other policy (the development .eml writer walks the parts), or a message
    edited after it was built, takes Django's path. Tests parse both and compare them.
    """

    _wire: _Wire | None = None

    @property
    def text(self) -> str:
        return self.body

    @property
    def html(self) -> str:
        return self.alternatives[0].content

    def message(self, *, policy=email.policy.default):
        wire = self._wire
        if wire is not None and policy is email.policy.SMTP and wire.matches(self):
            return wire
        return super().message(policy=policy)


@dataclass(frozen=True)
class _Wire:
    """One recipient's message as SMTP bytes (what ``as_bytes`` of a Message would give)."""

    data: bytes
    # What the message held when ``data`` was made: an edit afterwards invalidates it.
    subject: str
    body: str
    from_email: str
    to: tuple[str, ...]
    headers: tuple[tuple[str, str], ...]

    def matches(self, message: EmailMultiAlternatives) -> bool:
        return (
            message.subject is self.subject
            and message.body is self.body
            and message.from_email == self.from_email
            and tuple(message.to) == self.to
            and not message.reply_to
            and not message.cc
            and not message.bcc
            and not message.attachments
            and len(message.alternatives) == 1
            and tuple(message.extra_headers.items()) == self.headers
        )

    def as_bytes(self, *args, **kwargs) -> bytes:
        return self.data


def _qp_segments(parts: tuple[str, ...]) -> tuple[str, ...]:
    """Each piece of a part quoted-printable encoded on its own (UTF-8, CRLF, lines of at most
    75 characters so a soft break "=" still fits in 76)."""
    return tuple(
        quoprimime.body_encode(part.encode("utf-8").decode("latin-1"), maxlinelen=75, eol=CRLF)
        for part in parts
    )


def _qp_join(segments: tuple[str, ...], key: str) -> str:
    # A key is quoted-printable as it is ([A-Za-z0-9%_.~-], no "="), on a line of its own between
    # two soft line breaks: decoding gives segment + key + segment, whatever the key's length.
    return f"={CRLF}{key}={CRLF}".join(segments)


@dataclass(frozen=True)
class PreparedCampaign:
    """A version's message rendered once, cut where each recipient's unsubscribe key goes."""

    subject: str
    language: str
    from_email: str
    domain: str
    list_id: str
    html_parts: tuple[str, ...]
    text_parts: tuple[str, ...]
    list_unsubscribe_parts: tuple[str, ...]
    # The SMTP serialisation's pieces (None when a header needs more than ASCII per recipient).
    wire_head: str | None = None
    wire_boundary: str = ""
    text_qp: tuple[str, ...] = ()
    html_qp: tuple[str, ...] = ()

    def build(self, *, subscriber: Subscriber, delivery: Delivery | None = None) -> CampaignMessage:
        """The message to ``subscriber``; with ``delivery``, its Message-ID is the delivery's
        own (a retry of the same delivery carries the same id, so a duplicate is recognisable)."""
        address = subscriber.email or ""
        if not address or "\r" in address or "\n" in address:
            raise ValueError("The subscriber has no usable e-mail address.")
        key = _key(subscriber)
        if delivery is not None:
            message_id = f"<newsletter.{delivery.campaign_id}.{delivery.pk}@{self.domain}>"
        else:
            message_id = make_msgid(domain=self.domain)
        headers = {
            "List-Unsubscribe": key.join(self.list_unsubscribe_parts),
            "List-Unsubscribe-Post": ONE_CLICK_POST,
            "List-Id": self.list_id,
            "Message-ID": message_id,
            "Content-Language": self.language,
        }
        text = key.join(self.text_parts)
        message = CampaignMessage(
            subject=self.subject,
            body=text,
            from_email=self.from_email,
            to=[address],
            headers=headers,
        )
        message.attach_alternative(key.join(self.html_parts), "text/html")
        if self.wire_head is not None and address.isascii() and " " not in address:
            message._wire = _Wire(
                data=self._wire_bytes(address=address, key=key, headers=headers),
                subject=self.subject,
                body=text,
                from_email=self.from_email,
                to=(address,),
                headers=tuple(headers.items()),
            )
        return message

    def _wire_bytes(self, *, address: str, key: str, headers: dict[str, str]) -> bytes:
        boundary = self.wire_boundary
        return "".join(
            (
                self.wire_head,
                f"To: {address}{CRLF}",
                f"Date: {formatdate(localtime=False)}{CRLF}",
                f"Message-ID: {headers['Message-ID']}{CRLF}",
                f"List-Unsubscribe: {headers['List-Unsubscribe']}{CRLF}",
                CRLF,
                f"--{boundary}{CRLF}",
                f'Content-Type: text/plain; charset="utf-8"{CRLF}',
                f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}",
                _qp_join(self.text_qp, key),
                f"{CRLF}--{boundary}{CRLF}",
                f'Content-Type: text/html; charset="utf-8"{CRLF}',
                f"Content-Transfer-Encoding: quoted-printable{CRLF}{CRLF}",
                _qp_join(self.html_qp, key),
                f"{CRLF}--{boundary}--{CRLF}",
            )
        ).encode("ascii")


def _wire_head(*, subject: str, from_email: str, list_id: str, language: str, boundary: str):
    """The headers every recipient shares, encoded (RFC 2047, folding) by the email package."""
    policy = email.policy.SMTP
    fields = (
        ("Content-Type", f'multipart/alternative; boundary="{boundary}"'),
        ("MIME-Version", "1.0"),
        ("Subject", subject),
        ("From", from_email),
        ("List-Id", list_id),
        ("List-Unsubscribe-Post", ONE_CLICK_POST),
        ("Content-Language", language),
    )
    return "".join(policy.header_factory(name, value).fold(policy=policy) for name, value in fields)


def campaign_message_prepare(
    *, campaign_version: CampaignVersion, mailing_list: MailingList, site_url: str
) -> PreparedCampaign:
    """Render ``campaign_version`` for ``mailing_list`` once (see the module's docstring)."""
    # Random, so no campaign text can contain it by chance or on purpose.
    placeholder = "k" + secrets.token_hex(16)
    html, text, urls = _render(
        campaign_version=campaign_version,
        mailing_list=mailing_list,
        site_url=site_url,
        key=placeholder,
    )
    from_email, domain = _sender()
    with override(campaign_version.language):
        list_name = one_line(mailing_list.name).replace("<", "").replace(">", "").replace('"', "")
    subject = one_line(campaign_version.subject)
    list_id = f'"{list_name}" <{mailing_list.slug}.newsletter.{domain}>'
    # A boundary of "=" signs never occurs in quoted-printable text (it writes "=" as "=3D").
    boundary = f"==============={secrets.randbelow(10**19):019d}=="
    html_parts = tuple(html.split(placeholder))
    text_parts = tuple(text.split(placeholder))
    list_unsubscribe_parts = tuple(urls.list_unsubscribe.split(placeholder))
    wire = "".join(list_unsubscribe_parts).isascii() and domain.isascii()
    return PreparedCampaign(
        subject=subject,
        language=campaign_version.language,
        from_email=from_email,
        domain=domain,
        list_id=list_id,
        html_parts=html_parts,
        text_parts=text_parts,
        list_unsubscribe_parts=list_unsubscribe_parts,
        wire_head=_wire_head(
            subject=subject,
            from_email=from_email,
            list_id=list_id,
            language=campaign_version.language,
            boundary=boundary,
        )
        if wire
        else None,
        wire_boundary=boundary,
        text_qp=_qp_segments(text_parts),
        html_qp=_qp_segments(html_parts),
    )


_prepared: OrderedDict[tuple, PreparedCampaign] = OrderedDict()
_prepared_lock = threading.Lock()


def _prepared_for(
    *, campaign_version: CampaignVersion, mailing_list: MailingList, site_url: str
) -> PreparedCampaign:
    # Everything the prepared message is made of: a change to any of them makes a new entry.
    cache_key = (
        campaign_version.pk,
        campaign_version.language,
        campaign_version.subject,
        campaign_version.body,
        mailing_list.pk,
        mailing_list.slug,
        mailing_list.name_fr,
        mailing_list.name_en,
        mailing_list.name_nl,
        site_url,
        settings.DEFAULT_FROM_EMAIL,
        settings.NEWSLETTER_UNSUBSCRIBE_MAILTO,
    )
    with _prepared_lock:
        prepared = _prepared.get(cache_key)
        if prepared is not None:
            _prepared.move_to_end(cache_key)
            return prepared
    prepared = campaign_message_prepare(
        campaign_version=campaign_version, mailing_list=mailing_list, site_url=site_url
    )
    with _prepared_lock:
        _prepared[cache_key] = prepared
        while len(_prepared) > _PREPARED_CACHE_SIZE:
            _prepared.popitem(last=False)
    return prepared


def campaign_message_build(
    *,
    delivery_or_subscriber: Delivery | Subscriber,
    campaign_version: CampaignVersion,
    mailing_list: MailingList,
    site_url: str,
) -> CampaignMessage:
    """The campaign message to one recipient (a ``Delivery`` of the campaign, or a
    ``Subscriber`` for a test send), ready for a mail connection's ``send_messages``.

    The version is rendered once and reused for every recipient (see the module's docstring);
    the caller picks the version in the recipient's language and the list they are on, and
    has checked the suppression list and the marketing objection before calling.
    """
    if isinstance(delivery_or_subscriber, Delivery):
        delivery, subscriber = delivery_or_subscriber, delivery_or_subscriber.subscriber
    else:
        delivery, subscriber = None, delivery_or_subscriber
    prepared = _prepared_for(
        campaign_version=campaign_version, mailing_list=mailing_list, site_url=site_url
    )
    return prepared.build(subscriber=subscriber, delivery=delivery)
