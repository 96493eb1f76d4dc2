"""Network and country of the access log from the operator's MaxMind DB files (geoip.py).

The files are built here, tiny, with mmdb-writer: the same format as DB-IP's and MaxMind's,
read by the same reader. Nothing reaches beyond this machine.
"""

import datetime as dt
import re
import socket
import threading
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django.utils import translation
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from cll.analytics import geoip, parsing, services
from cll.analytics.checks import geoip_databases
from cll.analytics.events import Event
from cll.analytics.models import DailyAggregate
from cll.lib.env import ConfigError
from cll.privacy.datamap import Role
from conftest import _user, staff_login

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
ATTRIBUTION = "IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0"
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Brussels"))


def write_mmdb(path, database_type, records, *, ip_version=6):
    """A MaxMind DB file at ``path`` with ``records`` ({CIDR: record})."""
    writer = MMDBWriter(
        ip_version=ip_version,
        ipv4_compatible=ip_version == 6,
        database_type=database_type,
        languages=["en"],
        description="CLL test data",
    )
    for network, record in records.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return str(path)


@pytest.fixture(autouse=True)
def _fresh_readers():
    """Readers and the parsing memo outlive a test: each test starts from its own settings."""
    geoip.reset()
    parsing.network_and_country.cache_clear()
    yield
    geoip.reset()
    parsing.network_and_country.cache_clear()


@pytest.fixture
def country_db(tmp_path):
    return write_mmdb(
        tmp_path / "country.mmdb",
        "DBIP-Country-Lite",
        {
            "203.0.113.0/24": {"country": {"iso_code": "BE", "names": {"en": "Belgium"}}},
            "2001:db8::/32": {"country": {"iso_code": "NL"}},
            # Private space in the file: the address's own answer must win.
            "10.0.0.0/8": {"country": {"iso_code": "FR"}},
        },
    )


@pytest.fixture
def asn_db(tmp_path):
    return write_mmdb(
        tmp_path / "asn.mmdb",
        "DBIP-ASN-Lite (compat=GeoLite2-ASN)",
        {
            "203.0.113.0/24": {
                "autonomous_system_number": 64500,
                "autonomous_system_organization": "Example Telecom",
            },
            "2001:db8::/32": {
                "autonomous_system_number": 64501,
                "autonomous_system_organization": "Example Net",
            },
            "10.0.0.0/8": {"autonomous_system_organization": "Not our visitors' ISP"},
        },
    )


@pytest.fixture
def geoip_files(settings, country_db, asn_db):
    settings.GEOIP_COUNTRY_DB = country_db
    settings.GEOIP_ASN_DB = asn_db


def test_it_finds_the_network_and_country_of_ipv4_and_ipv6_addresses(geoip_files):
    assert parsing.network_and_country("203.0.113.7") == ("Example Telecom", "BE")
    assert parsing.network_and_country("2001:db8::1") == ("Example Net", "NL")
    assert parsing.network_and_country("2001:DB8:0:0::42") == ("Example Net", "NL")
    # An IPv4 client as a dual-stack socket reports it.
    assert parsing.network_and_country("::ffff:203.0.113.7") == ("Example Telecom", "BE")


def test_it_answers_unknown_outside_the_files_networks(geoip_files):
    assert parsing.network_and_country("198.51.100.7") == ("unknown", "unknown")
    assert parsing.network_and_country("2001:db9::1") == ("unknown", "unknown")
    assert parsing.network_and_country("not an address") == ("unknown", "unknown")
    assert geoip.lookup("not an address") == ("unknown", "unknown")
    assert geoip.lookup("") == ("unknown", "unknown")


def test_it_keeps_the_loopback_and_private_answers(geoip_files):
    assert parsing.network_and_country("127.0.0.1") == ("loopback", "unknown")
    assert parsing.network_and_country("::1") == ("loopback", "unknown")
    assert parsing.network_and_country("10.1.2.3") == ("private network", "unknown")
    assert parsing.network_and_country("fd00::1") == ("private network", "unknown")


def test_it_answers_unknown_when_no_file_is_configured(settings):
    settings.GEOIP_COUNTRY_DB = ""
    settings.GEOIP_ASN_DB = ""
    assert parsing.network_and_country("203.0.113.7") == ("unknown", "unknown")
    assert parsing.network_and_country("2001:db8::1") == ("unknown", "unknown")
    assert geoip._readers == {}
    assert geoip_databases() == []


def test_it_uses_each_file_on_its_own(settings, country_db):
    settings.GEOIP_COUNTRY_DB = country_db
    settings.GEOIP_ASN_DB = ""
    assert parsing.network_and_country("203.0.113.7") == ("unknown", "BE")


def test_it_survives_records_of_any_shape(settings, tmp_path):
    long_name = "Very Long Example Telecommunications Operator " * 3
    settings.GEOIP_ASN_DB = write_mmdb(
        tmp_path / "odd-asn.mmdb",
        "GeoLite2-ASN",
        {
            "192.0.2.0/28": "not a map",
            "192.0.2.16/28": {"autonomous_system_organization": 64500},
            "192.0.2.32/28": {"autonomous_system_organization": long_name},
            "192.0.2.48/28": {"autonomous_system_organization": "Nul\x00 Net\n"},
            "192.0.2.64/28": {"autonomous_system_organization": "   "},
            "192.0.2.80/28": ["a", "list"],
        },
        ip_version=4,
    )
    settings.GEOIP_COUNTRY_DB = write_mmdb(
        tmp_path / "odd-country.mmdb",
        "GeoLite2-Country",
        {
            "192.0.2.0/28": {"country": "BE"},
            "192.0.2.16/28": {"country": {"iso_code": 56}},
            "192.0.2.32/28": {"country": {"iso_code": "be"}},
            "192.0.2.48/28": {"country": {"iso_code": "BEL"}},
            "192.0.2.64/28": {"registered_country": {"iso_code": "BE"}},
            "192.0.2.80/28": {"country": {"iso_code": "1é"}},
        },
        ip_version=4,
    )
    assert geoip.lookup("192.0.2.1") == ("unknown", "unknown")
    assert geoip.lookup("192.0.2.17") == ("unknown", "unknown")
    network, country = geoip.lookup("192.0.2.33")
    assert network == long_name[:64].strip() and len(network) <= 64 and country == "BE"
    assert geoip.lookup("192.0.2.49") == ("Nul Net", "unknown")
    assert geoip.lookup("192.0.2.65") == ("unknown", "unknown")
    assert geoip.lookup("192.0.2.81") == ("unknown", "unknown")
    # An IPv6 address in IPv4-only files, and what is no address at all.
    assert geoip.lookup("2001:db8::1") == ("unknown", "unknown")
    assert geoip.lookup("::ffff:garbage") == ("unknown", "unknown")
    assert geoip.lookup("\x00" * 100) == ("unknown", "unknown")


def test_it_never_reaches_the_network(geoip_files, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a GeoIP lookup tried to reach the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert geoip.lookup("203.0.113.7") == ("Example Telecom", "BE")
    assert geoip.lookup("198.51.100.7") == ("unknown", "unknown")


def test_it_opens_each_file_once_per_process(geoip_files):
    barrier = threading.Barrier(8)
    answers = []

    def look_up():
        barrier.wait()
        answers.append(geoip.lookup("203.0.113.7"))

    threads = [threading.Thread(target=look_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [("Example Telecom", "BE")] * 8
    assert len(geoip._readers) == 2


# The full check includes model checks (JSONField support) that ask the database.
@pytest.mark.django_db
def test_the_start_up_check_names_a_missing_file(settings, tmp_path, asn_db):
    settings.GEOIP_COUNTRY_DB = str(tmp_path / "missing.mmdb")
    settings.GEOIP_ASN_DB = asn_db
    [error] = geoip_databases()
    assert error.id == "analytics.E001"
    assert "CLL_GEOIP_COUNTRY_DB" in error.msg and "missing.mmdb" in error.msg
    # manage.py (the task worker, migrate, the development server) stops on it.
    with pytest.raises(SystemCheckError, match="CLL_GEOIP_COUNTRY_DB"):
        call_command("check")


def test_the_start_up_check_names_a_file_that_is_no_maxmind_db(settings, tmp_path, country_db):
    garbage = tmp_path / "asn.mmdb"
    garbage.write_bytes(b"<html>Please log in to download</html>" * 50)
    settings.GEOIP_COUNTRY_DB = country_db
    settings.GEOIP_ASN_DB = str(garbage)
    [error] = geoip_databases()
    assert error.id == "analytics.E001"
    assert "CLL_GEOIP_ASN_DB" in error.msg and "not a MaxMind DB" in error.msg


def test_the_start_up_check_warns_of_swapped_files(settings, country_db, asn_db):
    settings.GEOIP_COUNTRY_DB = asn_db
    settings.GEOIP_ASN_DB = country_db
    warnings = geoip_databases()
    assert [warning.id for warning in warnings] == ["analytics.W001", "analytics.W001"]
    assert "CLL_GEOIP_COUNTRY_DB" in warnings[0].msg and "CLL_GEOIP_ASN_DB" in warnings[1].msg


def test_the_start_up_check_accepts_good_files(geoip_files):
    assert geoip_databases() == []


@pytest.mark.django_db
def test_a_file_gone_after_start_up_stops_the_ingestion_with_its_name(settings, tmp_path):
    settings.GEOIP_ASN_DB = str(tmp_path / "gone.mmdb")
    with pytest.raises(ConfigError, match="CLL_GEOIP_ASN_DB"):
        parsing.network_and_country("203.0.113.7")
    # The ingester leaves its spool file for the next pass rather than storing "unknown".
    event = Event(NOW.timestamp(), "GET", "/fr/", 200, "203.0.113.7", FIREFOX, "fr", "", 4)
    with pytest.raises(ConfigError):
        services.access_events_ingest(events=[event])
    assert services.log_rows() == []


@pytest.mark.django_db
def test_the_log_and_its_aggregates_record_the_network_and_country(geoip_files):
    with time_machine.travel(NOW, tick=False):
        services.access_events_ingest(
            events=[
                Event(NOW.timestamp(), "GET", "/fr/", 200, "203.0.113.7", FIREFOX, "fr", "", 4),
                Event(NOW.timestamp() + 1, "GET", "/fr/", 200, "2001:db8::7", FIREFOX, "", "", 4),
                Event(NOW.timestamp() + 2, "GET", "/fr/", 200, "10.0.0.1", FIREFOX, "", "", 4),
            ]
        )
        services.aggregates_compute(day=NOW.date())
    rows = services.log_rows()
    assert [(row.ip, row.network, row.country) for row in rows] == [
        ("203.0.113.7", "Example Telecom", "BE"),
        ("2001:db8::7", "Example Net", "NL"),
        ("10.0.0.1", "private network", "unknown"),
    ]
    aggregates = DailyAggregate.objects.filter(day=NOW.date())
    countries = dict(aggregates.filter(dimension="country").values_list("key", "count"))
    networks = dict(aggregates.filter(dimension="network").values_list("key", "count"))
    assert countries == {"BE": 1, "NL": 1, "unknown": 1}
    assert networks == {"Example Telecom": 1, "Example Net": 1, "private network": 1}


@pytest.mark.django_db
def test_the_dashboard_credits_the_data_set_when_configured(
    client, settings, django_user_model, geoip_files
):
    marketing = _user(django_user_model, "mark@example.org", Role.MARKETING)
    with time_machine.travel(NOW, tick=False):
        services.access_events_ingest(
            events=[Event(NOW.timestamp(), "GET", "/fr/", 200, "203.0.113.7", FIREFOX, "fr", "", 4)]
        )
        services.aggregates_compute(day=NOW.date())
    staff_login(client, marketing)
    with translation.override("en"):
        path = reverse("analytics_staff:dashboard") + "?start=2026-11-01&end=2026-11-20"

    settings.GEOIP_ATTRIBUTION = ""
    html = client.get(path).content.decode()
    assert '<th scope="row">Example Telecom</th>' in html and '<th scope="row">BE</th>' in html
    assert "db-ip.com" not in html and "IP geolocation" not in html

    settings.GEOIP_ATTRIBUTION = ATTRIBUTION
    html = client.get(path).content.decode()
    # Under the networks table and under the countries table, nowhere else, with the link
    # back to the data set's site that CC BY (as DB-IP words it) asks for.
    credit = re.findall(r"<small>(IP geolocation.*?)</small>", html)
    assert len(credit) == 2 and credit[0] == credit[1]
    assert credit[0].startswith('IP geolocation by DB-IP (<a href="https://db-ip.com"')
    assert credit[0].endswith("</a>), CC BY 4.0")
    networks = html.index('id="analytics-network"')
    countries = html.index('id="analytics-country"')
    first = html.index("IP geolocation by DB-IP")
    second = html.index("IP geolocation by DB-IP", first + 1)
    assert networks < first < countries < second
    # The operator's text is text, not markup.
    settings.GEOIP_ATTRIBUTION = "<b>Data</b> by us"
    assert "&lt;b&gt;Data&lt;/b&gt; by us" in client.get(path).content.decode()
