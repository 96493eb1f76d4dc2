"""Extension points of the sign-up form for apps above accounts (they may not be imported here).

An app registers a "signup extra" from its ``AppConfig.ready()``: a form field added to the
sign-up form (after accounts' own fields) and a callback run once the account exists, with the
request, the new user and the field's cleaned value. Example: the newsletter's "Send me CLL's
news" box, whose callback asks for the double opt-in e-mail.

The callback runs inside allauth's sign-up, after the profile is written; it must not fail the
sign-up for a reason of its own (it records what it needs through its app's services).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import HttpRequest


@dataclass(frozen=True)
class SignupExtra:
    name: str  # the form field's name (unique among sign-up fields)
    field: Callable[[], forms.Field]  # a new field per form (fields are per-instance state)
    after_signup: Callable[[HttpRequest, Any, Any], None]  # (request, user, cleaned value)


SIGNUP_EXTRAS: dict[str, SignupExtra] = {}


def signup_extra_register(
    *,
    name: str,
    field: Callable[[], forms.Field],
    after_signup: Callable[[HttpRequest, Any, Any], None],
) -> None:
    """Add a field to the sign-up form and the callback run with its value after sign-up.

    Registering the same name again replaces it (``ready()`` may run twice in tests)."""
    SIGNUP_EXTRAS[name] = SignupExtra(name=name, field=field, after_signup=after_signup)


def signup_extras() -> list[SignupExtra]:
    """The registered extras, in registration order."""
    return list(SIGNUP_EXTRAS.values())
