"""Staff pages of the analytics app: the dashboard of daily aggregates and its CSV export."""

from __future__ import annotations

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cll.analytics import charts, selectors
from cll.analytics.forms import DateRangeForm
from cll.analytics.models import DailyAggregate
from cll.core.csvexport import csv_cell, csv_lines
from cll.core.roles import staff_role_required
from cll.privacy.datamap import Role

D = DailyAggregate.Dimension
# Aggregates only (cll/analytics/selectors.py): the Privacy officer may check what Marketing
# sees; nobody reads raw log rows here.
DASHBOARD_ROLES = (Role.MARKETING, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER)


def _range_form(request: HttpRequest) -> DateRangeForm:
    if "start" in request.GET or "end" in request.GET:
        return DateRangeForm(request.GET)
    return DateRangeForm(DateRangeForm.default_initial())


def _dimension_titles() -> dict[str, str]:
    return {
        D.PAGE: _("Top pages"),
        D.ENTRY: _("Entry pages"),
        D.EXIT: _("Exit pages"),
        D.EXIT_LINK: _("Outbound links (exits)"),
        D.REFERRER: _("Referrers"),
        D.BROWSER: _("Browsers"),
        D.OS: _("Operating systems"),
        D.LANGUAGE: _("Languages"),
        D.NETWORK: _("Networks"),
        D.COUNTRY: _("Countries"),
        D.FUNNEL: _("Funnel: catalogue → cart → order"),
        D.PATH: _("Common paths of three pages"),
    }


_CHARTED = (D.BROWSER, D.OS, D.LANGUAGE)


@require_safe
@staff_role_required(*DASHBOARD_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _range_form(request)
    context = {"form": form, "geoip_attribution": settings.GEOIP_ATTRIBUTION}
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        figures = selectors.dashboard_figures(start=start, end=end)
        titles = _dimension_titles()
        funnel_labels = {"catalogue": _("Catalogue"), "cart": _("Cart"), "order": _("Order")}
        figures.tops[D.FUNNEL] = [
            (funnel_labels.get(name, name), count) for name, count in figures.tops[D.FUNNEL]
        ]
        daily_title = _("Page views and visitors per day")
        daily_chart = charts.line_chart_svg(
            title=daily_title,
            labels=[day.isoformat() for day, _views, _visitors in figures.daily],
            series={
                _("Page views"): [views for _day, views, _visitors in figures.daily],
                _("Visitors"): [visitors for _day, _views, visitors in figures.daily],
            },
        )
        sections = []
        for dimension, items in figures.tops.items():
            chart = None
            if dimension in _CHARTED and items:
                chart = charts.data_uri(
                    charts.bar_chart_svg(title=titles[dimension], items=items[:10])
                )
            sections.append(
                {"id": dimension, "title": titles[dimension], "items": items, "chart": chart}
            )
        context.update(
            figures=figures,
            daily_chart=charts.data_uri(daily_chart),
            daily_title=daily_title,
            sections=sections,
            bot_share_percent=round(figures.bot_share * 100, 1),
            export_query=request.GET.urlencode()
            or f"start={start.isoformat()}&end={end.isoformat()}",
        )
    return render(request, "analytics/staff/dashboard.html", context)


@require_safe
@staff_role_required(*DASHBOARD_ROLES)
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """The aggregates of the range as CSV (day, dimension, key, count): non-identifiable data."""
    form = DateRangeForm(request.GET)
    if not form.is_valid():
        return render(request, "analytics/staff/dashboard.html", {"form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    # Keys come from visitors (paths, referrer hosts): never let a spreadsheet run them.
    rows = (
        [day.isoformat(), dimension, csv_cell(key), count]
        for day, dimension, key, count in selectors.aggregate_rows(start=start, end=end)
    )
    response = StreamingHttpResponse(
        csv_lines(["day", "dimension", "key", "count"], rows, bom=False), content_type="text/csv"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="analytics-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    return response
