"""Editorial content for tests."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from cll.content.models import NewsItem

_counter = itertools.count(1)


def make_news_item(
    *,
    title: str | None = None,
    published_at: dt.datetime | None = None,
    draft: bool = False,
    body: str = "Some **news**.",
) -> NewsItem:
    stem = title or f"news {next(_counter)}"
    return NewsItem.objects.create(
        title_fr=f"FR {stem}",
        title_en=f"EN {stem}",
        title_nl=f"NL {stem}",
        summary_fr=f"Résumé {stem}",
        summary_en=f"Summary {stem}",
        summary_nl=f"Samenvatting {stem}",
        body_fr=body,
        body_en=body,
        body_nl=body,
        published_at=None if draft else (published_at or timezone.now() - dt.timedelta(hours=1)),
    )
