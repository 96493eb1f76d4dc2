"""Our URLs as logs may keep them: every secret segment replaced by its name.

E-mailed links carry bearer tokens in their path (privacy-request verification, e-mail
confirmation, password reset, parental consent, erasure cancellation, exit links...). A log that
kept them would keep working keys, unencrypted, in the database and its backups. Which segments
are secret is read from the URLconf, not from a list: a captured segment is kept only when its
converter says it is an ordinary identifier — ``int``, ``uuid`` (public ids), ``slug`` (readable
names) or ``public`` (free text declared harmless) — and every other capture (``str``, ``path``,
regular-expression groups, any new converter) is replaced by ``<name>``. So a new token-bearing
URL is covered the day it is written, unless someone declares its token ``public``.

A path our URLconf does not know (a 404) keeps only its readable segments: anything that looks
random or identifying becomes ``<id>``. A referrer from our own site gets the same treatment and
loses its query; one from elsewhere is reduced to its origin (the rest is someone else's page,
possibly with their tokens in it).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.urls import Resolver404, ResolverMatch, resolve
from django.urls.converters import StringConverter
from django.utils import translation

# Converters whose values are identifiers, not secrets (see the module docstring).
KEPT_CONVERTERS = frozenset({"int", "uuid", "slug", "public"})


class PublicConverter(StringConverter):
    """``<public:name>``: any segment, as ``str``, declared not secret (kept in logs)."""


# ``<converter:name>``, ``<name>`` (a str) and ``(?P<name>...)`` (a regular expression group).
_CAPTURE = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
# Segments that would single out a person or a document (UUIDs, long hex, numbers, signed
# tokens, random ids); readable slugs stay.
_UUID_HEX_OR_NUMBER = re.compile(
    r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{16,}|[0-9]+",
    re.IGNORECASE,
)
_READABLE_SLUG = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")


@functools.lru_cache(maxsize=1024)
def secret_names(route: str) -> frozenset[str]:
    """The names of the captures of ``route`` (a ``ResolverMatch.route``) that are secret."""
    return frozenset(
        match["name"]
        for match in _CAPTURE.finditer(route)
        if match["converter"] not in KEPT_CONVERTERS
    )


def readable_segments(path: str, placeholder: str = "<id>") -> str:
    """``path`` with every segment that is not a short readable slug replaced."""
    segments = path.split("/")
    for index, segment in enumerate(segments):
        if segment and (
            len(segment) > 60
            or _UUID_HEX_OR_NUMBER.fullmatch(segment)
            or not _READABLE_SLUG.fullmatch(segment)
        ):
            segments[index] = placeholder
    return "/".join(segments)


def _replaced(path: str, match: ResolverMatch) -> str:
    # ``kwargs``, not ``captured_kwargs``: those of an include()'s own pattern are only here.
    secrets = [
        (name, str(match.kwargs[name]))
        for name in secret_names(match.route)
        if match.kwargs.get(name) not in (None, "")
    ]
    # Unnamed groups of a regular expression: nothing says what they are.
    secrets += [("arg", str(value)) for value in match.args if value not in (None, "")]
    if not secrets:
        return path
    if not all(value in path for _name, value in secrets):
        # A converter whose Python value is not the text of the URL: keep nothing random.
        return readable_segments(path)
    segments = path.split("/")
    # Longest first, so that a value containing another is replaced whole.
    for name, value in sorted(secrets, key=lambda item: -len(item[1])):
        placeholder = f"<{name}>"
        if value in segments:
            segments = [placeholder if segment == value else segment for segment in segments]
        else:
            # Part of a segment (``<uidb36>-<key>``) or several (a ``path`` converter).
            segments = "/".join(segments).replace(value, placeholder).split("/")
    return "/".join(segments)


def _match(path: str) -> ResolverMatch | None:
    """Resolve ``path`` in the language of its prefix (i18n patterns only match the active
    language's), also as the slash-appended URL CommonMiddleware redirects to."""
    first = path.split("/", 2)[1] if path.count("/") >= 2 else ""
    language = first if first in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        for candidate in (path, path + "/") if not path.endswith("/") else (path,):
            try:
                return resolve(candidate)
            except Resolver404:
                continue
            except Exception:
                # A path the resolver chokes on (odd bytes, a converter raising): not ours.
                return None
    return None


def path_without_secrets(path: str, match: ResolverMatch | None = None) -> str:
    """``path`` with its secret segments replaced by ``<name>``. ``match``, when the request
    was resolved, saves resolving it again (the access log passes ``request.resolver_match``)."""
    if match is None:
        match = _match(path)
        if match is None:
            return readable_segments(path)
    elif not match.kwargs and not match.args:
        return path
    return _replaced(path, match)


def referrer_without_secrets(referrer: str, own_hosts: frozenset[str]) -> str:
    """A ``Referer`` as logs may keep it: our own page without secrets nor query, another
    site's origin only, "" for anything that is not an http(s) URL."""
    try:
        parts = urlsplit(referrer[:2000])
        host = (parts.hostname or "")[:255]
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not host:
        return ""
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    if host not in own_hosts:
        return f"{origin}/"
    return origin + path_without_secrets(unquote(parts.path) or "/")


def own_hosts() -> frozenset[str]:
    """Host names that are us: the site URL's and ``ALLOWED_HOSTS``."""
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    hosts.update(host.lstrip(".") for host in settings.ALLOWED_HOSTS if host != "*")
    return frozenset(hosts)
