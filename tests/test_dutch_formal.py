"""Dutch pages address people with "u" and "uw", never "je" or "jij" (house style), so that a
page never mixes the two: our own catalogue, and django-allauth's texts as the site shows them.

The only informal Dutch texts are the few a child under 13 reads on the guardian path, and only
where the French text says "tu" too (CHILD_TEXTS).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import allauth
import pytest
from django.utils import translation

from cll.accounts import allauth_texts

LOCALE = Path(__file__).resolve().parent.parent / "locale"
ALLAUTH_LOCALE = Path(allauth.__file__).resolve().parent / "locale"
INFORMAL = re.compile(r"\b(?:je|jij|jou|jouw|jezelf|jullie)\b", re.IGNORECASE)
FRENCH_INFORMAL = re.compile(r"\b(?:tu|ton|ta|tes|toi|te)\b|\bt'", re.IGNORECASE)

# Texts for a child under 13 (the guardian path and the handover): French says "tu" to them,
# and so may Dutch. Exact msgids; any other informal Dutch text fails.
CHILD_TEXTS = {
    "Your parent's or guardian's e-mail address",
    "We send them a link to give their permission and create your account. We keep nothing "
    "else about you.",
    "Your own e-mail address",
    "You will sign in with it; we send a link to check it.",
    "Your password (again)",
    "Take over your account",
    "You are now old enough to manage your account yourself. Choose the e-mail address and the "
    "password you will sign in with; your parent or guardian will no longer manage your account.",
    "We have sent your parent or guardian a link. Once they give their permission, they will "
    "create your account.",
    "Children your age need a parent's or guardian's permission to register. Give us their "
    "e-mail address: they will complete your registration.",
}


@dataclass
class Entry:
    msgctxt: str | None
    msgid: str
    msgid_plural: str | None
    msgstrs: list[str]


def _unquote(text: str) -> str:
    return ast.literal_eval(text.strip())


def read_po(path: Path) -> list[Entry]:
    """Every current entry of a .po file (obsolete ones left out), continuation lines joined."""
    entries = []
    for block in path.read_text().split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            if line.startswith('"') and key:
                fields[key] += _unquote(line)
                continue
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line)
            if match:
                key = match[1]
                fields[key] = _unquote(match[2])
        if fields.get("msgid"):
            strs = [value for name, value in sorted(fields.items()) if name.startswith("msgstr")]
            entries.append(
                Entry(fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"), strs)
            )
    return entries


def test_it_reads_the_catalogues():
    ours = read_po(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    theirs = read_po(ALLAUTH_LOCALE / "nl" / "LC_MESSAGES" / "django.po")

    assert len(ours) > 500 and len(theirs) > 300
    assert any(entry.msgid_plural and len(entry.msgstrs) == 2 for entry in ours)
    assert any(entry.msgctxt for entry in ours)


def test_it_says_u_in_every_dutch_text_of_ours():
    informal = [
        (entry.msgid, text)
        for entry in read_po(LOCALE / "nl" / "LC_MESSAGES" / "django.po")
        for text in entry.msgstrs
        if INFORMAL.search(text) and entry.msgid not in CHILD_TEXTS
    ]

    assert informal == []


def test_it_keeps_informal_dutch_only_where_french_says_tu():
    french = {
        entry.msgid: entry.msgstrs[0]
        for entry in read_po(LOCALE / "fr" / "LC_MESSAGES" / "django.po")
        if entry.msgctxt is None
    }

    for msgid in CHILD_TEXTS:
        assert msgid in french, f"{msgid!r} is no longer in the catalogue: drop it from the list"
        assert FRENCH_INFORMAL.search(french[msgid]), french[msgid]


def _allauth_entries() -> list[Entry]:
    entries = read_po(ALLAUTH_LOCALE / "nl" / "LC_MESSAGES" / "django.po")
    return [entry for entry in entries if any(text for text in entry.msgstrs)]


def _shown(entry: Entry) -> list[str]:
    if entry.msgid_plural:
        if entry.msgctxt:
            return [
                translation.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
        return [translation.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
    if entry.msgctxt:
        return [translation.pgettext(entry.msgctxt, entry.msgid)]
    return [translation.gettext(entry.msgid)]


def test_it_shows_every_allauth_text_in_formal_dutch():
    with translation.override("nl"):
        informal = [
            (entry.msgid, text)
            for entry in _allauth_entries()
            for text in _shown(entry)
            if INFORMAL.search(text)
        ]

    assert informal == []


def test_it_lists_each_overridden_allauth_text_in_the_source():
    # Our catalogue keeps an entry only while makemessages finds its msgid in the code.
    with translation.override(None):
        listed = set(allauth_texts.TEXTS) | {
            (text % {"count": 1}, text % {"count": 2}) for text in allauth_texts.PLURAL_TEXTS
        }
    informal_upstream = {
        (entry.msgid % {"count": 1}, entry.msgid_plural % {"count": 2})
        if entry.msgid_plural
        else entry.msgid
        for entry in _allauth_entries()
        if any(INFORMAL.search(text) for text in entry.msgstrs)
    }

    assert informal_upstream <= listed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "forgotten"),
    [("fr", "Mot de passe oublié ?"), ("en", "Forgotten your password?"), ("nl", None)],
)
def test_it_shows_the_forgotten_password_link_once_on_the_login_page(client, language, forgotten):
    html = client.get(f"/{language}/account/login/").content.decode()

    assert html.count(f'href="/{language}/account/password/reset/"') == 1
    if forgotten:
        assert html.count(forgotten) == 1
    assert "id_password_helptext" not in html


@pytest.mark.django_db
def test_it_answers_a_wrong_password_in_formal_dutch(client):
    response = client.post(
        "/nl/account/login/", {"login": "nobody@example.com", "password": "not the password"}
    )

    html = response.content.decode()
    assert "Het e-mailadres en/of wachtwoord dat u hebt opgegeven, is niet juist." in html
    assert not INFORMAL.search(re.sub(r"<[^>]+>", " ", html))
