"""Deactivating (reversible) and deleting (erasure per the data map) one's own account."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse

from cll.accounts.models import LearnerProfile, User
from cll.accounts.tests.test_registration import SIGNUP
from cll.core.models import DataKey
from cll.core.outbox import outbox_deliver_due
from cll.privacy.models import AuditEntry
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _signed_in(user, browser: str = "Test browser") -> Client:
    client = Client(HTTP_USER_AGENT=browser)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.get(reverse("accounts:profile")).status_code == 200
    return client


def _signed_out(client: Client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 302


# -- Deactivation ---------------------------------------------------------------------------


def test_deactivation_ends_every_session_and_is_reversible(alice):
    _verified(alice)
    laptop, phone = _signed_in(alice, "Laptop"), _signed_in(alice, "Phone")
    untracked = Client()
    untracked.force_login(alice)  # a session allauth.usersessions never saw
    assert laptop.get(reverse("accounts:deactivate")).status_code == 200

    response = laptop.post(reverse("accounts:deactivate"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:reactivate")
    alice.refresh_from_db()
    assert not alice.is_active
    assert alice.deactivated_at is not None
    assert _signed_out(laptop) and _signed_out(phone) and _signed_out(untracked)
    assert not UserSession.objects.filter(user=alice).exists()
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(alice.pk) for s in Session.objects.all()
    )
    # Nothing deleted.
    assert EmailAddress.objects.filter(user=alice).exists()

    # Sign-in refuses the account, with the usual answer.
    client = Client()
    client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert _signed_out(client)

    # Wrong password: refused, still inactive.
    response = client.post(
        reverse("accounts:reactivate"), {"email": alice.email, "password": "wrong password"}
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert not alice.is_active

    response = client.post(
        reverse("accounts:reactivate"), {"email": alice.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    alice.refresh_from_db()
    assert alice.is_active and alice.deactivated_at is None
    _signed_in(alice)

    actions = list(
        AuditEntry.objects.filter(subject=alice.public_id, action__startswith="account.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["account.deactivate", "account.reactivate"]


def test_reactivation_answers_alike_for_unknown_active_and_staff_disabled_accounts(alice, charlie):
    _verified(alice)
    charlie.is_active = False  # disabled by staff, not by charlie: not reactivable here
    charlie.save()
    answers = set()
    for email in ("nobody@example.org", alice.email, charlie.email):
        response = Client().post(
            reverse("accounts:reactivate"), {"email": email, "password": PASSWORD}
        )
        assert response.status_code == 200
        answers.add(tuple(response.context["form"].non_field_errors()))
    assert len(answers) == 1 and all(answers)
    charlie.refresh_from_db()
    assert not charlie.is_active


def test_deactivation_and_deletion_need_a_signed_in_post_with_csrf(alice):
    for name in ("accounts:deactivate", "erasure:account_delete"):
        response = Client().get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("accounts:deactivate")).status_code == 403
    assert client.post(reverse("erasure:account_delete"), {"password": PASSWORD}).status_code == 403
    alice.refresh_from_db()
    assert alice.is_active
    assert alice.email == "alice@example.org"


def test_the_profile_links_to_deactivation_and_deletion(client, alice):
    client.force_login(alice)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:deactivate") in page
    assert reverse("erasure:account_delete") in page


# -- Deletion -------------------------------------------------------------------------------


def test_deletion_refuses_a_wrong_password(client, alice):
    client.force_login(alice)
    response = client.post(reverse("erasure:account_delete"), {"password": "not my password"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    alice.refresh_from_db()
    assert alice.is_active and alice.email == "alice@example.org"
    assert not AuditEntry.objects.filter(action__in=["account.delete", "erasure.execute"]).exists()


# The person's values, as typed and as stored (the phone is normalised to E.164). Short values
# that random ciphertext or hashes could contain by chance (the postcode "1348", the country
# "BE", the level "B1") are not searched.
PERSONAL_VALUES = (
    SIGNUP["email"],
    SIGNUP["first_name"],
    SIGNUP["last_name"],
    SIGNUP["street"],
    SIGNUP["city"],
    SIGNUP["phone"],
    "+3210470000",
    SIGNUP["objectives"],
    SIGNUP["other_details"],
    "1990-04-02",
)
# Values of the person allowed to remain after deletion, as (table, column, reason). Legal hold:
# none yet (invoices, when they exist, will be kept for the accounting retention period).
ALLOWED_REMAINS: tuple[tuple[str, str, str], ...] = ()


def _raw_rows():
    """Every row of every table, every column read raw from the database (no decryption)."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    assert {"accounts_user", "accounts_learnerprofile", "privacy_auditentry"} <= tables
    with connection.cursor() as cursor:
        for table in sorted(tables):
            # Table names come from the models, not from input.
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    yield table, column, str(value)


def test_deletion_leaves_no_personal_value_in_any_table(client, smtp_server):
    # A full account: registration (profile, e-mail address, queued and sent e-mail), a
    # verified sign-in (session, session list), a linked social account and a second factor.
    assert client.post(reverse("account_signup"), SIGNUP).status_code == 302
    user = User.objects.get(email=SIGNUP["email"])
    outbox_deliver_due()
    smtp_server.wait_for(1)
    EmailAddress.objects.filter(user=user).update(verified=True)
    client.post(reverse("account_login"), {"login": SIGNUP["email"], "password": PASSWORD})
    assert client.get(reverse("accounts:profile")).status_code == 200
    SocialAccount.objects.create(
        user=user,
        provider="google",
        uid="1234567890",
        extra_data={"email": SIGNUP["email"], "name": "Nadia Verhoeven"},
    )
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(user, generate_totp_secret())
    # The walk finds the values before deletion (it would not prove anything otherwise).
    before = {value for _t, _c, cell in _raw_rows() for value in PERSONAL_VALUES if value in cell}
    assert SIGNUP["email"] in before

    assert client.get(reverse("erasure:account_delete")).status_code == 200
    response = client.post(reverse("erasure:account_delete"), {"password": PASSWORD})
    assert response.status_code == 302
    assert _signed_out(client)

    found = [
        (table, column, value)
        for table, column, cell in _raw_rows()
        for value in PERSONAL_VALUES
        if value.lower() in cell.lower()
        and (table, column) not in {(t, c) for t, c, _reason in ALLOWED_REMAINS}
    ]
    assert found == []

    user.refresh_from_db()
    assert re.fullmatch(r"erased-[0-9a-f]{32}@invalid", user.email)
    assert not user.has_usable_password()
    assert not user.is_active and user.deactivated_at is None
    assert not LearnerProfile.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not SocialAccount.objects.filter(user=user).exists()
    assert not apps.get_model("mfa", "Authenticator").objects.filter(user=user).exists()
    assert not UserSession.objects.filter(user=user).exists()
    # Crypto-shredded: the key row stays as evidence, emptied.
    key = DataKey.objects.get(subject=user.public_id)
    assert key.destroyed_at is not None and not bytes(key.wrapped)
    (entry,) = AuditEntry.objects.filter(subject=user.public_id, action="account.delete")
    assert entry.target == f"accounts.User:{user.public_id}"
    # One erasure path (cll.erasure): its ledger entry counts the rows per model (ids only).
    (erasure,) = AuditEntry.objects.filter(subject=user.public_id, action="erasure.execute")
    assert erasure.actor == user.public_id
    assert erasure.detail["reason"] == "account.delete"
    assert erasure.detail["counts"]["accounts.LearnerProfile"] == {"deleted": 1}
    assert erasure.detail["counts"]["accounts.User"] == {"anonymised": 1}
    # The old address is free again, and cannot sign in to the erased account.
    other = Client()
    other.post(reverse("account_login"), {"login": SIGNUP["email"], "password": PASSWORD})
    assert _signed_out(other)
