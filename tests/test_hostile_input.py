"""Hostile input never answers 500 (issue 11, item 13), generated from the URLconf.

Nothing here is a hand-kept list of pages or forms: ``django.urls.get_resolver()`` is walked (the
language-prefixed patterns, django-allauth's, the admin's), every route is filled in (with real
identifiers where the seed below has one), every page is fetched as each persona (an anonymous
visitor; a signed-in learner who is also a child's guardian; a staff member holding every role,
signed in with a second factor; the admin as staff only), and every ``<form>`` found on a page
is posted to. A form or a route added tomorrow is covered the day it is routed. Then:

- every route gets a GET with hostile query values (markup, control characters, repeated
  names, a number too large, bytes that are not UTF-8, in ``next``, ``page``, ``q``... and the
  fields of the page's GET forms), hostile cookies (the consent choice, the language), a POST
  whose body is not UTF-8 and a POST of JSON that is not JSON;
- routes taking a free-text, number or slug segment get hostile segments (markup, over-long,
  a number too large for the database);
- every form is posted with a small fixed corpus: plausible values, then markup
  (``<ImG src=z oNeRror=alert(1)>``), control characters and NUL, over-long values, wrong
  types, repeated fields, missing fields, each field hostile alone with the others
  plausible, a file where none is expected, and hostile ``next`` values (the admin's forms,
  Django's own on configuration data, get the every-field variants only);
- the websocket consumers of ``cll/routing.py`` get frames that are not JSON, JSON of the wrong
  shape, and binary frames.

It fails on any 500 or unhandled exception; on a redirect that leaves the site (an open
redirect through ``next``); and when a rejected submission (a 4xx, or the form shown again with
its errors) changed how many rows a personal-data table holds (the data map's personal models;
the audit ledger's records of a read are not the input, its other entries count): nothing is
saved from bad input. A failure names the problem once, with how many requests met it.

Every request runs in a savepoint rolled back after it, and the cache (rate limits) is cleared
before it: an accepted submission (an account deleted, a session ended) cannot spoil the next
request, and a rate limit cannot hide what lies behind it. A fixed corpus, not Hypothesis'
search: about 2,500 requests, under a minute on one core (``-s`` prints where the time goes;
``HOSTILE_ONLY=<part of a route>`` narrows the run while fixing what it found).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
import re
import time
import traceback
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import LocalePrefixPattern, RoutePattern

from cll.core import pagecache
from cll.core.roles import Role
from cll.privacy import datamap
from conftest import PASSWORD, _user, reauthenticated_login, staff_login

pytestmark = pytest.mark.django_db

LANGUAGE = "fr"
MARKUP = "<ImG src=z oNeRror=alert(1)>"
CONTROL = "a\x00b\x01c\x08\x0b\x0c\x1b[31m\x7f\u200b\u202e\ufeffz"
LONG = "A" * 20_000 + MARKUP
# Values of the wrong type for whatever the field expects (a number, a date, a choice, text).
WRONG_TYPES = [
    "-1",
    "9" * 40,
    "1e309",
    "NaN",
    "2026-02-30",
    "[]",
    '{"a": 1}',
    "true",
    " ",
    "0x1F",
    "../../etc/passwd",
    "' OR 1=1 --",
]
# Where a "next"/return address may point: only a path of this site is followed.
HOSTILE_NEXT = [
    MARKUP,
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\\evil.example",
    "/\x00/",
    "NaN",
    "http:evil.example",
    "/" + "a" * 5000,
]
# Query parameters tried on every page, whatever it reads.
QUERY_NAMES = ["next", "page", "q", "o", "sort", "lang", "language", "level", "format", "site"]
NON_UTF8 = b"next=%FF%FE&a=\xff\xfe\xfd&b=%C0%AF&c=\xc3\x28&email=%00%ff%40x"
# A GET that answers one of these is followed into the page's forms.
_BODY = ("text/html",)
JSON = "application/json"
# Forms with more fields (the admin's) get the every-field variants only.
MAX_FIELDS_ONE_BY_ONE = 12
# A header carries bytes: UTF-8 read as Latin-1 (as WSGI hands it over), markup, controls.
HOSTILE_COOKIE = MARKUP + "\x01\x7f" + "é\u202e".encode().decode("latin-1") + '"\\'


# -- The seed: one real row behind each kind of identifier a route takes -------------------------


@pytest.fixture
def seed(db, django_user_model, gina):
    """One row of each kind the routes name (a child, a privacy request, a breach, a policy
    version, an export, a course session, a news item), the learner's where it
    is personal: routes with identifiers are tried on a row that exists, not only on a 404."""
    from cll.accounts.services import child_add
    from cll.breaches import services as breaches
    from cll.content.tests.factories import make_news_item
    from cll.courses.tests.factories import make_session
    from cll.dsar import services as dsar
    from cll.policies import services as policies
    from cll.rights.services import export_start

    staff = _user(django_user_model, "staff-all@example.org", *Role.STAFF_ROLES)
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    child = child_add(
        guardian=gina,
        data={"first_name": "Lotte", "last_name": "Peeters", "level": "A1"},
    )
    request = dsar.request_submit(
        type="access", email=gina.email, details="Everything.", language="fr", user=gina
    )
    breach = breaches.breach_record(
        actor=staff,
        role=Role.PRIVACY_OFFICER,
        values={
            "title": "Laptop stolen",
            "detected_at": dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
            "nature": "Stolen laptop.",
            "people_count": 3,
        },
    )
    texts = {"fr": "## 1. Qui\n\nTexte.", "en": "## 1. Who\n\nText.", "nl": "## 1. Wie\n\nTekst."}
    draft = policies.policy_version_draft_save(
        actor=staff,
        role=Role.PRIVACY_OFFICER,
        kind="privacy",
        version="2099-01",
        bodies=texts,
        changes=texts,
        material=False,
        affects_existing_processing=False,
        new_consent_purposes=[],
    )
    export = export_start(subject=gina)
    session = make_session()
    news = make_news_item()
    return {
        "staff": staff,
        "uuid": [
            child.public_id,
            request.public_id,
            breach.public_id,
            draft.public_id,
            export.public_id,
            gina.public_id,
        ],
        "int": ["1"],
        "slug": [session.slug, news.slug, "privacy"],
        "public": [draft.version],
    }


# -- Routes --------------------------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
# A route that another one, listed before it, answers in its place.
SHADOWED = "<shadowed>"
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<regex>[^()]*)\)")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its parts (a path() route, or a regular expression) and its view."""

    parts: tuple[tuple[str, object], ...]
    pattern: URLPattern

    @property
    def text(self) -> str:
        return "".join(str(p) if kind != "lang" else "<lang>/" for kind, p in self.parts)

    @property
    def admin(self) -> bool:
        """The Django admin's (with or without the language prefix): staff only."""
        return self.text.removeprefix("<lang>/").startswith("admin/")

    def params(self) -> list[tuple[str, str]]:
        """(name, kind) of every captured value: a converter's name, or "re:<regex>"."""
        found = []
        for kind, pattern in self.parts:
            if kind == "route":
                for match in _CONVERTER.finditer(str(pattern)):
                    found.append((match["name"], match["converter"] or "str"))
            elif kind == "regex":
                for match in _GROUP.finditer(pattern.regex.pattern):
                    found.append((match["name"], "re:" + match["regex"]))
        return found

    def fill(self, values: dict[str, str]) -> str | None:
        """The path with every value filled in; None when it does not resolve, SHADOWED when
        it resolves to another view (listed earlier: allauth's signup under our own)."""
        path = ""
        for kind, pattern in self.parts:
            if kind == "lang":
                path += f"{LANGUAGE}/"
            elif kind == "route":
                path += _CONVERTER.sub(lambda m: values[m["name"]], str(pattern))
            else:
                text = _GROUP.sub(lambda m: values[m["name"]], pattern.regex.pattern)
                path += text.lstrip("^").rstrip("$").replace("\\", "")
        path = "/" + path
        try:
            match = resolve(path)
        except (Resolver404, ValueError):
            return None
        if match.func != self.pattern.callback:
            return SHADOWED
        # Percent-encoded as a browser sends it (markup and control characters included).
        return quote(path, safe="/:@-._~!$&'()*+,;=")


def _routes(patterns, parts=()) -> Iterator[Route]:
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, LocalePrefixPattern):
            part = ("lang", pattern)
        elif isinstance(pattern, RoutePattern):
            part = ("route", pattern)
        else:
            part = ("regex", pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, (*parts, part))
        else:
            yield Route((*parts, part), entry)


ROUTES = list(_routes(get_resolver().url_patterns))


def _matches(kind: str, value: str) -> bool:
    converters = {"int": r"[0-9]+", "uuid": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"}
    if kind.startswith("re:"):
        return re.fullmatch(kind[3:], value) is not None
    if kind in ("int", "uuid"):
        return re.match(converters[kind], value) is not None
    if kind == "slug":
        return re.fullmatch(r"[-a-zA-Z0-9_]+", value) is not None
    if kind == "path":
        return bool(value)
    return bool(value) and "/" not in value


def _candidates(kind: str, seed: dict) -> list[str]:
    """Values to try for one captured value, real ones first."""
    real = {
        "uuid": [str(v) for v in seed["uuid"]] + [str(uuid.UUID(int=7))],
        "int": [str(v) for v in seed["int"]],
        "slug": seed["slug"] + ["no-such-thing"],
        "public": seed["public"] + ["1.0"],
    }.get(kind, [])
    generic = ["no-such-thing", "1", "x", "abc-1", "0", "en", "fr", "auth", "privacy"]
    return [v for v in real + generic if _matches(kind, v)]


def _hostile_segments(kind: str) -> list[str]:
    """Segments a visitor may type that the converter still accepts."""
    if kind in ("str", "public", "path") or kind.startswith("re:"):
        values = [MARKUP + "\u202e", "a" * 3000]
    elif kind == "int":
        values = ["9" * 30]
    elif kind == "slug":
        values = ["a" * 3000]
    else:
        values = []
    return [v for v in values if _matches(kind, v)]


# -- Forms ---------------------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    type: str
    value: str
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list[Field] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    """Every <form> of a page: its action, method and named fields (as a browser sends them)."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or self.page
            self._form = Form(
                action=action if action.startswith("/") else self.page,
                method=(a.get("method") or "get").lower(),
                enctype=a.get("enctype", ""),
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image", "button", "reset"):
                form.buttons.append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                existing = next((f for f in form.fields if f.name == name), None)
                if existing is None:
                    form.fields.append(Field(name, kind, a.get("value", "on"), [a.get("value")]))
                else:
                    existing.options.append(a.get("value", "on"))
            else:
                form.fields.append(Field(name, kind, a.get("value", "")))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select":
            self._select = Field(name, "select", "")
            form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = Field(name, "textarea", "")
            form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _forms(page: str, html: str) -> list[Form]:
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms


def _plausible(field_: Field) -> str:
    """A value a person could well have typed, so that one hostile field reaches deep code."""
    if field_.name == "csrfmiddlewaretoken" or field_.type == "hidden":
        return field_.value
    if field_.options:
        return next((o for o in field_.options if o), field_.options[0] or "")
    by_type = {
        "email": "someone@example.org",
        "password": PASSWORD,
        "date": "2000-01-15",
        "datetime-local": "2026-01-15T10:00",
        "number": "3",
        "url": "https://example.org/",
        "tel": "+32 10 47 00 00",
    }
    if field_.type in by_type:
        return by_type[field_.type]
    return field_.value or "Plausible text"


def _form_bodies(form: Form, *, admin: bool) -> Iterator[tuple[str, dict]]:
    """(variant, data) for one form: the fixed hostile corpus. The admin's forms (Django's own,
    on configuration data) get the every-field variants only."""
    names = [f.name for f in form.fields if f.name != "csrfmiddlewaretoken"]
    base = {f.name: _plausible(f) for f in form.fields}
    buttons = dict(form.buttons[:1])
    yield "plausible", {**base, **buttons}
    for name, value in form.buttons[1:]:
        yield f"button {name}={value[:20]}", {**base, name: value}
    yield "missing fields", {}
    every = [("markup", MARKUP + CONTROL)] if admin else []
    for label, value in every or [("markup", MARKUP), ("control", CONTROL), ("long", LONG)]:
        yield f"every field {label}", {**base, **buttons, **dict.fromkeys(names, value)}
    wrong = dict(zip(names, itertools.cycle(WRONG_TYPES), strict=False))
    yield "wrong types", {**base, **buttons, **wrong}
    repeated = {f.name: [_plausible(f), MARKUP, "2"] for f in form.fields}
    yield "repeated fields", {**buttons, **repeated}
    if admin:
        return
    # One field hostile with the others plausible reaches past the first error.
    if len(names) <= MAX_FIELDS_ONE_BY_ONE:
        for name in names:
            yield f"{name} markup alone", {**base, **buttons, name: MARKUP}
    for value in HOSTILE_NEXT if "next" in names else HOSTILE_NEXT[:1]:
        yield f"next={value[:30]!r}", {**base, **buttons, "next": value}


# -- Personas ------------------------------------------------------------------------------------


def _learner_client(user) -> Client:
    client = Client()
    reauthenticated_login(client, user)
    return client


@pytest.fixture
def personas(seed, gina) -> dict[str, Client]:
    """An anonymous visitor; a learner (gina, who is also a child's guardian, so that the
    children's pages open); a staff member with every role and a second factor."""
    staff = Client()
    staff_login(staff, seed["staff"])
    return {"anonymous": Client(), "learner": _learner_client(gina), "staff": staff}


# -- Sending, and what must hold for every answer ------------------------------------------------


class _Rollback(Exception):
    pass


def _personal_tables() -> list[str]:
    return sorted(
        {
            entry.model._meta.db_table
            for entry in datamap.personal_models()
            if entry.model._meta.managed
        }
    )


def _counts_sql(tables: list[str]) -> str:
    """One query counting the rows of every table. The audit ledger's reads (``<app>.read``:
    a staff member shown a person's data again, with the form's errors) are the record the
    house rules ask for, not the input: its other entries (an action done) count."""
    from cll.privacy.models import AuditEntry

    quote = connection.ops.quote_name
    ledger = AuditEntry._meta.db_table

    def count(table: str) -> str:
        where = " WHERE action NOT LIKE '%.read'" if table == ledger else ""
        # Table names from the models, no value from outside.
        return f"(SELECT COUNT(*) FROM {quote(table)}{where})"  # noqa: S608

    return "SELECT " + ", ".join(count(t) for t in tables)


def _rejected(response) -> bool:
    if response.status_code >= 400:
        return True
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return False
    return b'aria-invalid="true"' in response.content or b'class="errorlist' in response.content


def _off_site(location: str) -> bool:
    """Whether a Location header leaves this site (or is not a place at all)."""
    if not location:
        return False
    parts = urlsplit(location)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return True
    if parts.netloc and parts.netloc not in ("testserver", "localhost"):
        return True
    return location.startswith(("//", "/\\")) or any(ord(c) < 32 for c in location)


@dataclass
class Fuzzer:
    personas: dict[str, Client]
    tables: list[str]
    failures: list[str] = field(default_factory=list)
    sent: int = 0
    # Seconds spent per kind of request (printed with -s: where the run's time goes).
    spent: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        self.counts_sql = _counts_sql(self.tables)

    def _counts(self) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(self.counts_sql)
            return cursor.fetchone()

    def send(self, persona: str, method: str, path: str, what: str, **kwargs):
        """One request in a savepoint rolled back after it; records what went wrong."""
        client = self.personas[persona]
        cookies = client.cookies
        client.cookies = type(cookies)(cookies)
        cache.clear()
        pagecache._forget_version()
        self.sent += 1
        where = f"{method.upper()} {path[:120].replace(': ', ':_')} as {persona} ({what})"
        response = None
        began = time.monotonic()
        kind = f"{'admin' if '/admin/' in path else 'site'} {persona} {what.split(' ')[0]}"
        try:
            with transaction.atomic():
                before = self._counts() if method == "post" else None
                try:
                    response = getattr(client, method)(path, **kwargs)
                # Every unhandled exception is the bug this test looks for.
                except Exception as exc:
                    frames = traceback.extract_tb(exc.__traceback__)
                    ours = [f for f in frames if "/cll/" in f.filename] or frames
                    self.failures.append(
                        f"{where}: {type(exc).__name__}: {str(exc)[:200]} "
                        f"at {ours[-1].filename}:{ours[-1].lineno}"
                    )
                    raise _Rollback from exc
                after = self._counts() if before is not None and _rejected(response) else before
                if after != before:
                    changed = [
                        t for t, b, a in zip(self.tables, before, after, strict=True) if a != b
                    ]
                    self.failures.append(
                        f"{where}: rejected ({response.status_code}) but rows were added to or "
                        f"removed from {', '.join(changed)}"
                    )
                raise _Rollback
        except _Rollback:
            pass
        finally:
            client.cookies = cookies
            self.spent[kind] = self.spent.get(kind, 0) + time.monotonic() - began
        if response is None:
            return None
        if response.status_code >= 500:
            self.failures.append(f"{where}: {response.status_code}")
        if 300 <= response.status_code < 400 and _off_site(response.get("Location", "")):
            self.failures.append(f"{where}: redirected off the site to {response['Location']!r}")
        return response


def _html(response) -> str | None:
    if response is None or response.status_code != 200:
        return None
    if not response.get("Content-Type", "").startswith(_BODY) or response.streaming:
        return None
    return response.content.decode(errors="replace")


def _route_paths(fuzzer: Fuzzer, route: Route, seed: dict, persona: str) -> tuple[str, list[str]]:
    """The route's address for this persona (real identifiers first: the first that is not a
    404), and addresses with hostile segments."""
    params = route.params()
    if not params:
        return route.fill({}), []
    choices = [_candidates(kind, seed) for _name, kind in params]
    names = [name for name, _kind in params]
    first = None
    shadowed = False
    for combination in itertools.islice(itertools.product(*choices), 12):
        path = route.fill(dict(zip(names, combination, strict=True)))
        shadowed = shadowed or path is SHADOWED
        if path is None or path is SHADOWED:
            continue
        first = first or path
        if "uuid" not in {kind for _n, kind in params}:
            break
        response = fuzzer.send(persona, "get", path, "finding a row")
        if response is not None and response.status_code != 404:
            first = path
            break
    hostile = []
    for index, (_name, kind) in enumerate(params):
        for value in _hostile_segments(kind):
            values = [c[0] if c else "x" for c in choices]
            values[index] = value
            filled = route.fill(dict(zip(names, values, strict=True)))
            if filled and filled is not SHADOWED:
                hostile.append(filled)
    if first is None and shadowed:
        return SHADOWED, []
    return first, hostile


def _turned_away(response) -> bool:
    """Sent to the sign-in page, or refused: the view's own code is not reached."""
    if response is None:
        return True
    if response.status_code in (401, 403):
        return True
    location = response.get("Location", "") if 300 <= response.status_code < 400 else ""
    return "/login/" in location or "/reauthenticate/" in location


def _fuzz_route(fuzzer: Fuzzer, route: Route, seed: dict, persona: str, forms_seen: set) -> bool:
    path, hostile_paths = _route_paths(fuzzer, route, seed, persona)
    if path is None:
        return False
    for hostile_path in hostile_paths:
        fuzzer.send(persona, "get", hostile_path, "hostile segment")
    if path is SHADOWED:
        return True
    not_utf8 = {"data": NON_UTF8, "content_type": "application/x-www-form-urlencoded"}
    response = fuzzer.send(persona, "get", path, "page")
    if _turned_away(response):
        # A page this persona may not open: one hostile POST, which must be refused as well.
        fuzzer.send(persona, "post", path, "body not UTF-8", **not_utf8)
        return True
    if route.admin and route.params():
        # The admin's object pages (the same views for every model): the page and its hostile
        # segments; the add forms stand for the change forms.
        return True
    page = _html(response)
    forms = _forms(path, page) if page else []
    get_fields = [f.name for form in forms if form.method == "get" for f in form.fields]
    # One query with every hostile kind at once: markup and control characters in every name
    # the page may read, repeated names, a number too large, bytes that are not UTF-8.
    query = urlencode(
        [(name, MARKUP + CONTROL) for name in QUERY_NAMES + get_fields]
        + [("next", "//evil.example"), ("page", "9" * 40), ("page", "-1")]
    )
    fuzzer.send(persona, "get", f"{path}?{query}&%FF%FE=%C0%AF", "hostile query")
    if persona == "anonymous":
        # Cookies the site reads (the consent choice, the language), set to garbage.
        client = fuzzer.personas[persona]
        saved = client.cookies
        client.cookies = type(saved)(saved)
        for name in COOKIE_NAMES:
            client.cookies[name] = HOSTILE_COOKIE
        fuzzer.send(persona, "get", path, "hostile cookies")
        client.cookies = saved
    # POSTs of its own, whatever form the page shows: bytes that are not UTF-8 (with repeated
    # fields and a hostile next), JSON that is not JSON.
    fuzzer.send(persona, "post", path, "body not UTF-8", **not_utf8)
    fuzzer.send(persona, "post", path, "not JSON", data=b'{"a": [1, ', content_type=JSON)
    for form in forms:
        action = form.action.split("#")[0]
        # Each form once (the cookie banner is on every page), as the first persona seeing it.
        key = (form.method, urlsplit(action).path, tuple(sorted(f.name for f in form.fields)))
        if key in forms_seen:
            continue
        forms_seen.add(key)
        method = "post" if form.method == "post" else "get"
        if route.admin and method == "get":
            continue  # the admin's search and filters: the hostile query above reaches them
        for variant, data in _form_bodies(form, admin=route.admin):
            fuzzer.send(persona, method, action, f"form {variant}", data=data)
        if method == "post" and not route.admin:
            fuzzer.send(persona, method, action, "form with a file", data={"file": _upload()})
    return True


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("<x>.svg", b"<svg onload=alert(1)>\x00\xff", "image/svg+xml")


def _cookie_names() -> list[str]:
    """The site's own cookies (the cookie registry) but the session and CSRF ones, which the
    persona's sign-in and the test client's CSRF exemption need."""
    from django.conf import settings

    from cll.consent import registry

    names = {c.name for c in registry.cookies() if c.party == registry.FIRST_PARTY and not c.prefix}
    names.add(settings.LANGUAGE_COOKIE_NAME)
    names -= {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}
    return sorted(names)


COOKIE_NAMES = _cookie_names()

# -- The tests -----------------------------------------------------------------------------------


def test_the_walk_sees_every_kind_of_route():
    texts = {route.text for route in ROUTES}
    assert "<lang>/consent/" in texts
    assert "<lang>/account/login/" in texts  # allauth's
    assert any(t.startswith("admin/") for t in texts)
    assert any(route.params() for route in ROUTES if route.text.startswith("<lang>/account/"))


# One test per persona and part: xdist spreads them over its workers. The admin is fuzzed as
# staff only, in a part of its own ("admin").
PARTS = {"anonymous": 6, "learner": 15, "staff": 20, "admin": 20}  # forms each must find at least


@pytest.mark.parametrize("part", list(PARTS))
def test_no_hostile_input_gets_a_500_or_saves_anything(personas, seed, part):
    persona = "staff" if part == "admin" else part
    fuzzer = Fuzzer(personas=personas, tables=_personal_tables())
    forms_seen: set = set()
    unfilled = []
    # HOSTILE_ONLY=consent (a part of the route) narrows the run while fixing what it found.
    only = os.environ.get("HOSTILE_ONLY", "")
    started = time.monotonic()
    for route in ROUTES:
        if only not in route.text:
            continue
        if route.admin != (part == "admin"):
            continue
        if not _fuzz_route(fuzzer, route, seed, persona, forms_seen):
            unfilled.append(route.text)
    print(f"{fuzzer.sent} requests, {len(forms_seen)} forms, {time.monotonic() - started:.1f} s")
    for kind, seconds in sorted(fuzzer.spent.items(), key=lambda item: -item[1])[:12]:
        print(f"  {seconds:6.1f} s  {kind}")
    # One line per distinct problem (the same crash behind many requests), with an example.
    problems: dict[str, list[str]] = {}
    for failure in fuzzer.failures:
        where, _, problem = failure.partition(": ")
        problems.setdefault(problem, []).append(where)
    assert problems == {}, f"{len(fuzzer.failures)} of {fuzzer.sent} requests:\n" + "\n".join(
        f"{problem}\n    {len(wheres)}x, e.g. {wheres[0]}" for problem, wheres in problems.items()
    )
    # Only a regular expression that no candidate value matches may stay out of reach.
    assert [t for t in unfilled if "(?P<" not in t] == []
    assert only or len(forms_seen) >= PARTS[part], (
        "the walk found too few forms: is the parser still reading them?"
    )


def test_websocket_consumers_close_cleanly_on_hostile_frames():
    from channels.routing import URLRouter
    from channels.testing import WebsocketCommunicator

    from cll.routing import websocket_urlpatterns

    app = URLRouter(websocket_urlpatterns)
    frames = [
        {"text_data": '{"a": [1, '},
        {"text_data": MARKUP},
        {"text_data": CONTROL},
        {"text_data": LONG},
        {"text_data": "[1, 2]"},
        {"text_data": "null"},
        {"bytes_data": b"\xff\xfe\x00"},
    ]

    async def exchange(path: str, frame: dict) -> str | None:
        """What the consumer answered (a message or a close); an exception in the consumer
        is raised here, from the communicator's future."""
        communicator = WebsocketCommunicator(app, path)
        connected, _ = await communicator.connect()
        if not connected:
            return None
        await communicator.send_to(**frame)
        answer = await communicator.receive_output(timeout=2)
        # The client leaves in both cases (a consumer that closed still waits for it): its end
        # is awaited, so an exception in the consumer is raised here.
        await communicator.disconnect()
        return answer["type"]

    routes = [str(pattern.pattern) for pattern in websocket_urlpatterns]
    assert routes
    for route in routes:
        path = "/" + _CONVERTER.sub("x", route)
        answers = {repr(frame)[:40]: asyncio.run(exchange(path, frame)) for frame in frames}
        assert set(answers.values()) <= {"websocket.send", "websocket.close", None}, answers
    # The echo consumer: JSON is answered, what is not JSON text closes the connection.
    assert asyncio.run(exchange("/ws/health/", {"text_data": "[1, 2]"})) == "websocket.send"
    assert asyncio.run(exchange("/ws/health/", {"text_data": MARKUP})) == "websocket.close"
    assert asyncio.run(exchange("/ws/health/", {"bytes_data": b"\xff"})) == "websocket.close"
