"""Helpers for the browser tests: a page that may talk only to our own loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


@dataclass
class Traffic:
    """What a page asked for: every URL, those refused (another origin), console errors."""

    requested: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@contextmanager
def guarded_page(browser, base_url: str, traffic: Traffic, **context_options) -> Iterator:
    """A page that refuses, and records, every request to another origin than ``base_url``,
    and records console errors (a CSP violation is reported as one)."""
    origin = urlsplit(base_url)
    assert origin.hostname in LOOPBACK
    context = browser.new_context(**context_options)
    page = context.new_page()

    def guard(route):
        url = urlsplit(route.request.url)
        traffic.requested.append(route.request.url)
        if (url.scheme, url.hostname, url.port) != (origin.scheme, origin.hostname, origin.port):
            traffic.foreign.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def console(message):
        if message.type == "error":
            traffic.console_errors.append(message.text)

    page.route("**/*", guard)
    page.on("console", console)
    try:
        yield page
    finally:
        context.close()
