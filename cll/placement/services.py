"""Writes of the placement app: ``<entity>_<verb>(*, kw=...)``, in ``transaction.atomic()``,
with the audit entry (cll.privacy.services.audit_record) of any change to personal data in the
same transaction and e-mail (cll.core.outbox) only on commit."""

from __future__ import annotations
