"""Markdown written by staff (news, policies) rendered to HTML that is safe to publish.

Staff write these texts, but a stolen staff session must not be able to put a script on a public
page (and the CSP forbids inline scripts and styles anyway): everything outside the allowed tags
is removed by nh3, links may only be http(s), mailto or relative, and get
``rel="noopener noreferrer"``.
"""

from __future__ import annotations

from collections.abc import Callable

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

TEXT_TAGS = frozenset(
    {
        "a",
        "abbr",
        "blockquote",
        "br",
        "code",
        "em",
        "h2",
        "h3",
        "h4",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "ul",
    }
)
TABLE_TAGS = frozenset({"table", "thead", "tbody", "tr", "th", "td"})
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}


def markdown_to_safe_html(
    text: str, *, tables: bool = False, transform: Callable[[str], str] | None = None
) -> SafeString:
    """Markdown to sanitised HTML; ``tables`` allows Markdown tables, ``transform`` rewrites the
    HTML before it is sanitised (e.g. to fill placeholders, escaping what it inserts)."""
    html = markdown_lib.markdown(
        text or "",
        extensions=["tables", "sane_lists"] if tables else [],
        output_format="html",
    )
    if transform is not None:
        html = transform(html)
    cleaned = nh3.clean(
        html,
        tags=set(TEXT_TAGS | TABLE_TAGS) if tables else set(TEXT_TAGS),
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above
