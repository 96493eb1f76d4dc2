"""safe_next: only a path on this site is followed; anything else gives the default."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from cll.lib.urls import MAX_NEXT_LENGTH, safe_next

DEFAULT = "/fr/"


def _request(secure: bool = False):
    return RequestFactory().get("/", secure=secure)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "NaN",
        "-1",
        "%",
        "0x10",
        "content:home",
        "news/",
        "https://evil.example/",
        "http://testserver/fr/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "/fr/\r\nSet-Cookie: planted=1",
        "/fr/\x00",
        "/" + "a" * MAX_NEXT_LENGTH,
    ],
)
def test_it_refuses_anything_but_a_local_path(url):
    assert safe_next(_request(), url, DEFAULT) == DEFAULT


@pytest.mark.parametrize("url", ["/", "/fr/news/?page=2", "/nl/cursussen/#top", "/fr/%C3%A9"])
def test_it_follows_a_local_path(url):
    assert safe_next(_request(), url, DEFAULT) == url
    assert safe_next(_request(secure=True), url, DEFAULT) == url
