"""The French and Dutch catalogs translate every string (English is the source language)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
_ENTRY = re.compile(r'^msgid "(.*)"\n((?:".*"\n)*)msgstr "(.*)"\n((?:".*"\n)*)', re.MULTILINE)


def _entries(path: Path) -> list[tuple[str, str, bool]]:
    text = path.read_text()
    entries = []
    for block in text.split("\n\n"):
        if block.lstrip().startswith("#~"):  # obsolete entries
            continue
        match = _ENTRY.search(block + "\n")
        if match is None or "msgid_plural" in block:
            continue
        msgid = match[1] + "".join(re.findall(r'"(.*)"', match[2]))
        msgstr = match[3] + "".join(re.findall(r'"(.*)"', match[4]))
        entries.append((msgid, msgstr, "#, fuzzy" in block))
    return entries


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_it_translates_every_string(language):
    entries = [e for e in _entries(LOCALE / language / "LC_MESSAGES" / "django.po") if e[0]]
    assert len(entries) > 100
    missing = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert missing == []


def _plural_blocks(path: Path) -> list[str]:
    # Obsolete entries ("#~ msgid_plural ...") are kept by gettext for history, not shown.
    return [
        block
        for block in path.read_text().split("\n\n")
        if re.search(r"^msgid_plural ", block, re.MULTILINE)
    ]


@pytest.mark.parametrize("language", ["fr", "nl"])
def test_it_translates_every_plural_form(language):
    """Every form the language's Plural-Forms header asks for (French: 3, Dutch: 2) is there and
    filled: a missing one shows the English text for those numbers."""
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    nplurals = int(re.search(r"nplurals=(\d+);", path.read_text())[1])
    blocks = _plural_blocks(path)
    assert blocks
    wrong = []
    for block in blocks:
        forms = re.findall(r'^msgstr\[(\d+)\] "(.*)"\n((?:".*"\n)*)', block + "\n", re.MULTILINE)
        filled = [index for index, first, rest in forms if first or rest]
        if "#, fuzzy" in block or len(forms) != nplurals or len(filled) != nplurals:
            wrong.append(re.search(r'^msgid "(.*)"', block, re.MULTILINE)[1])
    assert wrong == []
