"""The key journeys with a keyboard alone, in a real browser.

The accessibility statement (templates/content/pages/accessibility.html) says every page can be
used with a keyboard alone, with a visible focus and a link to skip to the main content. This file
backs that claim for the journeys that matter most: the cookie banner and the cookie settings,
the main navigation and the language switch (wide and narrow screens), signing in, signing up and
asking for one's data. Once a page is loaded, only ``page.keyboard`` acts on it (Tab, Shift+Tab,
Enter, Space, arrows, Escape): no click, no ``fill``, no ``focus()``. A control the keyboard
cannot reach therefore fails the test that needs it.

Every focus stop passes through ``_stop``, which asserts what WCAG 2.4.7 and 2.4.3 ask: the
focused element is rendered (no hidden control sits in the tab order) and it shows a focus
indicator (an outline of some width, or a box-shadow, on the element or on the pseudo-element
some card links draw their ring on). The computed style is read with ``page.evaluate`` on
``document.activeElement``, through the DevTools protocol, so the Content Security Policy stays
as in production.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from playwright.sync_api import Page, expect

from cll.accounts.models import User
from cll.consent import registry
from cll.dsar.models import DataSubjectRequest
from cll.privacy.models import AuditEntry
from conftest import PASSWORD
from tests.e2e.browsing import guarded_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
# More stops than any page checked here has: a walk that needs more is going round in circles.
MAX_STOPS = 150
# Fields Chromium splits into parts (day, month, year), each its own Tab stop in the same input.
PARTED = {"date", "time", "datetime-local", "month", "week"}

# What the focused element is and how it looks. Read in the page, where the styles are.
DESCRIBE_FOCUS = """(PARTED) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) { return null; }
  const ring = (style) => ({
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    shadow: style.boxShadow !== "none",
  });
  const own = ring(getComputedStyle(el));
  const after = ring(getComputedStyle(el, "::after"));
  const before = ring(getComputedStyle(el, "::before"));
  const rect = el.getBoundingClientRect();
  // In a date or time field the focus is on a part inside the browser's shadow tree: the field
  // itself then matches :focus-within, never :focus-visible.
  const parted = el.tagName === "INPUT" && PARTED.includes(el.type);
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: el.getAttribute("name") || "",
    type: el.getAttribute("type") || "",
    text: (el.innerText || el.value || el.getAttribute("aria-label") || "").trim(),
    label: label.trim(),
    href: el.getAttribute("href") || "",
    // Displayed, not transparent, bigger than the 1px of a visually hidden element, and on the
    // screen (the browser scrolls a focused element into view; an off-screen one stays out).
    rendered: rect.width > 1 && rect.height > 1
      && rect.bottom > 0 && rect.right > 0
      && rect.top < window.innerHeight && rect.left < window.innerWidth
      && el.checkVisibility({opacityProperty: true, visibilityProperty: true}),
    ring: own.outline || own.shadow || after.outline || before.outline,
    focus_visible: el.matches(":focus-visible") || (parted && el.matches(":focus-within")),
    in_main: !!el.closest("main"),
    in_banner: !!el.closest("[data-consent-banner]"),
    in_choices: !!el.closest("[data-consent-choices]"),
    in_menu: !!el.closest("#site-menu"),
    in_footer: !!el.closest("footer"),
  };
}"""


@dataclass(frozen=True)
class Focus:
    """The focused element, as ``DESCRIBE_FOCUS`` saw it."""

    tag: str
    id: str
    name: str
    type: str
    text: str
    label: str
    href: str
    rendered: bool
    ring: bool
    focus_visible: bool
    in_main: bool
    in_banner: bool
    in_choices: bool
    in_menu: bool
    in_footer: bool

    def named(self, text: str) -> bool:
        """Whether this is the control with that visible text (or that label)."""
        return text in (self.text, self.label) or self.label.rstrip(" :\u00a0") == text

    def __str__(self) -> str:
        what = self.text or self.label or self.id or self.name
        return f"<{self.tag}{f' #{self.id}' if self.id else ''}> {what[:60]!r}"


def _focus(page: Page) -> Focus | None:
    data = page.evaluate(DESCRIBE_FOCUS, sorted(PARTED))
    return Focus(**data) if data else None


def _stop(page: Page) -> Focus | None:
    """The current focus stop, checked: rendered and with a visible focus indicator."""
    focus = _focus(page)
    if focus is not None:
        assert focus.rendered, f"{focus} has the focus but is not rendered (hidden in tab order)"
        assert focus.focus_visible, f"{focus} was reached by keyboard but is not :focus-visible"
        assert focus.ring, f"{focus} has no visible focus indicator"
    return focus


def _press(page: Page, key: str) -> Focus | None:
    page.keyboard.press(key)
    return _stop(page)


def _tab_to(page: Page, found, *, backwards: bool = False) -> list[Focus]:
    """Press Tab (or Shift+Tab) until ``found(focus)``; every stop on the way is checked.

    Returns the stops, the last being the one found. Fails if the walk leaves the page first.
    """
    key = "Shift+Tab" if backwards else "Tab"
    stops: list[Focus] = []
    for _ in range(MAX_STOPS):
        focus = _press(page, key)
        assert focus is not None or not stops, f"left the page before finding it, after {stops}"
        if focus is None:
            continue
        stops.append(focus)
        if found(focus):
            return stops
    pytest.fail(f"not reached with {key} in {MAX_STOPS} stops: {[str(s) for s in stops]}")


def _type(page: Page, text: str) -> None:
    """Type into the focused field, key by key, as a person would."""
    page.keyboard.type(text)


def _walk_whole_page(page: Page) -> list[Focus]:
    """Tab from the top of a freshly loaded page until the focus leaves the document.

    Checks every stop on the way, and that the walk ends: Tab from the last element goes back
    to the browser, so no widget keeps the focus to itself (WCAG 2.1.2, no keyboard trap).
    """
    stops: list[Focus] = []
    for _ in range(MAX_STOPS):
        focus = _press(page, "Tab")
        if focus is None and stops:
            return stops
        if focus is not None:
            if stops and focus == stops[-1] and focus.type in PARTED:
                continue  # the next part of the same date field
            assert focus not in stops[-1:], f"Tab did not move from {focus}"
            stops.append(focus)
    pytest.fail(f"the focus never left the page in {MAX_STOPS} stops: {[str(s) for s in stops]}")


@pytest.fixture
def page(browser, live_server, traffic):
    """A wide page that refuses, and records, every request to another origin."""
    with guarded_page(browser, live_server.url, traffic, viewport=WIDE) as page:
        page.set_default_timeout(10_000)
        yield page


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", sessions=6, stdout=io.StringIO())


@pytest.fixture
def verified_alice(alice):
    """The learner persona, able to sign in (her address is verified)."""
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    return alice


def _cookie_choices() -> list[dict]:
    return [
        entry.detail
        for entry in AuditEntry.objects.filter(action="consent.cookies").order_by("seq")
    ]


def test_it_makes_a_cookie_choice_and_changes_it_with_the_keyboard(page, live_server, traffic):
    page.goto(f"{live_server.url}/en/")
    banner = page.locator("[data-consent-banner]")
    expect(banner).to_be_visible()

    # The first stops: skip link, then the banner's three equal choices, in reading order.
    stops = _tab_to(page, lambda f: f.named("Choose"))
    assert [s.text for s in stops] == [
        "Skip to main content",
        "Accept all",
        "Reject all",
        "Choose",
    ]
    # The folded choices are out of the tab order until "Choose" unfolds them.
    assert not any(s.in_choices for s in stops)

    # Enter unfolds the categories and moves the focus to the first of them.
    focus = _press(page, "Enter")
    assert focus is not None and focus.in_choices and focus.type == "checkbox", focus
    choose = banner.locator("[data-consent-choose]")
    expect(choose).to_have_attribute("aria-expanded", "true")
    expect(choose).to_have_text("Save my choice")

    _tab_to(page, lambda f: f.named("Analytics"))
    _press(page, "Space")
    expect(page.locator("#consent-banner-analytics")).to_be_checked()
    expect(page.locator("#consent-banner-advertising")).not_to_be_checked()
    _tab_to(page, lambda f: f.named("Save my choice"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(banner).to_have_count(0)
    assert registry.consent_cookie_name() in {c["name"] for c in page.context.cookies()}
    choices = _cookie_choices()
    assert [(c["choice"], c["categories"]) for c in choices] == [("custom", ["analytics"])]

    # "Cookie settings", in the footer of every page, reopens the choices: the last stops of
    # the page are reached backwards from its end.
    _tab_to(page, lambda f: f.in_footer and f.named("Cookie settings"), backwards=True)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/en/cookies/")
    expect(page.locator("#consent-settings-analytics")).to_be_checked()

    # Change the choice there: analytics off, advertising on.
    _tab_to(page, lambda f: f.named("Analytics"))
    _press(page, "Space")
    _tab_to(page, lambda f: f.named("Advertising"))
    _press(page, "Space")
    _tab_to(page, lambda f: f.named("Save my choice"))
    with page.expect_navigation():
        page.keyboard.press("Space")
    expect(page.locator("#consent-settings-analytics")).not_to_be_checked()
    expect(page.locator("#consent-settings-advertising")).to_be_checked()
    choices = _cookie_choices()
    assert [(c["choice"], c["categories"]) for c in choices] == [
        ("custom", ["analytics"]),
        ("custom", ["advertising"]),
    ]
    assert traffic.foreign == []


def test_it_follows_the_main_navigation_and_switches_language(page, live_server, demo):
    page.goto(f"{live_server.url}/en/")

    _tab_to(page, lambda f: f.in_menu and f.named("Courses"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/en/courses/")

    _tab_to(page, lambda f: f.in_menu and f.named("Français"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/fr/courses/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    # The skip link still leads past the header, on the new page and in the new language.
    skip = _press(page, "Tab")
    assert skip is not None and skip.text == "Aller au contenu principal"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    focus = _press(page, "Tab")
    assert focus is not None and focus.in_main, focus


def test_the_small_screen_menu_opens_and_closes_with_the_keyboard(page, live_server):
    page.set_viewport_size(NARROW)
    page.goto(f"{live_server.url}/en/")
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_have_attribute("aria-expanded", "false")

    # Closed, the menu's links are out of the tab order: Tab goes from the toggle to the page.
    _tab_to(page, lambda f: f.named("Menu"))
    focus = _press(page, "Tab")
    assert focus is not None and not focus.in_menu, focus
    _tab_to(page, lambda f: f.named("Menu"), backwards=True)

    # Enter opens it; the focus stays on the toggle and Tab goes into the menu, in order.
    _press(page, "Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_be_focused()
    stops = [_press(page, "Tab") for _ in range(5)]
    assert [s.text for s in stops if s] == ["Home", "Courses", "News", "Contact", "My account"]
    assert all(s and s.in_menu for s in stops)

    # Escape from inside the menu closes it and gives the focus back to the toggle.
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    _stop(page)
    expect(page.locator("#site-menu")).to_be_hidden()

    # Space toggles it too, and a second press closes it with the focus still on the toggle.
    _press(page, "Space")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    _press(page, "Space")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()

    # Open, the menu is followed to its end (the language switch) and then to the page.
    _press(page, "Enter")
    stops = _tab_to(page, lambda f: not f.in_menu)
    assert sorted(s.text for s in stops[-4:-1]) == ["English", "Français", "Nederlands"]
    assert stops[-1].in_main, stops[-1]


def test_a_learner_signs_in_with_the_keyboard(page, live_server, verified_alice):
    page.goto(f"{live_server.url}/en/account/login/")

    _tab_to(page, lambda f: f.in_main and f.name == "login")
    _type(page, verified_alice.email)
    _tab_to(page, lambda f: f.name == "password")
    _type(page, PASSWORD)
    _tab_to(page, lambda f: f.name == "remember")
    _press(page, "Space")
    expect(page.locator("main input[name=remember]")).to_be_checked()
    _tab_to(page, lambda f: f.tag == "button" and f.named("Sign in"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/en/account/profile/")
    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)


def test_a_visitor_signs_up_with_the_keyboard(page, live_server):
    page.goto(f"{live_server.url}/en/account/signup/")

    # In the order of the form, which is the order on the screen.
    for name, text in (
        ("email", "kim.keyboard@example.org"),
        ("first_name", "Kim"),
        ("last_name", "Keyboard"),
    ):
        _tab_to(page, lambda f, name=name: f.in_main and f.name == name)
        _type(page, text)
    # A select is worked with the arrow keys.
    _tab_to(page, lambda f: f.name == "level")
    page.keyboard.press("ArrowDown")
    assert page.locator("main select[name=level]").input_value() != ""
    # No date of birth: the "I am 13 or older" box is ticked with the space bar.
    _tab_to(page, lambda f: f.name == "age_confirmed")
    page.keyboard.press("Space")
    expect(page.locator("main input[name=age_confirmed]")).to_be_checked()
    for name in ("password1", "password2"):
        _tab_to(page, lambda f, name=name: f.name == name)
        _type(page, PASSWORD)
    _tab_to(page, lambda f: f.tag == "button" and f.named("Create my account"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The same answer whether or not the address is known (no account enumeration).
    expect(page).not_to_have_url(f"{live_server.url}/en/account/signup/")
    expect(page.locator("h1")).to_have_text("Confirm your e-mail address")
    user = User.objects.get(email="kim.keyboard@example.org")
    profile = user.profile
    assert (profile.first_name, profile.last_name) == ("Kim", "Keyboard")
    assert profile.level != ""


def test_a_visitor_asks_for_their_data_with_the_keyboard(page, live_server):
    page.goto(f"{live_server.url}/en/privacy-requests/")

    # A radio group is one stop: Tab reaches it, the arrow keys choose within it.
    first = _tab_to(page, lambda f: f.in_main and f.name == "type")[-1]
    assert first.type == "radio"
    _press(page, "Space")
    _press(page, "ArrowDown")
    chosen = page.locator("main input[name=type]:checked")
    expect(chosen).to_have_count(1)
    kind = chosen.get_attribute("value")
    # The group is one stop: Tab leaves it for the next field.
    focus = _press(page, "Tab")
    assert focus is not None and focus.name == "email", focus
    _type(page, "riley.keyboard@example.org")
    _tab_to(page, lambda f: f.name == "details")
    _type(page, "Please show me what you hold about me.")
    _tab_to(page, lambda f: f.tag == "button" and f.named("Send my request"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/en/privacy-requests/sent/")
    request = DataSubjectRequest.objects.get()
    assert request.type == kind


@pytest.mark.parametrize(
    ("viewport", "path"),
    [
        (WIDE, "/en/"),
        (NARROW, "/en/"),
        (WIDE, "/en/courses/"),
        (WIDE, "/en/account/login/"),
        (WIDE, "/en/account/signup/"),
    ],
    ids=["home-wide", "home-narrow", "catalogue", "login", "signup"],
)
def test_tab_goes_through_the_whole_page_and_out_with_a_visible_focus(
    page, live_server, demo, viewport, path
):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}{path}")

    stops = _walk_whole_page(page)

    assert stops[0].text == "Skip to main content"
    assert any(s.in_main for s in stops) and stops[-1].in_footer, stops[-1]
    # Nothing folded away is in the tab order: the banner's choices, the closed small-screen menu.
    assert not any(s.in_choices for s in stops)
    if viewport is NARROW:
        assert not any(s.in_menu and s.tag == "a" for s in stops)
    # Backwards too, from the end up to the first stop, and Shift+Tab goes on from there: out
    # of the page, or (headless Chromium has no toolbar to go to) round to its last stop.
    _tab_to(page, lambda f: f.text == "Skip to main content", backwards=True)
    assert _press(page, "Shift+Tab") in (None, stops[-1])
