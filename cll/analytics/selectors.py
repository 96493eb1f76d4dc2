"""Reads of the analytics app. Everything here returns aggregates only: the dashboard and its
CSV export never read raw access-log rows, so Marketing never sees an IP address or a hash."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db.models import Sum

from cll.analytics.models import DailyAggregate
from cll.analytics.services import FUNNEL_STEPS

D = DailyAggregate.Dimension

TOTAL_KEYS = ("requests", "bot_requests", "page_views", "visitors", "visits", "exits")
TOP_LIMIT = 20


@dataclass
class DashboardFigures:
    start: dt.date
    end: dt.date
    totals: dict[str, int]
    # (day, page views, visitors) for every day of the range, zeros included.
    daily: list[tuple[dt.date, int, int]]
    tops: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def bot_share(self) -> float:
        requests = self.totals.get("requests", 0)
        return 0.0 if not requests else self.totals.get("bot_requests", 0) / requests


def _top(dimension: str, start: dt.date, end: dt.date, limit: int) -> list[tuple[str, int]]:
    rows = (
        DailyAggregate.objects.filter(dimension=dimension, day__gte=start, day__lte=end)
        .values("key")
        .annotate(total=Sum("count"))
        .order_by("-total", "key")[:limit]
    )
    return [(row["key"], row["total"]) for row in rows]


def dashboard_figures(*, start: dt.date, end: dt.date, limit: int = TOP_LIMIT) -> DashboardFigures:
    """The dashboard's figures for the days from ``start`` to ``end`` (both included).

    Visitors are counted per day (the visitor hash changes every day by design), so over a
    range they are visitor-days.
    """
    in_range = DailyAggregate.objects.filter(day__gte=start, day__lte=end)
    totals = dict.fromkeys(TOTAL_KEYS, 0)
    per_day: dict[dt.date, dict[str, int]] = {}
    for day, key, count in in_range.filter(dimension=D.TOTAL).values_list("day", "key", "count"):
        if key in totals:
            totals[key] += count
        per_day.setdefault(day, {})[key] = count
    daily = []
    day = start
    while day <= end:
        values = per_day.get(day, {})
        daily.append((day, values.get("page_views", 0), values.get("visitors", 0)))
        day += dt.timedelta(days=1)
    tops = {
        dimension: _top(dimension, start, end, limit)
        for dimension in (
            D.PAGE,
            D.ENTRY,
            D.EXIT,
            D.EXIT_LINK,
            D.REFERRER,
            D.BROWSER,
            D.OS,
            D.LANGUAGE,
            D.NETWORK,
            D.COUNTRY,
            D.PATH,
        )
    }
    # The funnel keeps its step order, not the order of the counts.
    funnel = dict(_top(D.FUNNEL, start, end, limit))
    tops[D.FUNNEL] = [(name, funnel.get(name, 0)) for name, _url in FUNNEL_STEPS]
    return DashboardFigures(start=start, end=end, totals=totals, daily=daily, tops=tops)


def aggregate_rows(*, start: dt.date, end: dt.date) -> Iterator[tuple[dt.date, str, str, int]]:
    """Every aggregate of the range, for the CSV export: (day, dimension, key, count)."""
    yield from (
        DailyAggregate.objects.filter(day__gte=start, day__lte=end)
        .order_by("day", "dimension", "-count", "key")
        .values_list("day", "dimension", "key", "count")
        .iterator(chunk_size=2000)
    )
