"""In Chromium (issue 15, Acceptance): a visitor opens the chat, gives an e-mail address, a
staff member in a second browser answers from the console, the visitor ends the chat, and the
transcript arrives on the loopback SMTP server. And: no page sets a cookie, stores anything or
opens a websocket before the visitor opens the chat.

Pages and websockets are served by the real ASGI application (cll/asgi.py: origin check,
routing, consumers) under Daphne, in a thread of this process so that it uses the test
database; pytest-django's live server speaks WSGI only.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from asgiref.sync import SyncToAsync
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import OperationalError, connections
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from cll.chat.models import Conversation, Message, StaffAvailability, Status
from cll.core.outbox import outbox_deliver_due
from conftest import staff_login
from tests.e2e.browsing import guarded_page
from tests.e2e.conftest import browser, traffic  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
VISITOR_EMAIL = "ann@example.be"
QUESTION = "Hello, <b>is B1</b> <script>alert(1)</script> full?"
ANSWER = "Good morning Ann, there are 3 seats left."


def _serve(application, ready: threading.Event, found: dict, executor: ThreadPoolExecutor) -> None:
    # Twisted's asyncio reactor, installed by daphne.server on import, runs in this thread.
    from daphne.server import Server
    from twisted.internet import reactor

    server = Server(
        application=application,
        endpoints=["tcp:port=0:interface=127.0.0.1"],
        signal_handlers=False,
        verbosity=0,
    )
    # The sockets' database work runs on the loop's default executor on PostgreSQL
    # (cll/chat/consumers.py, db()), each thread with its own connection: ours, shut down with
    # the server, so that those connections end before the test databases are dropped.
    reactor.callLater(0, lambda: asyncio.get_running_loop().set_default_executor(executor))

    def listening():
        if server.listening_addresses:
            found["port"] = server.listening_addresses[0][1]
            found["reactor"] = reactor
            ready.set()
        else:
            reactor.callLater(0.05, listening)

    reactor.callLater(0.05, listening)
    server.run()


@pytest.fixture(scope="session")
def _asgi_server():
    """Daphne serving cll/asgi.py (and the static files) on a loopback port, once per test
    run: a Twisted reactor cannot be started twice in a process."""
    from cll.asgi import application

    ready, found = threading.Event(), {}
    executor = ThreadPoolExecutor(thread_name_prefix="daphne-sync")
    thread = threading.Thread(
        target=_serve,
        args=(ASGIStaticFilesHandler(application), ready, found, executor),
        daemon=True,
    )
    thread.start()
    if not ready.wait(20):
        pytest.fail("Daphne did not start.")
    yield f"http://127.0.0.1:{found['port']}"
    found["reactor"].callFromThread(found["reactor"].stop)
    thread.join(10)
    executor.shutdown(wait=True)
    # The pages themselves ran on asgiref's one thread for thread-sensitive code (Django's
    # ASGI handler), which lives as long as the process: its connection is closed there.
    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


@pytest.fixture
def asgi_server(_asgi_server, transactional_db):
    return SimpleNamespace(url=_asgi_server)


def _page(browser, server, traffic):  # noqa: F811
    return guarded_page(
        browser, server.url, traffic, viewport={"width": 1280, "height": 900}, locale="en-GB"
    )


def _sign_in_staff(page, server, user) -> None:
    # As tests/e2e/conftest.browser_staff_login: the session of a staff member who signed in
    # with a password and a second factor.
    client = Client()
    staff_login(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": server.url, "httpOnly": True}]
    )


def _eventually(check, *, seconds: float = 10.0):
    """Wait until ``check()`` is true (work done by the server's thread), or fail.

    The test database is SQLite's shared in-memory one: a query meeting the server thread's
    write is refused at once ("table is locked") rather than queued, so it is tried again."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except OperationalError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{check.__doc__ or check} did not happen.")
        time.sleep(0.05)


def _axe_clean(page) -> None:
    results = AXE.run(page, options=AXE_OPTIONS).response
    violations = [f"{v['id']}: {v['help']}" for v in results["violations"]]
    assert violations == [], (page.url, violations)


def _body(message, kind: str) -> str:
    return message.message.get_body(preferencelist=(kind,)).get_content()


def test_a_visitor_chats_with_staff_and_receives_the_transcript(
    browser,  # noqa: F811
    asgi_server,
    traffic,  # noqa: F811
    smtp_server,
    settings,
    cecile,
):
    settings.SITE_URL = asgi_server.url
    with _page(browser, asgi_server, traffic) as staff:
        staff.set_default_timeout(10_000)
        _sign_in_staff(staff, asgi_server, cecile)
        staff.goto(f"{asgi_server.url}/en/staff/chat/")
        expect(staff.locator("h1")).to_have_text("Live chat")
        expect(staff.locator("[data-console-status]")).to_have_text("Connected.")
        staff.get_by_label("I am available to answer chats").check()

        def available():
            """Cecile's availability saved"""
            return StaffAvailability.objects.filter(until__gt=timezone.now()).exists()

        _eventually(available)

        with _page(browser, asgi_server, traffic) as visitor:
            visitor.set_default_timeout(10_000)
            visitor.goto(f"{asgi_server.url}/en/")
            # Keyboard only: the launcher opens the dialog, Escape closes it and gives the
            # focus back, and it opens again.
            launcher = visitor.get_by_role("button", name="Chat with us")
            launcher.focus()
            visitor.keyboard.press("Enter")
            dialog = visitor.get_by_role("dialog", name="Chat with CLL")
            expect(dialog).to_be_visible()
            expect(dialog.get_by_label("Your name (optional)")).to_be_focused()
            visitor.keyboard.press("Escape")
            expect(dialog).to_be_hidden()
            expect(launcher).to_be_focused()
            visitor.keyboard.press("Enter")
            expect(dialog.get_by_label("Your name (optional)")).to_be_focused()
            _axe_clean(visitor)
            visitor.keyboard.type("Ann")
            visitor.keyboard.press("Tab")
            visitor.keyboard.type(VISITOR_EMAIL)
            dialog.get_by_role("button", name="Start the chat").click()
            message_box = dialog.get_by_label("Your message", exact=True)
            expect(message_box).to_be_focused()
            expect(dialog.get_by_role("status")).to_contain_text("Connected.")
            message_box.fill(QUESTION)
            message_box.press("Enter")
            log = dialog.get_by_role("list", name="Messages")
            expect(log.get_by_role("listitem")).to_have_count(1)
            expect(log.get_by_role("listitem").first).to_contain_text(QUESTION)
            expect(log.locator("b, script")).to_have_count(0)

            # The staff member sees the chat in the queue, opens it and answers.
            queue_entry = staff.locator("[data-chat-queue]").get_by_role(
                "button", name=re.compile("Ann")
            )
            expect(queue_entry).to_contain_text(QUESTION)
            queue_entry.click()
            pane = staff.get_by_role("article", name="Ann")
            expect(pane.get_by_role("listitem")).to_have_count(1)
            expect(pane.get_by_role("listitem").first).to_contain_text(QUESTION)
            answer_box = pane.get_by_label("Your answer")
            answer_box.fill(ANSWER)
            answer_box.press("Enter")

            expect(log.get_by_role("listitem")).to_have_count(2)
            expect(log.get_by_role("listitem").last).to_contain_text(ANSWER)
            # Saved before anyone saw it.
            _eventually(lambda: Message.objects.filter(author=cecile).count() == 1)

            _axe_clean(staff)

            # Another page of the site: the chat carries on, with its whole history.
            visitor.goto(f"{asgi_server.url}/en/contact/")
            visitor.get_by_role("button", name="Chat with us").click()
            dialog = visitor.get_by_role("dialog", name="Chat with CLL")
            log = dialog.get_by_role("list", name="Messages")
            expect(log.get_by_role("listitem")).to_have_count(2)
            expect(log.get_by_role("listitem").first).to_contain_text(QUESTION)
            dialog.get_by_role("button", name="End the chat").click()
            expect(dialog.get_by_role("status")).to_have_text(
                "The chat has ended. The transcript is on its way to your mailbox."
            )
            expect(pane.get_by_role("status")).to_have_text("This chat has ended.")
            # Ended: the tab keeps nothing any more.
            assert visitor.evaluate("window.sessionStorage.length") == 0
            assert visitor.context.cookies() == []

    def console_closed():
        """The server handled the closing of the console (availability off)"""
        return not StaffAvailability.objects.filter(until__gt=timezone.now()).exists()

    _eventually(console_closed)
    conversation = Conversation.objects.get()
    assert conversation.status == Status.ENDED
    assert conversation.assigned_to == cecile
    assert conversation.transcript_sent_at is not None
    outbox_deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == (VISITOR_EMAIL,)
    text = _body(received, "plain")
    assert f"Ann: {QUESTION}" in text
    assert ANSWER in text
    html = _body(received, "html")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert traffic.foreign == []
    assert traffic.console_errors == []


def test_no_page_sets_a_cookie_stores_anything_or_connects_before_the_chat_is_opened(
    browser,  # noqa: F811
    asgi_server,
    traffic,  # noqa: F811
):
    sockets = []
    with _page(browser, asgi_server, traffic) as visitor:
        visitor.set_default_timeout(10_000)
        visitor.on("websocket", lambda socket: sockets.append(socket.url))
        for path in ("/en/", "/fr/", "/en/contact/"):
            visitor.goto(f"{asgi_server.url}{path}")
            expect(visitor.locator("[data-chat-launcher]")).to_be_visible()
        assert sockets == []
        assert visitor.context.cookies() == []
        assert visitor.evaluate("window.sessionStorage.length + window.localStorage.length") == 0

        # Opening the dialog asks first; the connection waits for "Start the chat".
        visitor.get_by_role("button", name="Chat with us").click()
        expect(visitor.get_by_role("dialog")).to_be_visible()
        assert sockets == []
        visitor.get_by_role("button", name="Start the chat").click()
        expect(
            visitor.get_by_text("Nobody is available right now: leave us a message")
        ).to_be_visible()
        assert sockets == [asgi_server.url.replace("http://", "ws://") + "/ws/chat/"]
        assert visitor.context.cookies() == []
        # Only now, for the service asked for: the conversation's id and secret, in this tab.
        assert visitor.evaluate("window.sessionStorage.length") == 1
    assert traffic.foreign == []
    assert traffic.console_errors == []
