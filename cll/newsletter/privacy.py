"""Data map of the newsletter (see cll/privacy/datamap.py).

A subscriber is their own data subject (``self``: its ``public_id`` is the account's public id
when the address belongs to an account), so an account's export and erasure find it. The consent
evidence of each subscription is kept while the subscription lives and for the period after it
ends that shows it was honoured; the suppression list keeps only a keyed hash of addresses that
left, for as long as the newsletter exists (it is what keeps them from ever being written to
again, also after an erasure or a re-import).
"""

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.privacy.datamap import (
    NOT_PERSONAL,
    UNLINKED,
    Basis,
    Category,
    Erasure,
    FieldRule,
    Role,
    purpose,
    register,
    retention_rule,
    same,
)

NEWSLETTER = purpose(
    "newsletter",
    _(
        "Sending you the newsletters you subscribed to, in your language, and proving that you "
        "asked for them."
    ),
)
SUPPRESSION = purpose(
    "newsletter-suppression",
    _("Making sure that an address that unsubscribed never receives a newsletter again."),
)

SUBSCRIBED = retention_rule(
    "newsletter-subscriber",
    format_lazy(
        ngettext_lazy(
            "Kept while you are subscribed; the evidence of your consent is kept {days} day "
            "after you unsubscribe, then deleted.",
            "Kept while you are subscribed; the evidence of your consent is kept {days} days "
            "after you unsubscribe, then deleted.",
            settings.NEWSLETTER_EVIDENCE_DAYS,
        ),
        days=settings.NEWSLETTER_EVIDENCE_DAYS,
    ),
    days=settings.NEWSLETTER_EVIDENCE_DAYS,
)
UNCONFIRMED = retention_rule(
    "newsletter-unconfirmed",
    format_lazy(
        ngettext_lazy(
            "A subscription whose confirmation link was not followed is deleted {days} day "
            "after it was asked for.",
            "A subscription whose confirmation link was not followed is deleted {days} days "
            "after it was asked for.",
            settings.NEWSLETTER_UNCONFIRMED_DAYS,
        ),
        days=settings.NEWSLETTER_UNCONFIRMED_DAYS,
    ),
    days=settings.NEWSLETTER_UNCONFIRMED_DAYS,
)
SUPPRESSED = retention_rule(
    "newsletter-suppression",
    format_lazy(
        ngettext_lazy(
            "An address that unsubscribed is kept only as a keyed fingerprint, {days} day after "
            "it left, so that it is never written to again (also after an erasure).",
            "An address that unsubscribed is kept only as a keyed fingerprint, {days} days after "
            "it left, so that it is never written to again (also after an erasure).",
            settings.NEWSLETTER_SUPPRESSION_DAYS,
        ),
        days=settings.NEWSLETTER_SUPPRESSION_DAYS,
    ),
    days=settings.NEWSLETTER_SUPPRESSION_DAYS,
)
DELIVERIES = retention_rule(
    "newsletter-delivery",
    format_lazy(
        ngettext_lazy(
            "Which newsletter was sent to whom is kept {days} day after the sending, then deleted.",
            "Which newsletter was sent to whom is kept {days} days after the sending, then "
            "deleted.",
            settings.NEWSLETTER_DELIVERY_DAYS,
        ),
        days=settings.NEWSLETTER_DELIVERY_DAYS,
    ),
    days=settings.NEWSLETTER_DELIVERY_DAYS,
)

_READERS = (Role.SELF, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.MARKETING)


def _rule(category: str, retention: str = SUBSCRIBED, *, encrypted: bool = False, readers=_READERS):
    return FieldRule(
        category,
        (NEWSLETTER,),
        Basis.CONSENT,
        retention,
        Erasure.DELETE,
        readers=readers,
        encrypted=encrypted,
    )


register(
    "newsletter.MailingList",
    subject=None,
    description="Newsletter lists and their public descriptions.",
    fields=same(
        NOT_PERSONAL,
        "id",
        "slug",
        "name_fr",
        "name_en",
        "name_nl",
        "description_fr",
        "description_en",
        "description_nl",
        "is_public",
        "position",
        "created_at",
    ),
)
register(
    "newsletter.Subscriber",
    title=_("Newsletter subscriber"),
    # The row is the person as far as the newsletter knows them (an address, maybe an account).
    subject="self",
    description="Addresses subscribed to a newsletter list, their language.",
    fields={
        **same(NOT_PERSONAL, "id"),
        "public_id": _rule(Category.IDENTITY),
        "email": _rule(Category.CONTACT, encrypted=True),
        "email_index": _rule(Category.CONTACT, readers=()),
        "account": _rule(Category.IDENTITY),
        "language": _rule(Category.CONTACT),
        "unsubscribe_key": _rule(Category.SECURITY, readers=()),
        "created_at": _rule(Category.CONTACT),
    },
)
register(
    "newsletter.Subscription",
    title=_("Newsletter subscriptions and the evidence of your consent"),
    subject="subscriber",
    description="Subscriptions to lists with the evidence of consent (when, how, policy, network).",
    fields={
        **same(NOT_PERSONAL, "id", "mailing_list", "recorded_by"),
        **same(
            _rule(Category.CONTACT),
            "subscriber",
            "status",
            "source",
            "created_at",
            "confirmed_at",
            "unsubscribed_at",
            "policy_version",
            "agreement_date",
            "agreement_reference",
            # A link to the scanned document (a core.Upload of the subscriber: the uploads
            # entry of the data map covers the file itself, exported and erased with them).
            "agreement_document",
        ),
        "confirm_network": _rule(Category.TECHNICAL),
        **same(_rule(Category.SECURITY, UNCONFIRMED, readers=()), "token_hash", "token_expires_at"),
    },
)
register(
    "newsletter.Suppression",
    title=_("Addresses that must not receive newsletters"),
    subject=UNLINKED,
    description="Keyed fingerprints of addresses that unsubscribed, bounced or complained.",
    fields={
        **same(NOT_PERSONAL, "id", "mailing_list", "reason", "created_at"),
        "address_hash": FieldRule(
            Category.CONTACT,
            (SUPPRESSION,),
            Basis.LEGITIMATE_INTEREST,
            SUPPRESSED,
            Erasure.DELETE,
            readers=(Role.ADMINISTRATOR, Role.PRIVACY_OFFICER),
        ),
    },
)
register(
    "newsletter.Campaign",
    subject=None,
    description="Newsletter campaigns written by Marketing.",
    fields=same(
        NOT_PERSONAL,
        "id",
        "public_id",
        "title",
        "status",
        "lists",
        "segment_language",
        "segment_level",
        "segment_site",
        "scheduled_at",
        "created_by",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
    ),
)
register(
    "newsletter.CampaignVersion",
    subject=None,
    description="The text of a campaign in each language.",
    fields=same(NOT_PERSONAL, "id", "campaign", "language", "subject", "body"),
)
register(
    "newsletter.Delivery",
    title=_("Newsletters sent to you"),
    subject="subscriber",
    description="Which campaign was sent to which subscriber, and when.",
    fields={
        **same(NOT_PERSONAL, "id", "campaign"),
        **same(
            _rule(Category.CONTACT, DELIVERIES),
            "subscriber",
            "status",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "error",
        ),
    },
)
