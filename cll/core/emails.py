"""What every e-mail the site sends looks like: a plain-text part and an HTML part, in the
recipient's language, in one shared branded frame (``emails/base.txt``, ``emails/base.html``).

A message is written once, as text: ``<name>.txt`` extends ``emails/base.txt`` and fills its
``body`` block. Its HTML part is that same body placed in ``emails/base.html`` (escaped, in
paragraphs, links made clickable), unless the message has its own ``<name>.html``. So a new
app's e-mails look like all the others without anyone writing HTML, and the two parts never
say different things. The HTML has inline styles only and no remote image (a remote image
tells the sender when and where a message is read).

E-mails have no request: templates get the organisation (``organisation``) and the public
address (``site_url``) to build absolute links, never the host a request came in on.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.defaultfilters import linebreaks_filter
from django.template.loader import render_to_string
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import override

from cll.core.context_processors import organisation

# Context flag: ``emails/base.txt`` renders the body alone (for the HTML part), without the
# text part's own header and signature.
BODY_ONLY = "email_body_only"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def email_context(context: dict) -> dict:
    return {**organisation(None), "site_url": settings.SITE_URL, **context}


def email_render(
    *,
    subject_template: str,
    text_template: str,
    context: dict,
    language: str,
    html_template: str | None = None,
) -> RenderedEmail:
    """Render one message in ``language`` (the recipient's, not the current request's).

    ``html_template`` (default: ``text_template`` with ``.html`` instead of ``.txt``) is used
    when it exists; otherwise the HTML part is made from the text body.
    """
    context = email_context(context)
    if html_template is None:
        html_template = text_template.removesuffix(".txt") + ".html"
    with override(language):
        subject = " ".join(render_to_string(subject_template, context).split())
        text = render_to_string(text_template, context).strip() + "\n"
        try:
            html = render_to_string(html_template, {**context, "email_subject": subject})
        except TemplateDoesNotExist:
            body = render_to_string(text_template, {**context, BODY_ONLY: True})
            html = _frame(body, subject=subject, context=context, footer=True)
    return RenderedEmail(subject=subject, text=text, html=html)


def email_html_from_text(*, text: str, subject: str, language: str) -> str:
    """The HTML part of a message written as plain text only (its text carries its own
    signature, so the frame adds none)."""
    with override(language):
        return _frame(text, subject=subject, context=email_context({}), footer=False)


def _frame(text: str, *, subject: str, context: dict, footer: bool) -> str:
    # The rendered text is marked safe (templates mark their output so), but it is plain text,
    # not HTML: a plain str copy makes urlize escape it.
    plain = str.__str__(text) if isinstance(text, SafeString) else text
    # urlize escapes everything but the links it makes (its result is HTML, hence safe).
    linked = mark_safe(urlize(plain.strip(), autoescape=True))  # noqa: S308
    body_html = linebreaks_filter(linked, autoescape=True)
    return render_to_string(
        "emails/base.html",
        {**context, "email_subject": subject, "email_body_html": body_html, "email_footer": footer},
    )
