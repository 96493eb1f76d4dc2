"""System checks: production refuses the sandbox, and Stripe or Mollie without their keys."""

from __future__ import annotations

import pytest

from cll.shop.checks import payment_provider_configured


def _ids() -> list[str]:
    return [message.id for message in payment_provider_configured()]


def test_it_accepts_the_sandbox_outside_production(settings):
    settings.PRODUCTION = False
    settings.PAYMENT_PROVIDER = "sandbox"

    assert _ids() == []


def test_it_refuses_the_sandbox_in_production(settings):
    settings.PRODUCTION = True
    settings.PAYMENT_PROVIDER = "sandbox"

    assert _ids() == ["shop.E001"]


@pytest.mark.parametrize(
    ("secret", "webhook", "named"),
    [
        ("", "whsec_x", "CLL_STRIPE_SECRET_KEY is"),
        ("sk_live_x", "", "CLL_STRIPE_WEBHOOK_SECRET is"),
        ("", "", "CLL_STRIPE_SECRET_KEY and CLL_STRIPE_WEBHOOK_SECRET are"),
    ],
)
def test_it_refuses_stripe_without_its_keys(settings, secret, webhook, named):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = secret
    settings.STRIPE_WEBHOOK_SECRET = webhook

    [message] = payment_provider_configured()

    assert message.id == "shop.E002"
    assert named in message.msg


@pytest.mark.parametrize("key", ["", "dHar4XY7LxsDOtmnkVtjNVWXLSlXsM", "sk_live_x"])
def test_it_refuses_mollie_without_a_key(settings, key):
    settings.PAYMENT_PROVIDER = "mollie"
    settings.MOLLIE_API_KEY = key

    assert _ids() == ["shop.E003"]


@pytest.mark.parametrize(
    ("provider", "setting", "key"),
    [
        ("stripe", "STRIPE_SECRET_KEY", "sk_test_51abc"),
        ("mollie", "MOLLIE_API_KEY", "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"),
    ],
)
def test_it_warns_of_a_test_key_in_production(settings, provider, setting, key):
    settings.PRODUCTION = True
    settings.PAYMENT_PROVIDER = provider
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    setattr(settings, setting, key)

    assert _ids() == ["shop.W001"]


@pytest.mark.parametrize(
    ("provider", "setting", "key"),
    [("stripe", "STRIPE_SECRET_KEY", "sk_live_51abc"), ("mollie", "MOLLIE_API_KEY", "live_abc")],
)
def test_it_accepts_live_keys_in_production(settings, provider, setting, key):
    settings.PRODUCTION = True
    settings.PAYMENT_PROVIDER = provider
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    setattr(settings, setting, key)

    assert _ids() == []
