"""Reads of the erasure app."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from cll.accounts.models import Guardianship
from cll.accounts.selectors import profile_get_for
from cll.accounts.services import child_can_take_over
from cll.erasure.engine import erasure_plan
from cll.erasure.models import ErasureSchedule
from cll.lib.tokens import link_token_hash
from cll.privacy.datamap import Category, Erasure


@dataclass
class WardPlan:
    """What erasing a guardian does to the children they manage."""

    # Under the digital consent age (or of unknown age) with no other guardian: erased too.
    erased: list = field(default_factory=list)
    # Old enough to take their account over, or managed by another guardian: kept.
    kept: list = field(default_factory=list)


def wards_plan_for(*, guardian) -> WardPlan:
    """The guardian's children, split by what erasing the guardian does to them.

    A child who cannot take their account over (under ``DIGITAL_CONSENT_AGE``, or no birth
    date on file) and has no other active guardian would be left with an account nobody can
    use or manage: it is erased with the guardian. Any other child keeps their account.
    """
    plan = WardPlan()
    links = (
        Guardianship.objects.filter(guardian=guardian, status=Guardianship.Status.ACTIVE)
        .select_related("child")
        .order_by("child__date_joined", "pk")
    )
    for link in links:
        child = link.child
        others = (
            Guardianship.objects.filter(child=child, status=Guardianship.Status.ACTIVE)
            .exclude(guardian=guardian)
            .exists()
        )
        if others or child_can_take_over(child):
            plan.kept.append(child)
        else:
            plan.erased.append(child)
    return plan


def ward_names(children) -> list[dict]:
    """Public id and first and last name of each child, for the guardian's confirmation page."""
    names = []
    for child in children:
        profile = profile_get_for(user=child)
        name = " ".join(filter(None, [profile.first_name, profile.last_name])) if profile else ""
        names.append({"public_id": child.public_id, "name": name})
    return names


@dataclass(frozen=True)
class PlanLine:
    what: str  # what people call the rows (the data map's ``title``), translated
    categories: list[str]  # the categories of personal data it holds, translated


def erasure_summary() -> dict[str, list[PlanLine]]:
    """What erasure deletes, anonymises and keeps, generated from the data map, for people.

    Keys: ``delete``, ``anonymise``, ``legal_hold`` (each a list of lines, sorted by name).
    Each line names the rows as the data map's ``title`` does ("Sign-in methods", "Data key"),
    never a table name; models sharing a title under one action make one line.
    """
    gathered: dict[str, dict[str, set[str]]] = {
        Erasure.DELETE: {},
        Erasure.ANONYMISE: {},
        Erasure.LEGAL_HOLD: {},
    }
    labels = dict(Category.choices)
    for plan in erasure_plan():
        categories = gathered[plan.action].setdefault(plan.entry.display_name, set())
        categories.update(
            str(labels[rule.category]) for rule in plan.entry.personal_fields.values()
        )
    return {
        action: sorted(
            (PlanLine(what=what, categories=sorted(found)) for what, found in lines.items()),
            key=lambda line: line.what.casefold(),
        )
        for action, lines in gathered.items()
    }


def grace_days() -> int:
    return settings.ERASURE_GRACE_DAYS


def schedule_get_by_token(*, token: str) -> ErasureSchedule | None:
    """The pending erasure a cancel link belongs to; None once cancelled or carried out."""
    return (
        ErasureSchedule.objects.select_related("user")
        .filter(cancel_token_hash=link_token_hash(token))
        .first()
    )


def schedules_due(*, now=None):
    return (
        ErasureSchedule.objects.select_related("user")
        .filter(due_at__lte=now or timezone.now())
        .order_by("due_at", "pk")
    )
