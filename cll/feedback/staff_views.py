"""Staff pages of feedback: results per session and on our services, with charts.

Thin: who sees which session, which comments and which names is decided in
staff_selectors.py (and audited there). Charts are SVG drawn on our host
(cll/analytics/charts.py), embedded as images with the same figures in a table.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from cll.analytics import charts
from cll.core.roles import Role, staff_role_required, staff_roles_of
from cll.feedback import staff_selectors as selectors
from cll.feedback.models import Topic

RESULTS_ROLES = (Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR, Role.TEACHER, Role.MARKETING)
# Comments on services, with names: Customer service and Administrators only.
SERVICE_COMMENT_ROLES = (Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR)
SESSIONS_PER_PAGE = 25
COMMENTS_PER_PAGE = 50


def _stars(stars: int) -> str:
    return ngettext("%(stars)d star", "%(stars)d stars", stars) % {"stars": stars}


@require_safe
@staff_role_required(*RESULTS_ROLES)
def results(request: HttpRequest) -> HttpResponse:
    """Sessions (invited, answered, average) and feedback on services (averages over time)."""
    page = Paginator(selectors.results_session_list_for(user=request.user), SESSIONS_PER_PAGE)
    context = {"page": page.get_page(request.GET.get("page"))}
    roles = staff_roles_of(request.user)
    # Teachers see their own sessions only: not the services.
    if roles & selectors.ALL_SESSIONS:
        figures = selectors.service_figures()
        title = _("Average rating of our services per month (1 to 5 stars)")
        labels = dict(Topic.choices)
        chart = charts.line_chart_svg(
            title=title,
            labels=[date_format(month, "M Y") for month in figures.months],
            series={str(labels[topic]): values for topic, values in figures.averages.items()},
            value_range=(1, 5),
        )
        context.update(
            services=figures,
            service_chart=charts.data_uri(chart),
            service_chart_title=title,
            service_comments=bool(roles & selectors.MANAGERS),
        )
    return render(request, "feedback/staff/results.html", context)


@require_safe
@staff_role_required(*RESULTS_ROLES)
def session_results(request: HttpRequest, slug: str) -> HttpResponse:
    """One session: figures, the distribution of stars (chart) and the comments one may read."""
    session = selectors.results_session_get_for(user=request.user, slug=slug)
    if session is None:
        raise Http404("No results for this session.")
    distribution = selectors.session_distribution(session=session)
    title = _("Answers per number of stars")
    chart = charts.bar_chart_svg(
        title=title, items=[(_stars(stars), count) for stars, count in distribution]
    )
    comments = selectors.session_comment_list_for(
        user=request.user, session=session, route="feedback_staff:session_results"
    )
    return render(
        request,
        "feedback/staff/session_results.html",
        {
            "session": session,
            "distribution": [(_stars(stars), count) for stars, count in distribution],
            "chart": charts.data_uri(chart),
            "chart_title": title,
            "comments": comments,
            "comments_visible": selectors.comments_visible(user=request.user, session=session),
            "names_visible": selectors.names_visible(user=request.user),
        },
    )


@require_safe
@staff_role_required(*SERVICE_COMMENT_ROLES)
def service_comments(request: HttpRequest) -> HttpResponse:
    """The latest feedback on services with its comments, optionally for one topic."""
    topic = request.GET.get("topic", "")
    if topic not in Topic.values:
        topic = ""
    comments = selectors.service_comment_list_for(
        user=request.user,
        topic=topic,
        route="feedback_staff:service_comments",
        limit=COMMENTS_PER_PAGE,
    )
    return render(
        request,
        "feedback/staff/service_comments.html",
        {"comments": comments, "topics": Topic.choices, "topic": topic},
    )
