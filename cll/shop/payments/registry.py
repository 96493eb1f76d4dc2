"""Which adapter serves a provider name: ``provider_get``.

Adapters are built once per process and configuration (an SDK client keeps its connections
open), and rebuilt when their settings change (tests override keys). The sandbox is refused in
production whatever the settings say: its webhooks are signed with a key only this site holds,
but it marks orders paid without any money moving (``cll/shop/checks.py`` stops the start, this
is the second lock).
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.utils.module_loading import import_string

from cll.shop.payments.base import PaymentProvider, ProviderError

# name -> dotted path of the adapter class; each module imports its SDK only when used.
ADAPTERS: dict[str, str] = {
    "sandbox": "cll.shop.payments.sandbox.SandboxProvider",
    "stripe": "cll.shop.payments.stripe.StripeProvider",
    "mollie": "cll.shop.payments.mollie.MollieProvider",
}


class UnknownProvider(ProviderError):
    """No usable adapter for a name: none is called so (a webhook to /pay/webhook/<other>/),
    it is the sandbox in production, or its keys are not configured."""


def provider_names() -> tuple[str, ...]:
    return tuple(ADAPTERS)


def provider_get(name: str | None = None) -> PaymentProvider:
    """The adapter for ``name`` (default: ``settings.PAYMENT_PROVIDER``).

    Raises ``UnknownProvider`` for a name without adapter, the sandbox in production, or an
    adapter whose keys are missing.
    """
    name = name or settings.PAYMENT_PROVIDER
    if name not in ADAPTERS:
        raise UnknownProvider(f"No payment provider is called {name!r}.")
    if name == "sandbox" and settings.PRODUCTION:
        raise UnknownProvider("The sandbox payment provider is never used in production.")
    adapter_class = import_string(ADAPTERS[name])
    try:
        configuration = adapter_class.configuration()
    except ProviderError as exc:
        raise UnknownProvider(f"The payment provider {name!r} is not configured: {exc}") from exc
    return _built(adapter_class, configuration)


@functools.lru_cache(maxsize=16)
def _built(adapter_class: type[PaymentProvider], configuration: tuple) -> PaymentProvider:
    # Keyed by the configuration the adapter reads: a change of keys builds a new client.
    return adapter_class.from_configuration(configuration)
