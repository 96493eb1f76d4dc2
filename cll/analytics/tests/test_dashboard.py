"""The staff analytics dashboard: aggregates only, for Marketing (and Administrators and the
Privacy officer), with charts drawn on our own host and a CSV export."""

import base64
import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from cll.analytics import services
from cll.analytics.events import Event
from conftest import staff_login

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Brussels"))
IP = "203.0.113.77"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
RANGE = {"start": "2026-11-01", "end": "2026-11-20"}


@pytest.fixture
def logged_day():
    with time_machine.travel(NOW, tick=False):
        services.access_events_ingest(
            events=[
                Event(NOW.timestamp(), "GET", "/fr/", 200, IP, FIREFOX, "fr", "", 4, True, "s"),
                Event(
                    NOW.timestamp() + 60,
                    "GET",
                    "/fr/courses/",
                    200,
                    IP,
                    FIREFOX,
                    "fr",
                    "https://=cmd.example/",
                    4,
                    True,
                    "s",
                ),
                Event(
                    NOW.timestamp() + 90, "GET", "/=HYPERLINK(1)/", 200, IP, FIREFOX, "fr", "", 4
                ),
            ]
        )
        services.aggregates_compute(day=NOW.date())


def url(name="dashboard", **query):
    with translation.override("en"):
        path = reverse(f"analytics_staff:{name}")
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_it_needs_a_login(client):
    response = client.get(url())
    assert response.status_code == 302 and "login" in response["Location"]


def test_it_refuses_a_learner(client, alice):
    client.force_login(alice)
    assert client.get(url()).status_code == 403
    assert client.get(url("export", **RANGE)).status_code == 403


def test_it_refuses_a_teacher(client, bob):
    staff_login(client, bob)
    assert client.get(url()).status_code == 403


def test_it_shows_marketing_the_figures_without_any_raw_data(client, mark, logged_day):
    staff_login(client, mark)
    response = client.get(url(**RANGE))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Top pages" in html and "/fr/courses/" in html and "Firefox" in html
    assert "Catalogue" in html
    # No IP address, not even truncated, and no visitor hash anywhere in the page.
    assert IP not in html and "203.0.113" not in html
    visitors = {row.visitor for row in services.log_rows() if row.visitor}
    assert visitors
    for visitor in visitors:
        assert str(visitor) not in html
    # Charts: SVG images from data: URIs, each with a text alternative, asking no host for
    # anything (the only http URLs left are XML namespace names, which are never fetched).
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]+)"', html)
    assert len(images) >= 2
    for encoded, alt in images:
        svg = base64.b64decode(encoded).decode()
        assert "<script" not in svg
        assert IP not in svg
        without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", svg)
        assert "http" not in without_namespaces
        assert alt.strip()
    assert "kozea.github.io" not in html and "cdn" not in html.lower()


def test_it_lets_the_privacy_officer_and_administrators_check_it(client, dora, admin_user):
    staff_login(client, dora)
    assert client.get(url()).status_code == 200


def test_it_validates_the_date_range_with_translated_errors(client, mark):
    staff_login(client, mark)
    with translation.override("fr"):
        path = reverse("analytics_staff:dashboard")
    response = client.get(path + "?start=2026-11-20&end=2026-11-01")
    assert response.status_code == 200
    assert "La date de fin" in response.content.decode() or "end date" in response.content.decode()
    assert client.get(path + "?start=2024-01-01&end=2026-01-01").context["form"].errors
    assert client.get(path + "?start=garbage&end=").context["form"].errors
    assert client.get(url("export", start="x", end="y")).status_code == 400


@pytest.mark.parametrize(
    ("start", "end"), [("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-01-02")]
)
def test_it_refuses_dates_out_of_range_with_a_message(client, mark, start, end):
    staff_login(client, mark)
    with translation.override("fr"):
        path = reverse("analytics_staff:dashboard")
    response = client.get(f"{path}?start={start}&end={end}")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(url("export", start=start, end=end)).status_code == 400


def test_it_exports_the_aggregates_as_csv(client, mark, logged_day):
    staff_login(client, mark)
    response = client.get(url("export", **RANGE))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    lines = body.splitlines()
    assert lines[0] == "day,dimension,key,count"
    assert "2026-11-20,total,page_views,3" in lines
    assert "2026-11-20,browser,Firefox,3" in lines
    assert "2026-11-20,funnel,catalogue,1" in lines
    # A key a visitor controls cannot become a spreadsheet formula.
    assert "2026-11-20,referrer,'=cmd.example,1" in lines
    assert IP not in body and "203.0.113" not in body
