"""System checks of the shop: a payment provider that can take real money, configured.

- shop.E001: the sandbox provider in production: it marks orders paid without any money moving;
- shop.E002: Stripe without its secret key or its webhook signing secret (no session can be
  opened, no webhook verified);
- shop.E003: Mollie without a well-formed API key (``live_...`` or ``test_...``);
- shop.W001: a test key in production: the provider's page takes no real payment.

They run before every management command (``migrate``, the task worker, the scheduler, the
web server), so a site set up this way does not start.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.apps import AppConfig
from django.conf import settings
from django.core import checks

_MOLLIE_KEY = re.compile(r"^(live|test)_\w+$")


@checks.register()
def payment_provider_configured(
    app_configs: Iterable[AppConfig] | None = None, **kwargs
) -> list[checks.CheckMessage]:
    provider = settings.PAYMENT_PROVIDER
    messages: list[checks.CheckMessage] = []
    if provider == "sandbox" and settings.PRODUCTION:
        messages.append(
            checks.Error(
                "CLL_PAYMENT_PROVIDER is sandbox in production: orders would be marked paid "
                "without any money moving.",
                hint="Set CLL_PAYMENT_PROVIDER=stripe (with CLL_STRIPE_SECRET_KEY and "
                "CLL_STRIPE_WEBHOOK_SECRET) or mollie (with CLL_MOLLIE_API_KEY).",
                obj="settings.PAYMENT_PROVIDER",
                id="shop.E001",
            )
        )
    elif provider == "stripe":
        missing = [
            variable
            for variable, value in (
                ("CLL_STRIPE_SECRET_KEY", settings.STRIPE_SECRET_KEY),
                ("CLL_STRIPE_WEBHOOK_SECRET", settings.STRIPE_WEBHOOK_SECRET),
            )
            if not value
        ]
        if missing:
            messages.append(
                checks.Error(
                    f"CLL_PAYMENT_PROVIDER is stripe but {' and '.join(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} not set.",
                    hint="Copy the secret key and the webhook endpoint's signing secret "
                    "(whsec_...) from Stripe's dashboard; see README.",
                    obj="settings.PAYMENT_PROVIDER",
                    id="shop.E002",
                )
            )
        elif settings.PRODUCTION and settings.STRIPE_SECRET_KEY.startswith(
            ("sk_test_", "rk_test_")
        ):
            messages.append(_test_key("CLL_STRIPE_SECRET_KEY"))
    elif provider == "mollie":
        key = settings.MOLLIE_API_KEY.strip()
        if not _MOLLIE_KEY.match(key):
            messages.append(
                checks.Error(
                    "CLL_PAYMENT_PROVIDER is mollie but CLL_MOLLIE_API_KEY is "
                    f"{'not set' if not key else 'not a Mollie API key'}.",
                    hint="Copy the API key (live_... or test_...) from Mollie's dashboard.",
                    obj="settings.PAYMENT_PROVIDER",
                    id="shop.E003",
                )
            )
        elif settings.PRODUCTION and key.startswith("test_"):
            messages.append(_test_key("CLL_MOLLIE_API_KEY"))
    return messages


def _test_key(variable: str) -> checks.Warning:
    return checks.Warning(
        f"{variable} is a test key in production: the payment page takes no real payment.",
        hint="Use the live key.",
        obj="settings.PAYMENT_PROVIDER",
        id="shop.W001",
    )
