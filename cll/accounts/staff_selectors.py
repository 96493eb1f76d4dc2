"""Reads of learners' data by staff, limited field by field by the data map.

Least privilege (issue 3, item 7): which fields of a learner a staff member may see comes from
the data map alone (``FieldRule.readers`` in ``cll/accounts/privacy.py``), never from a list
kept here. A staff member's roles are their Django groups named after ``Role.STAFF_ROLES``:

- no role implies another. The Administrator reads what the data map lets administrators read
  (not the password, nor credentials), not "everything"; ``is_superuser`` grants no role here
  either, so a superuser without a group sees no learner on these pages;
- only active staff accounts (``is_staff``) hold roles: a learner put in a group by mistake
  reads nothing;
- a role may open the learner pages when it reads at least one personal field of the learner
  profile. Marketing and Community moderator read none: they get 403 (marketing will get
  aggregates only);
- a Teacher sees only the learners of their own sessions: who is enrolled where is the shop's
  to say (it sits above accounts), installed at start-up by ``teacher_learners_install``;
  without it a teacher sees no learner;
- every read of a person's data writes one audit entry (action ``learner.read``) naming the
  fields shown, never their values. The entry is written here, by the selector that returns
  the data, so no caller can read without it.

Templates receive ``LearnerView`` objects, never model instances: a template cannot reach a
field the role may not read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from cll.accounts.models import LearnerProfile, User
from cll.core.roles import staff_roles_of
from cll.privacy import datamap
from cll.privacy.datamap import Role
from cll.privacy.services import audit_record

READ_ACTION = "learner.read"
LEARNERS_PER_PAGE = 25
# Columns of the list, among the fields the role may read (the detail page shows all of them).
LIST_FIELDS = ("public_id", "first_name", "last_name", "email")
# Roles that see every learner; a Teacher sees only those of their sessions.
ALL_LEARNER_ROLES = frozenset(
    {Role.ADMINISTRATOR, Role.PRIVACY_OFFICER, Role.BILLING, Role.CUSTOMER_SERVICE}
)


# Labels for fields whose model label is not meant for people.
LABELS = {"public_id": _("reference")}


@dataclass(frozen=True)
class LearnerField:
    name: str
    label: str
    value: object


@dataclass(frozen=True)
class LearnerView:
    """One learner as one staff member may see them: only fields their roles may read."""

    public_id: uuid.UUID
    fields: tuple[LearnerField, ...]

    @property
    def field_names(self) -> list[str]:
        return [field.name for field in self.fields]


def _roles(user_or_roles: User | AnonymousUser | Iterable[str]) -> set[str]:
    if isinstance(user_or_roles, (User, AnonymousUser)):
        return staff_roles_of(user_or_roles)
    return set(user_or_roles)


def readable_fields_for(
    user: User | AnonymousUser | Iterable[str], model: type[models.Model] | str
) -> list[str]:
    """Personal fields of ``model`` that one of the user's roles may read, in model order.

    Relations (the profile's ``user``) are left out: they are how rows are joined, not data to
    show. A field missing from the data map is never readable.
    """
    roles = _roles(user)
    entry = datamap.entry_for(model)
    if entry is None or not roles:
        return []
    names = []
    for field in entry.model._meta.concrete_fields:
        rule = entry.fields.get(field.name)
        if rule is None or not rule.personal or field.is_relation:
            continue
        if roles & set(rule.readers):
            names.append(field.name)
    return names


def learner_pages_allowed(user: User | AnonymousUser) -> bool:
    """Whether the user may open the staff learner pages at all (else 403)."""
    return bool(readable_fields_for(user, LearnerProfile))


def learner_page_roles() -> tuple[str, ...]:
    """The staff roles that may open the learner pages: those the data map lets read at least
    one personal field of the learner profile (Marketing and Community moderator read none)."""
    return tuple(role for role in Role.STAFF_ROLES if readable_fields_for([role], LearnerProfile))


# Installed by the shop's ready() (cll/shop/apps.py): the accounts enrolled in a teacher's
# sessions. Accounts cannot import the shop (layers), so the shop tells it.
_teacher_learners: Callable[[User], QuerySet[User]] | None = None


def teacher_learners_install(function: Callable[[User], QuerySet[User]]) -> None:
    """Say who a teacher teaches: ``function(teacher)`` returns the accounts enrolled in their
    sessions (called once at start-up)."""
    global _teacher_learners
    _teacher_learners = function


def _learners_of_teacher(staff: User) -> QuerySet[User]:
    if _teacher_learners is None:
        return User.objects.none()
    return _teacher_learners(staff)


def _learners_for(staff: User, roles: set[str]) -> QuerySet[User]:
    if roles & ALL_LEARNER_ROLES:
        learners = User.objects.all()
    elif Role.TEACHER in roles:
        learners = _learners_of_teacher(staff)
    else:
        return User.objects.none()
    # Learners are the accounts with a learner profile; staff accounts are not listed.
    return learners.filter(is_staff=False, profile__isnull=False).select_related("profile")


def _value(instance: models.Model, name: str) -> object:
    if name == "country":
        return countries.name(instance.country) if instance.country else ""
    if name == "level":
        return instance.get_level_display()
    return getattr(instance, name)


def _label(model: type[models.Model], name: str) -> str:
    return str(LABELS.get(name) or model._meta.get_field(name).verbose_name)


def _project(user: User, user_fields: list[str], profile_fields: list[str]) -> LearnerView:
    profile = user.profile
    fields = [LearnerField(name, _label(User, name), _value(user, name)) for name in user_fields]
    fields += [
        LearnerField(name, _label(LearnerProfile, name), _value(profile, name))
        for name in profile_fields
    ]
    return LearnerView(public_id=user.public_id, fields=tuple(fields))


def _audit_reads(*, staff: User, roles: set[str], views: Iterable[LearnerView], route: str):
    # The role the staff member acted in: the first they hold in the data map's order; all of
    # them go into the detail (the fields shown are the union of what they grant).
    role = next((name for name in Role.STAFF_ROLES if name in roles), "")
    with transaction.atomic():
        for view in views:
            audit_record(
                actor=staff,
                role=role,
                subject=view.public_id,
                action=READ_ACTION,
                target=f"accounts.User:{view.public_id}",
                fields=view.field_names,
                route=route,
                detail={"roles": sorted(roles)},
            )


def learner_list_for(*, staff: User, email: str = "", page: str | int | None = 1) -> Page:
    """One page of the learners ``staff`` may see, as ``LearnerView`` rows with the list's
    columns only; ``email`` finds one learner by exact address. Audits each learner shown."""
    roles = staff_roles_of(staff)
    user_fields = [name for name in readable_fields_for(roles, User) if name in LIST_FIELDS]
    profile_fields = [
        name for name in readable_fields_for(roles, LearnerProfile) if name in LIST_FIELDS
    ]
    learners = _learners_for(staff, roles)
    if email:
        learners = learners.filter(email=email.strip().lower())
    learners = learners.order_by("-date_joined", "-id")
    result = Paginator(learners, LEARNERS_PER_PAGE).get_page(page)
    result.object_list = [_project(user, user_fields, profile_fields) for user in result]
    _audit_reads(staff=staff, roles=roles, views=result.object_list, route="staff:learner_list")
    return result


def learner_list_columns_for(*, staff: User) -> list[str]:
    """Labels of the list's columns for this staff member (same order as the rows' fields)."""
    roles = staff_roles_of(staff)
    columns = [
        _label(User, name) for name in readable_fields_for(roles, User) if name in LIST_FIELDS
    ]
    columns += [
        _label(LearnerProfile, name)
        for name in readable_fields_for(roles, LearnerProfile)
        if name in LIST_FIELDS
    ]
    return columns


def learner_get_for(*, staff: User, public_id: uuid.UUID) -> LearnerView | None:
    """One learner ``staff`` may see, with every field their roles may read, or None when they
    may not see that learner (the view answers 404). Audits the read."""
    roles = staff_roles_of(staff)
    user = _learners_for(staff, roles).filter(public_id=public_id).first()
    if user is None:
        return None
    view = _project(
        user, readable_fields_for(roles, User), readable_fields_for(roles, LearnerProfile)
    )
    _audit_reads(staff=staff, roles=roles, views=[view], route="staff:learner_detail")
    return view
