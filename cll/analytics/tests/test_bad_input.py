"""Oversized or garbage headers are truncated or ignored: nothing crashes."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cll.analytics import logbuffer, parsing, services
from cll.analytics.middleware import AccessLogMiddleware
from conftest import hypothesis_examples

# Header values as a WSGI server hands them over: latin-1 decoded bytes, anything at all.
garbage = st.text(alphabet=st.characters(max_codepoint=255), max_size=5000)


@pytest.mark.django_db
# Each example parses five 5,000-character headers and writes a row (about 70 ms): a fifth of the
# profile's count, 20 (200 with --hypothesis-profile=thorough).
@settings(
    max_examples=hypothesis_examples(0.2),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    user_agent=garbage,
    language=garbage,
    referrer=garbage,
    ip=garbage,
    path=st.text(max_size=3000),
    method=st.text(min_size=1, max_size=40),
)
def test_it_survives_any_header(user_agent, language, referrer, ip, path, method):
    logbuffer.buffer.clear()
    middleware = AccessLogMiddleware(lambda request: HttpResponse("ok"))
    request = RequestFactory().generic(
        "GET",
        "/",
        HTTP_USER_AGENT=user_agent,
        HTTP_ACCEPT_LANGUAGE=language,
        HTTP_REFERER=referrer,
        REMOTE_ADDR=ip,
    )
    request.method = method
    request.path = "/fr/" + path
    assert middleware(request).status_code == 200
    assert logbuffer.flush() == 1
    row = services.log_rows()[-1]
    assert len(row.user_agent) <= 512 and len(row.path) <= 500 and len(row.referrer) <= 500
    assert len(row.language) <= 16 and len(row.method) <= 8


@given(garbage)
def test_it_parses_anything_without_raising(text):
    parsing.user_agent_facts(text)
    assert len(parsing.primary_language(text)) <= 16
    parsing.network_and_country(text)
    parsing.truncate_ip(text)
    parsing.clean_referrer(text, frozenset())
    assert len(parsing.normalise_path(text)) <= 300


def test_it_truncates_ips():
    assert parsing.truncate_ip("203.0.113.77") == "203.0.113.0"
    assert parsing.truncate_ip("2001:db8:abcd:12:1:2:3:4") == "2001:db8:abcd::"
    assert parsing.truncate_ip("not an ip") == ""


def test_it_hides_identifiers_in_aggregated_paths():
    assert parsing.normalise_path("/fr/courses/english-a2-30h/") == "/fr/courses/english-a2-30h/"
    assert (
        parsing.normalise_path("/fr/privacy-requests/3f2b8c1e-9a4d-4c55-8e0f-1a2b3c4d5e6f/")
        == "/fr/privacy-requests/<id>/"
    )
    assert parsing.normalise_path("/fr/u/AbC_dEf123:xyz/") == "/fr/u/<id>/"


octet = st.one_of(st.integers(0, 300).map(str), st.sampled_from(["01", "00", "", "1a", "²", " 1"]))


@given(st.lists(octet, min_size=3, max_size=5).map(".".join))
@example("10.1.2.3")
@example("127.0.0.1")
@example("172.16.0.1")
@example("172.32.0.1")
@example("192.168.1.1")
@example("169.254.9.9")
@example("8.8.8.8")
@example("010.1.2.3")
def test_the_quick_ipv4_path_agrees_with_ipaddress(ip):
    import ipaddress

    expected = (parsing.UNKNOWN, parsing.UNKNOWN)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        pass
    else:
        if address.is_loopback:
            expected = ("loopback", parsing.UNKNOWN)
        elif (
            address.is_private
            and not address.is_loopback
            and any(
                address in ipaddress.ip_network(network)
                for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")
            )
        ):
            expected = ("private network", parsing.UNKNOWN)
    assert parsing.network_and_country.__wrapped__(ip) == expected
