"""load_newsletter_lists: the news, promotions and one-per-language lists, idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cll.courses.models import Language
from cll.newsletter.models import MailingList

pytestmark = pytest.mark.django_db


def test_it_creates_the_lists_once_and_keeps_staff_edits():
    Language.objects.get_or_create(
        code="en", defaults={"name_fr": "Anglais", "name_en": "English", "name_nl": "Engels"}
    )
    Language.objects.get_or_create(
        code="nl",
        defaults={"name_fr": "Néerlandais", "name_en": "Dutch", "name_nl": "Nederlands"},
    )
    call_command("load_newsletter_lists", stdout=io.StringIO())
    news = MailingList.objects.get(slug="news")
    assert (news.name_fr, news.name_en, news.name_nl) == (
        "Actualités de CLL",
        "CLL news",
        "CLL-nieuws",
    )
    assert MailingList.objects.filter(slug="promotions").exists()
    english = MailingList.objects.get(slug="language-en")
    assert english.description_fr.startswith("Cours d\u2019anglais")
    dutch = MailingList.objects.get(slug="language-nl")
    assert dutch.description_fr.startswith("Cours de néerlandais")
    count = MailingList.objects.count()
    MailingList.objects.filter(slug="news").update(name_en="Our news")
    call_command("load_newsletter_lists", stdout=io.StringIO())
    assert MailingList.objects.count() == count
    assert MailingList.objects.get(slug="news").name_en == "Our news"
