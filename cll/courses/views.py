"""Public catalogue pages. Thin: the selectors decide what a visitor may see."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from cll.core.pagecache import public_page
from cll.courses import hooks, selectors
from cll.courses.forms import SessionFilterForm
from cll.courses.models import Session

# Twelve cards: a short page on a phone, and a fast one to render.
SESSIONS_PER_PAGE = 12


@require_safe
@public_page(params=(*SessionFilterForm.base_fields, "page"))
def session_list(request):
    languages = list(selectors.language_list_for())
    sites = list(selectors.site_list_for())
    form = SessionFilterForm(request.GET or None, languages=languages, sites=sites)
    filters = form.filters()
    sessions = selectors.session_list_for(**filters)
    page = Paginator(sessions, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "courses/session_list.html",
        {"form": form, "filters": filters, "page": page, "sessions": page.object_list},
    )


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
