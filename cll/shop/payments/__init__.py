"""Payments through an external provider, behind one interface (``base.PaymentProvider``).

Adapters: ``sandbox`` (a local test-mode payment page for the embedded default and the tests),
``stripe`` (Stripe Checkout, official SDK) and ``mollie`` (Mollie, official SDK). The active
one is ``settings.PAYMENT_PROVIDER``; ``provider_get()`` returns it. No card number ever reaches
our server: the person pays on the provider's page, which sends them back to us, and the
provider confirms by a webhook that ``services.py`` of this package verifies, stores by event id
and processes idempotently.
"""
