"""Reads of the editorial content shown to visitors."""

from __future__ import annotations

from django.db.models import QuerySet

from cll.content.models import NewsItem


def news_item_list_for() -> QuerySet[NewsItem]:
    """Published news items, newest first (drafts and scheduled items are never listed)."""
    return NewsItem.objects.published().order_by("-published_at", "-id")


def news_item_get_for(*, slug: str) -> NewsItem:
    """A published news item by its slug (raises NewsItem.DoesNotExist otherwise)."""
    return NewsItem.objects.published().get(slug=slug)
