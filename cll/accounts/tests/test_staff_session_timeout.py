"""Staff sessions end after 30 minutes idle and 12 hours in all (ASVS 7.3.1/7.3.2); learners
keep "remember me" (cll/accounts/middleware.py)."""

from __future__ import annotations

import datetime
import html
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from cll.accounts.middleware import LAST_SEEN_KEY, SIGNED_IN_KEY
from cll.accounts.models import LearnerProfile
from cll.accounts.tests.helpers import current_code, verified, with_totp
from cll.lib.env import ConfigError
from cll.privacy.models import AuditEntry
from conftest import PASSWORD, staff_login
from tests.test_configuration import load_settings, production_env

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
IDLE_MESSAGE = {
    "fr": "Votre session a expiré après 30 minutes d'inactivité ; veuillez vous reconnecter.",
    "en": "Your session expired after 30 minutes without activity; please sign in again.",
    "nl": "Uw sessie is verlopen na 30 minuten zonder activiteit; meld u opnieuw aan.",
}
ABSOLUTE_MESSAGE = "Votre session a expiré 12 heures après votre connexion"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _assert_sent_to_sign_in(response, next_path: str) -> None:
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("account_login")
    assert parse_qs(location.query)["next"] == [next_path]


def test_it_signs_out_a_staff_member_idle_for_31_minutes(client, clock, bob):
    staff_login(client, bob)
    profile = reverse("accounts:profile")
    assert client.get(profile).status_code == 200
    clock.shift(datetime.timedelta(minutes=31))
    response = client.get(profile)
    _assert_sent_to_sign_in(response, profile)
    assert IDLE_MESSAGE["fr"] in _page(client.get(response["Location"]))
    # Signed out on the server too: the session is gone, not just the cookie.
    assert "_auth_user_id" not in client.session
    assert client.get(profile)["Location"].startswith(reverse("account_login"))


def test_it_keeps_a_staff_member_active_every_29_minutes(client, clock, bob):
    staff_login(client, bob)
    for _ in range(6):
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get(reverse("usersessions_list")).status_code == 200


def test_it_signs_out_a_staff_member_at_the_absolute_limit(client, clock, bob):
    staff_login(client, bob)
    # A light page that needs a signed-in person (the list of one's sessions).
    page = reverse("usersessions_list")
    # Active every 20 minutes for 13 hours: in until 12 hours after signing in, out right after.
    for minutes in range(0, 13 * 60 + 1, 20):
        clock.move_to(START + datetime.timedelta(minutes=minutes), tick=False)
        response = client.get(page)
        if minutes <= 12 * 60:
            assert response.status_code == 200, minutes
        else:
            _assert_sent_to_sign_in(response, page)
            assert ABSOLUTE_MESSAGE in _page(client.get(response["Location"]))
            break
    else:
        pytest.fail("The session outlived the absolute limit.")


def test_it_keeps_a_learner_signed_in_after_two_idle_days(client, clock, alice):
    client.force_login(alice)
    profile = reverse("accounts:profile")
    assert client.get(profile).status_code == 200
    clock.shift(datetime.timedelta(days=2))
    assert client.get(profile).status_code == 200
    # No staff clock for learners: nothing written on their requests.
    assert LAST_SEEN_KEY not in client.session


@pytest.mark.parametrize("language", ["fr", "en", "nl"])
def test_it_says_why_in_the_persons_language(client, clock, bob, language):
    staff_login(client, bob)
    with translation.override(language):
        profile = reverse("accounts:profile")
    client.get(profile)
    clock.shift(datetime.timedelta(minutes=31))
    response = client.get(profile)
    with translation.override(language):
        _assert_sent_to_sign_in(response, profile)
    assert IDLE_MESSAGE[language] in _page(client.get(response["Location"]))


def test_it_does_not_process_a_post_after_expiry(client, clock, bob):
    staff_login(client, bob)
    profile = reverse("accounts:profile")
    client.get(profile)
    clock.shift(datetime.timedelta(minutes=31))
    response = client.post(profile, {"first_name": "Robert", "last_name": "Martin"})
    _assert_sent_to_sign_in(response, profile)
    assert not LearnerProfile.objects.filter(user=bob).exists()
    assert not AuditEntry.objects.filter(action__startswith="profile.").exists()


def test_it_writes_the_last_activity_at_most_once_a_minute(client, clock, bob):
    staff_login(client, bob)
    profile = reverse("accounts:profile")
    client.get(profile)
    clock.shift(datetime.timedelta(seconds=30))
    # Nothing to save: no session cookie sent again.
    assert settings.SESSION_COOKIE_NAME not in client.get(profile).cookies
    clock.shift(datetime.timedelta(seconds=31))
    assert settings.SESSION_COOKIE_NAME in client.get(profile).cookies
    assert client.session[LAST_SEEN_KEY] == int(START.timestamp()) + 61


def test_it_starts_the_clocks_of_a_session_signed_in_before_the_limits(client, clock, bob):
    staff_login(client, bob)
    session = client.session
    del session[SIGNED_IN_KEY]
    assert LAST_SEEN_KEY not in session
    session.save()
    clock.shift(datetime.timedelta(days=3))
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.session[SIGNED_IN_KEY] == client.session[LAST_SEEN_KEY]


def _sign_in(client, user, *, remember: bool):
    verified(user)
    data = {"login": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "on"
    return client.post(reverse("account_login"), data)


def test_it_gives_a_staff_member_who_asked_to_be_remembered_a_short_cookie(client, clock, dora):
    secret = with_totp(dora)
    response = _sign_in(client, dora, remember=True)
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    # The absolute limit plus one idle period (to say why at the next visit), not 14 days.
    assert int(cookie["max-age"]) == 12 * 3600 + 30 * 60
    assert client.session.get_expiry_date() == START + datetime.timedelta(hours=12, minutes=30)


def test_it_keeps_remember_me_for_a_learner(client, clock, alice):
    response = _sign_in(client, alice, remember=True)
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"CLL_STAFF_SESSION_IDLE_MINUTES": "0"}, "CLL_STAFF_SESSION_IDLE_MINUTES"),
        ({"CLL_STAFF_SESSION_MAX_HOURS": "25"}, "CLL_STAFF_SESSION_MAX_HOURS"),
        (
            {"CLL_STAFF_SESSION_IDLE_MINUTES": "180", "CLL_STAFF_SESSION_MAX_HOURS": "2"},
            "CLL_STAFF_SESSION_IDLE_MINUTES",
        ),
    ],
)
def test_it_refuses_limits_that_are_not_limits(monkeypatch, tmp_path, change, named):
    with pytest.raises(ConfigError, match=named):
        load_settings(monkeypatch, {**production_env(tmp_path), **change})
