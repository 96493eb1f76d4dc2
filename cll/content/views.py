"""The public website: home page, news and the pages linked from the footer. Thin views."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from cll.content import selectors
from cll.content.models import NewsItem
from cll.core.fragments import content_memo
from cll.core.pagecache import public_page
from cll.courses import selectors as course_selectors
from cll.courses.models import Format

NEWS_PER_PAGE = 10
HOME_NEWS = 3
HOME_SESSIONS = 6


@require_safe
@public_page
def home(request):
    # What the home page lists changes only with the public content and the date: read once
    # per version (cll/core/fragments.py), so a rendered home page runs no query.
    today = timezone.localdate()
    context = content_memo("home", (today,), _home_rows)
    return render(request, "content/home.html", {**context, "formats": Format, "today": today})


def _home_rows() -> dict[str, list]:
    return {
        "languages": list(course_selectors.language_list_for(with_session_counts=True)),
        "featured_sessions": course_selectors.featured_session_list_for(limit=HOME_SESSIONS),
        "news_items": list(selectors.news_item_list_for()[:HOME_NEWS]),
    }


@require_safe
@public_page(params=("page",))
def news_list(request):
    page = Paginator(selectors.news_item_list_for(), NEWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "content/news_list.html", {"page": page, "news_items": page})


@require_safe
@public_page
def news_detail(request, slug: str):
    try:
        item = selectors.news_item_get_for(slug=slug)
    except NewsItem.DoesNotExist:
        raise Http404("No such news item.") from None
    return render(request, "content/news_detail.html", {"item": item})


@require_safe
def accessibility(request):
    return render(request, "content/pages/accessibility.html")
