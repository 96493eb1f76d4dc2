"""Reads of the consent app: what the visitor of this request allows.

``consent_state(request)`` is the one question every other app asks (analytics before recording a
clickstream, templates before injecting a tag). Do Not Track and Global Privacy Control win over
any stored choice: they are an objection (GDPR Art. 21(5)).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class ConsentState:
    preferences: bool = False
    analytics: bool = False
    advertising: bool = False
    # "dnt" or "gpc" when the browser sent an opt-out signal, else None.
    signal: str | None = None

    def allows(self, category: str) -> bool:
        """Whether a non-essential category may be used for this request."""
        if category == "necessary":
            return True
        if self.signal and category in ("analytics", "advertising"):
            return False
        return bool(getattr(self, category, False))


def privacy_signal(request: HttpRequest) -> str | None:
    if request.headers.get("Sec-GPC", "").strip() == "1":
        return "gpc"
    if request.headers.get("DNT", "").strip() == "1":
        return "dnt"
    return None


def consent_state(request: HttpRequest) -> ConsentState:
    """The visitor's choices for this request (the consent app refines how they are stored)."""
    return ConsentState(signal=privacy_signal(request))
