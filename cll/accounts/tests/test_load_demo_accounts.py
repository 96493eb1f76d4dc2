"""The demo accounts printed by scripts/run.sh can actually sign in."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cll.accounts.management.commands.load_demo_accounts import DEMO_PASSWORD


def test_it_creates_accounts_that_can_sign_in(client, db):
    out = io.StringIO()
    call_command("load_demo_accounts", stdout=out)
    call_command("load_demo_accounts", stdout=io.StringIO())  # idempotent

    assert "alice@demo.cll.be" in out.getvalue()
    response = client.post(
        "/fr/account/login/", {"login": "alice@demo.cll.be", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/fr/account/profile/").status_code == 200


def test_it_refuses_to_run_in_production(db, settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("load_demo_accounts", stdout=io.StringIO())
