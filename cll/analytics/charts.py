"""Charts of the dashboard, drawn as SVG by pygal on our own host.

pygal links its tooltip script from a CDN by default: ``js=[]`` removes it, and the inline
configuration script and the credit comments (which carry URLs) are stripped, so the SVG asks
for nothing from anyone. Each chart is embedded as an ``<img>`` with a text alternative and the
same figures in a table next to it.
"""

from __future__ import annotations

import base64
import re

import pygal
from pygal.style import Style

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)

_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#1d4ed8", "#b45309", "#047857", "#7c3aed"),
    font_family="system-ui, sans-serif",
)
_COMMON = {
    "js": [],
    "style": _STYLE,
    "disable_xml_declaration": True,
    "width": 800,
    "height": 360,
    "legend_at_bottom": True,
    "truncate_label": 40,
}


def _clean(svg: str) -> str:
    return _COMMENT.sub("", _SCRIPT.sub("", svg))


def line_chart_svg(
    *,
    title: str,
    labels: list[str],
    series: dict[str, list[int]],
    value_range: tuple[int, int] | None = None,
) -> str:
    """Lines over ``labels``; ``value_range`` fixes the value axis (e.g. a 1-to-5 rating, so
    that a month at 3 does not look like the bottom of the scale), with a label per unit."""
    options = {}
    if value_range is not None:
        low, high = value_range
        options = {"range": value_range, "y_labels": list(range(low, high + 1))}
    chart = pygal.Line(
        title=title, x_label_rotation=30, show_minor_x_labels=False, **options, **_COMMON
    )
    chart.x_labels = labels
    chart.x_labels_major_every = max(1, len(labels) // 10)
    for name, values in series.items():
        chart.add(name, values)
    return _clean(chart.render(is_unicode=True))


def bar_chart_svg(*, title: str, items: list[tuple[str, int]]) -> str:
    """Horizontal bars of counts: the value axis is labelled in whole numbers."""
    most = max((count for _label, count in items), default=0)
    step = max(1, -(-most // 10))
    ticks = list(range(0, most + step, step)) if most else [0, 1]
    chart = pygal.HorizontalBar(title=title, show_legend=False, y_labels=ticks, **_COMMON)
    chart.x_labels = [label for label, _count in reversed(items)]
    chart.add(title, [count for _label, count in reversed(items)])
    return _clean(chart.render(is_unicode=True))


def data_uri(svg: str) -> str:
    """The SVG as a ``data:`` URI for an ``<img>`` (allowed by the CSP's img-src)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
