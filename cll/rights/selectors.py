"""Reads of the rights app: whether a person's data may be processed, and their own exports.

Restriction (GDPR Art. 18) and objection (Art. 21) are enforced by ``processing_allowed``, which
every code path that processes personal data for a purpose other than the exempt ones asks
first: newsletters and promotions pass ``purpose="marketing"``, audience measurement
``purpose="analytics"``, suggestions of sessions ``purpose="recommendations"`` (and honour an
objection to marketing too), and any other processing its own purpose key.
"""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from cll.core.prepared import PreparedQuery
from cll.privacy import datamap
from cll.rights.models import ExportJob, Objection, Restriction

# Art. 18(2): restricted data may still be stored, and processed for the establishment,
# exercise or defence of legal claims; answering the person's own requests and keeping the
# evidence of them is the accountability purpose (Art. 5(2), 12), and keeping stored data
# secure (Art. 32) is part of storing it. Everything else stops while data is restricted.
STORAGE_PURPOSE = "storage"
LEGAL_CLAIMS_PURPOSE = "legal-claims"
RESTRICTION_EXEMPT_PURPOSES = frozenset(
    {
        STORAGE_PURPOSE,
        LEGAL_CLAIMS_PURPOSE,
        datamap.ACCOUNTABILITY_PURPOSE,
        datamap.SECURITY_PURPOSE,
        "data-rights",
    }
)
# The purposes a person may object to from their privacy page (Art. 21(2) and (3) for direct
# marketing; analytics rests on consent or legitimate interest, Art. 21(1)).
OBJECTABLE_PURPOSES = frozenset(Objection.Purpose.values)


def _known_purpose(purpose: str) -> None:
    if purpose not in datamap.PURPOSES and purpose not in (
        RESTRICTION_EXEMPT_PURPOSES | OBJECTABLE_PURPOSES
    ):
        raise ValueError(
            f"Unknown purpose {purpose!r}: declare it in the data map with purpose(), or use "
            "'marketing' or 'analytics'."
        )


def processing_allowed(*, subject: uuid.UUID, purpose: str) -> bool:
    """Whether the person with public id ``subject`` may have their data processed for
    ``purpose``.

    False while their processing is restricted (for every purpose outside
    ``RESTRICTION_EXEMPT_PURPOSES``) or when they objected to this purpose. One query on
    indexed columns (the user's unique public id, the restriction's one-to-one key, the
    objection's unique (person, purpose)); no query at all for an exempt purpose. A person who
    does not exist has nothing to process: True (callers find no data anyway).

    Raises ValueError for a purpose the data map does not know, so a typo cannot silently
    bypass an objection.
    """
    _known_purpose(purpose)
    if purpose in RESTRICTION_EXEMPT_PURPOSES:
        return True
    blocked = Exists(Restriction.objects.filter(subject_id=OuterRef("pk")))
    if purpose in OBJECTABLE_PURPOSES:
        blocked |= Exists(Objection.objects.filter(subject_id=OuterRef("pk"), purpose=purpose))
    User = get_user_model()
    return not User.objects.filter(Q(public_id=subject) & Q(blocked)).exists()


# The reads of the privacy page, every request: their SQL built once (cll/core/prepared.py).
_restriction_of = PreparedQuery(lambda user_id: Restriction.objects.filter(subject=user_id), 0)
_objections_of = PreparedQuery(
    lambda user_id: Objection.objects.filter(subject=user_id).values_list("purpose", flat=True), 0
)
_exports_of = PreparedQuery(
    lambda user_id: ExportJob.objects.filter(subject=user_id).order_by("-created_at"), 0
)


def restriction_for(*, user) -> Restriction | None:
    return _restriction_of.first(user.pk)


def objections_of(*, user) -> set[str]:
    return set(_objections_of.rows(user.pk))


def export_latest_for(*, user) -> ExportJob | None:
    """The person's most recent export request, shown on their privacy page."""
    return _exports_of.first(user.pk)


def export_get_for(*, user, public_id: uuid.UUID) -> ExportJob:
    """The export ``public_id`` if ``user`` owns it; 404 otherwise, for everyone else
    (staff included): an export is for its owner only, and a 404 does not confirm it exists."""
    job = ExportJob.objects.filter(public_id=public_id, subject=user).first()
    if job is None or not getattr(user, "is_authenticated", False):
        raise Http404
    return job
