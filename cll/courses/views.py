"""Public catalogue pages. Thin: the selectors decide what a visitor may see."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_safe

from cll.core.fragments import content_memo
from cll.core.pagecache import public_page
from cll.courses import hooks, selectors
from cll.courses.forms import SessionFilterForm
from cll.courses.models import Session

# Twelve cards: a short page on a phone, and a fast one to render.
SESSIONS_PER_PAGE = 12


@require_safe
@public_page(params=(*SessionFilterForm.base_fields, "page"))
def session_list(request):
    languages, sites = content_memo("catalogue-choices", (), selectors.filter_choices_for)
    # What the filter fields show (the raw values asked for). The form itself is built only
    # when its rendered fragment or the filters for these values are not kept yet.
    shown = tuple(request.GET.get(name) or "" for name in SessionFilterForm.base_fields)
    form = SimpleLazyObject(
        lambda: SessionFilterForm(request.GET or None, languages=languages, sites=sites)
    )
    filters = content_memo("catalogue-filters", shown, lambda: form.filters())
    today = timezone.localdate()
    number = request.GET.get("page")
    # The page's rows change only with the public content (and the date): kept per filter
    # combination and page (cll/core/fragments.py), so a rendered catalogue runs no query.
    page = content_memo(
        "catalogue-page",
        (today, tuple(sorted(filters.items())), number),
        lambda: _catalogue_page(filters, number, today),
    )
    # What the results show: the rows above, and links that keep the values asked for.
    results_key = (today, shown, number)
    return render(
        request,
        "courses/session_list.html",
        {
            "form": form,
            "shown": shown,
            "results_key": results_key,
            "filters": filters,
            "page": page,
            "sessions": page.object_list,
        },
    )


def _catalogue_page(filters: dict[str, str], number: str | None, today) -> Page:
    sessions = selectors.session_list_for(**filters, today=today)
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(number)
    page.object_list = list(page.object_list)  # read once, then shared (read-only)
    return page


@require_safe
@public_page
def session_detail(request, slug: str):
    try:
        session = selectors.session_get_for(slug=slug)
    except Session.DoesNotExist:
        raise Http404("No such session.") from None
    today = timezone.localdate()
    return render(
        request,
        "courses/session_detail.html",
        {
            "session": session,
            "courses": list(selectors.course_list_for(session=session)),
            "related_sessions": selectors.related_session_list_for(session=session, today=today),
            "has_ended": session.ends_on < today,
            "has_started": session.starts_on < today <= session.ends_on,
            # What other apps add (the shop's enrol panel): courses does not import them.
            "panels": hooks.session_panels_for(request=request, session=session),
        },
    )
