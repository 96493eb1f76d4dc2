"""Data map of the consent app (see cll/privacy/datamap.py).

Neither table holds personal data: consent choices are ledger entries (privacy.AuditEntry,
declared by the privacy app) keyed by a random consent id, never by a person's details.
"""

from cll.privacy.datamap import NOT_PERSONAL, register, same

register(
    "consent.CookiePolicyVersion",
    subject=None,
    description="Published versions of the cookie policy (snapshots of the cookie registry).",
    fields=same(NOT_PERSONAL, "id", "number", "digest", "snapshot", "published_at"),
)
register(
    "consent.TagConfiguration",
    subject=None,
    description="The Google tag ids staff configured.",
    fields=same(
        NOT_PERSONAL,
        "id",
        "ga4_measurement_id",
        "ads_conversion_id",
        "floodlight_id",
        "google_signals",
        "updated_at",
    ),
)
