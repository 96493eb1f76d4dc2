"""News list and news pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.translation import override

from cll.content.tests.factories import make_news_item

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "heading"), [("fr", "Actualités"), ("en", "News"), ("nl", "Nieuws")]
)
def test_the_list_renders_in_each_language(client, language, heading):
    make_news_item(title="hello")

    response = client.get(f"/{language}/news/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html
    assert f"{language.upper()} hello" in html


def test_the_list_hides_drafts_and_scheduled_items_newest_first(client):
    now = timezone.now()
    make_news_item(title="old", published_at=now - dt.timedelta(days=9))
    make_news_item(title="new", published_at=now - dt.timedelta(days=1))
    make_news_item(title="draft", draft=True)
    make_news_item(title="later", published_at=now + dt.timedelta(days=1))

    response = client.get("/en/news/")

    assert [item.title_en for item in response.context["news_items"]] == ["EN new", "EN old"]


@pytest.mark.parametrize(("language", "title"), [("fr", "FR hello"), ("nl", "NL hello")])
def test_an_item_renders_in_each_language(client, language, title):
    item = make_news_item(title="hello")

    with override(language):
        response = client.get(item.get_absolute_url())

    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in response.content.decode()


def test_an_item_body_is_markdown_and_sanitised(client):
    item = make_news_item(
        body="A **bold** move.\n\n<script>alert(1)</script>\n\n[link](javascript:alert(2))"
    )

    html = client.get(item.get_absolute_url()).content.decode()

    assert "<strong>bold</strong>" in html
    assert "alert(1)</script>" not in html
    assert "javascript:" not in html


@pytest.mark.parametrize("draft", [True, False])
def test_an_unknown_or_unpublished_item_is_not_found(client, draft):
    url = "/fr/news/no-such-item/"
    if draft:
        with override("fr"):
            url = make_news_item(draft=True).get_absolute_url()

    response = client.get(url)

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
