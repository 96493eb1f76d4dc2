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
