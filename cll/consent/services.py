"""Writes of the consent app: consent records, the signed consent cookie, cookie-policy
versions and the staff's tag configuration.

Every cookie choice (accept all, reject all, custom, change, withdrawal) and every DNT/GPC
objection is an entry of the evidence ledger (action ``consent.cookies``) so it can be proven
(GDPR Art. 7(1)): the random consent id, the categories, the banner and policy versions, how it
was given and the visitor's network (IPv4 /24, IPv6 /48) — never a full address or a name.
"""

from __future__ import annotations

import secrets
import time

from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.db import transaction
from django.utils import timezone

from cll.consent import registry
from cll.consent.models import CookiePolicyVersion, TagConfiguration
from cll.consent.selectors import BANNER_VERSION, COOKIE_SALT, privacy_policy_version, tags_forget
from cll.privacy.services import audit_record

ACTION = "consent.cookies"
# How a choice was given.
HOW_BANNER = "banner"
HOW_SETTINGS = "settings page"
HOW_SIGNAL = "signal"
HOWS = (HOW_BANNER, HOW_SETTINGS, HOW_SIGNAL)
# What was chosen.
ACCEPT_ALL = "accept_all"
REJECT_ALL = "reject_all"
CUSTOM = "custom"
WITHDRAWAL = "withdrawal"
CHOICES = (ACCEPT_ALL, REJECT_ALL, CUSTOM, WITHDRAWAL)


def consent_id_new() -> str:
    """A random pseudonymous consent id (links the cookie to its ledger entries, nothing else)."""
    return secrets.token_hex(16)


def consent_cookie_value(*, consent_id: str, categories: list[str] | None, objection: str) -> str:
    """The signed cookie value. ``categories`` None means "no choice yet" (only an objection)."""
    payload: dict = {
        "id": consent_id,
        "c": categories,
        "b": BANNER_VERSION,
        "p": privacy_policy_version(),
        "t": int(time.time()),
    }
    if objection:
        payload["o"] = objection
    return signing.dumps(payload, salt=COOKIE_SALT, compress=False)


def _person(user) -> AbstractBaseUser | None:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def consent_record(
    *,
    consent_id: str,
    categories: list[str],
    choice: str,
    how: str,
    previous: list[str] | None,
    user=None,
    network: str = "",
    signal: str | None = None,
    route: str = "",
) -> None:
    """Record one cookie choice in the ledger.

    ``previous`` is the choice it replaces (None for a first choice), which makes a change or a
    withdrawal provable. ``signal`` is the DNT/GPC signal the browser sent when the choice was
    made: an explicit acceptance despite it was confirmed by the visitor first (views).
    """
    if choice not in CHOICES or how not in HOWS:
        raise ValueError(f"Unknown consent choice {choice!r} or way {how!r}.")
    unknown = set(categories) - set(registry.OPTIONAL_CATEGORIES)
    if unknown:
        raise ValueError(f"Unknown cookie categories: {sorted(unknown)}.")
    _ledger(
        user,
        consent_id,
        route,
        choice=choice,
        categories=[c for c in registry.OPTIONAL_CATEGORIES if c in categories],
        previous=previous,
        how=how,
        network=network,
        signal=signal,
        overrides_signal=bool(
            signal and ({registry.ANALYTICS, registry.ADVERTISING} & set(categories))
        ),
    )


def consent_objection_record(
    *, consent_id: str, signal: str, user=None, network: str = "", route: str = ""
) -> None:
    """Record a DNT/GPC signal as an objection (GDPR Art. 21(5)); callers record it once per
    consent id (the consent cookie remembers it)."""
    if signal not in ("dnt", "gpc"):
        raise ValueError(f"Unknown privacy signal {signal!r}.")
    _ledger(
        user,
        consent_id,
        route,
        choice="objection",
        categories=[],
        objects_to=[registry.ANALYTICS, registry.ADVERTISING],
        how=HOW_SIGNAL,
        network=network,
        signal=signal,
    )


def _ledger(user, consent_id: str, route: str, **detail) -> None:
    """One ``consent.cookies`` entry of the evidence ledger: the choice's ``detail`` with the
    consent id first and the banner and policy versions it was made under."""
    person = _person(user)
    detail = {"consent_id": consent_id, **detail}
    detail.update(banner_version=BANNER_VERSION, policy_version=privacy_policy_version())
    with transaction.atomic():
        audit_record(
            actor=person,
            subject=person,
            action=ACTION,
            target=f"consent:{consent_id}",
            route=route,
            detail=detail,
        )


def cookie_policy_publish() -> CookiePolicyVersion | None:
    """Publish a new cookie-policy version when the registry changed; None when it did not.

    Called after every ``migrate`` (post_migrate) and by ``manage.py cookie_policy_publish``;
    safe to call repeatedly (the latest version is locked while comparing).
    """
    data = registry.snapshot()
    digest = registry.snapshot_digest(data)
    with transaction.atomic():
        latest = CookiePolicyVersion.objects.select_for_update().order_by("-number").first()
        if latest is not None and latest.digest == digest:
            return None
        # A return to an earlier registry is published again, as a new version.
        number = (latest.number + 1) if latest else 1
        return CookiePolicyVersion.objects.create(
            number=number, digest=digest, snapshot=data, published_at=timezone.now()
        )


def tag_configuration_update(
    *, actor, role: str, values: dict, route: str = ""
) -> TagConfiguration:
    """Save the staff's tag ids (already validated by the form) and record who changed what."""
    with transaction.atomic():
        config, _created = TagConfiguration.objects.select_for_update().get_or_create(pk=1)
        changed = [name for name, value in values.items() if getattr(config, name) != value]
        for name, value in values.items():
            setattr(config, name, value)
        config.updated_at = timezone.now()
        config.save()
        audit_record(
            actor=actor,
            role=role,
            action="consent.tags.update",
            target="consent.TagConfiguration:1",
            fields=changed,
            route=route,
        )
        transaction.on_commit(tags_forget)
    tags_forget()
    return config
