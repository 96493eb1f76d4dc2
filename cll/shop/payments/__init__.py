"""Payments through an external provider, behind one interface (``base.PaymentProvider``).

Adapters: ``sandbox`` (a local test-mode payment page for the embedded default and the tests),
``stripe`` (Stripe Checkout, official SDK) and ``mollie`` (Mollie, official SDK). The active
one is ``settings.PAYMENT_PROVIDER``; ``registry.provider_get()`` returns it. No card number
ever reaches our server: the person pays on the provider's page, which sends them back to us
(``views.payment_return``), and the provider confirms by a webhook (``views.payment_webhook``)
that ``services.webhook_receive`` authenticates, stores by event id and processes
idempotently. ``services`` states the rules; ``cll/shop/tasks.py`` reconciles what webhooks
missed; ``cll/shop/checks.py`` refuses a provider that cannot take real money in production.

Adding a provider: an adapter module implementing ``base.PaymentProvider`` (its
``configuration()`` reads and checks its settings), its name in ``registry.ADAPTERS`` and in
``settings.PAYMENT_PROVIDER``'s choices, a system check for its keys, and tests through its
official SDK against recorded exchanges served on loopback (``tests/recordings/``).
"""
