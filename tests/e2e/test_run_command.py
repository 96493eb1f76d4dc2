"""The README's first command, as a newcomer runs it: the site answers and works in a browser,
and an unknown address shows the site's own 404 page, styled and in the visitor's language,
never Django's debug page listing every address of the site.

``scripts/run.sh`` is started exactly as documented (installation is a no-op when .venv is in
sync), on embedded SQLite in a temporary state directory, with no PostgreSQL or Redis even when
the suite itself runs against them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.browsing import Traffic, guarded_page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 180
# Variables of the test run (or of a developer's shell) that must not leak into the embedded
# site: the README's command is tested as a newcomer runs it.
_SUITE_ONLY = (
    "DATABASE_URL",
    "REDIS_URL",
    "CLL_ENV",
    "DJANGO_SETTINGS_MODULE",
    "CLL_TASKS_BACKEND",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)

PAGES = {
    "fr-BE": ("fr", "Page introuvable", "Aller à la page d'accueil"),
    "en-GB": ("en", "Page not found", "Go to the home page"),
    "nl-BE": ("nl", "Pagina niet gevonden", "Naar de startpagina"),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"scripts/run.sh exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"The site did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    state = tmp_path_factory.mktemp("run-sh")
    log = state / "run.log"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in _SUITE_ONLY}
    env.update(CLL_VAR_DIR=str(state), HOST="127.0.0.1", PORT=str(port))
    with log.open("w") as output:
        process = subprocess.Popen(
            ["scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/health", process, log)
        yield base, log, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_it_prints_the_url_and_the_demo_accounts(site):
    base, log, _group = site
    output = log.read_text()
    assert f"CLL is running at {base}/" in output
    assert "alice@demo.cll.be" in output and "password:" in output


def test_it_serves_the_home_page_in_three_languages_without_third_parties(site, browser):
    base, _log, _group = site
    origin = urlsplit(base)
    foreign: list[str] = []

    def guard(route):
        url = urlsplit(route.request.url)
        if (url.hostname, url.port) != (origin.hostname, origin.port):
            foreign.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    # A Belgian French-speaking visitor: "/" negotiates the language from Accept-Language.
    context = browser.new_context(locale="fr-BE")
    page = context.new_page()
    page.route("**/*", guard)
    try:
        page.goto(f"{base}/")
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.get_by_role("heading", name="Prochaines sessions")).to_be_visible()

        page.locator(".lang-switch").get_by_role("link", name="English", exact=True).click()
        page.wait_for_url("**/en/")
        expect(page.get_by_role("heading", name="Upcoming sessions")).to_be_visible()

        page.locator(".lang-switch").get_by_role("link", name="Nederlands", exact=True).click()
        page.wait_for_url("**/nl/")
        expect(page.get_by_role("heading", name="Komende sessies")).to_be_visible()
    finally:
        context.close()
    assert foreign == []


def test_its_worker_and_scheduler_are_running(site):
    base, _log, group = site
    with urllib.request.urlopen(f"{base}/health", timeout=5) as response:  # noqa: S310
        assert response.status == 200
    # Only this run's processes: the ones in the process group scripts/run.sh started.
    processes = subprocess.run(
        ["ps", "-o", "args=", "-g", str(group)], capture_output=True, text=True, check=True
    ).stdout
    assert "granian" in processes
    assert "manage.py db_worker" in processes
    assert "manage.py crontask" in processes


@pytest.mark.parametrize("locale", list(PAGES))
def test_it_shows_the_styled_404_in_the_visitors_language(site, browser, locale):
    site, _log, _group = site
    language, title, home_link = PAGES[locale]
    traffic = Traffic()
    statuses: dict[str, int] = {}

    with guarded_page(browser, site, traffic, locale=locale) as page:
        page.on("response", lambda response: statuses.__setitem__(response.url, response.status))
        response = page.goto(f"{site}/no-such-page/")

        assert response.status == 404
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.get_by_role("link", name=home_link)).to_be_visible()
        # Styled: the site's stylesheet loaded and applied (the header is laid out as a flex row).
        assert page.locator(".site-header__inner").evaluate("e => getComputedStyle(e).display") == (
            "flex"
        )
        body = page.content()
        for debug_text in ("URLconf", "urlpatterns", "Traceback", "DEBUG = True"):
            assert debug_text not in body
        # The browser asks for the favicon too: nothing on the page answers 404 but the page.
        page.wait_for_load_state("networkidle")
        assert {url: code for url, code in statuses.items() if code >= 400} == {
            f"{site}/no-such-page/": 404
        }
    assert traffic.foreign == []
    # No CSP violation nor script error; at most Chromium's note about the page's own 404.
    assert set(traffic.console_errors) <= {
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    }


def test_it_keeps_the_language_of_the_address_on_a_404(site, browser):
    site, _log, _group = site
    traffic = Traffic()
    with guarded_page(browser, site, traffic, locale="fr-BE") as page:
        response = page.goto(f"{site}/nl/cursussen-die-niet-bestaan/")

        assert response.status == 404
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        expect(page.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden")


def test_it_serves_the_favicon(site):
    site, _log, _group = site
    with urllib.request.urlopen(f"{site}/favicon.ico", timeout=5) as response:  # noqa: S310
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/x-icon"
        assert response.read(4) == b"\x00\x00\x01\x00"
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{site}/no-such-page/", timeout=5)  # noqa: S310
    assert error.value.code == 404
    assert b"Page introuvable" in error.value.read()


def test_its_own_address_follows_the_port_it_serves(site):
    # CLL_SITE_URL follows HOST and PORT: the language alternates (and e-mails' links) name the
    # address the site answers on, not port 8000.
    site, _log, _group = site
    with urllib.request.urlopen(f"{site}/fr/courses/", timeout=5) as response:  # noqa: S310
        page = response.read().decode()
    assert f'hreflang="en" href="{site}/en/courses/"' in page
