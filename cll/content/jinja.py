"""Template helpers for the site's frame: the language switcher and Markdown rendering."""

from __future__ import annotations

import functools
import re

import jinja2
from django.conf import settings
from django.core.signals import setting_changed
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info

from cll.lib.markup import markdown_to_safe_html

_PREFIX = re.compile(r"^/(?P<code>[a-z]{2})(?=/|$)")


def _url_in(path: str, code: str) -> str:
    """The same page in another language; for a page no route knows (a 404), swap the prefix."""
    translated = translate_url(path, code)
    if translated != path or code == get_language():
        return translated
    languages = {lang for lang, _name in settings.LANGUAGES}
    match = _PREFIX.match(path)
    if match and match["code"] in languages:
        return f"/{code}{path[match.end() :]}"
    return f"/{code}/"


@jinja2.pass_context
def language_links(context) -> list[dict]:
    """One entry per UI language: code, its name in itself, this page's URL in it, current?"""
    request = context.get("request")
    path = request.get_full_path() if request is not None else "/"
    return [dict(link) for link in _language_links(path, get_language(), settings.SITE_URL)]


@functools.lru_cache(maxsize=4096)
def _language_links(
    path: str, current: str, site_url: str
) -> tuple[tuple[tuple[str, object], ...], ...]:
    # Every page asks for them and each costs three URL resolutions: the answer depends only on
    # the address, the active language and the site's address (the URLconf is fixed in a
    # process), so it is kept, bounded (addresses are the visitor's to choose).
    links = []
    for code, _name in settings.LANGUAGES:
        url = _url_in(path, code)
        links.append(
            (
                ("code", code),
                ("name", get_language_info(code)["name_local"]),
                ("url", url),
                # From the configured site address, never the Host header: error pages render
                # this too, including the 400 page for a forged or disallowed host.
                ("absolute_url", f"{site_url}{url}"),
                ("current", code == current),
            )
        )
    return tuple(links)


def markdown(text: str) -> str:
    """Markdown to sanitised HTML (cll/lib/markup.py)."""
    return markdown_to_safe_html(text)


def _on_setting_changed(**kwargs) -> None:
    # Tests that change the URLconf, the languages or the site's address get fresh links.
    _language_links.cache_clear()


setting_changed.connect(_on_setting_changed, dispatch_uid="cll.content.language_links")

# Found by cll.core.jinja.environment.
GLOBALS = {"language_links": language_links}
FILTERS = {"markdown": markdown}
