"""Reads of the policies app."""

from __future__ import annotations

from django.conf import settings


def policy_version_current(kind: str = "privacy") -> str:
    """The version label of the policy in force (``kind``: "privacy" or "terms")."""
    return settings.PRIVACY_POLICY_VERSION
