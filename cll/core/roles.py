"""Staff roles: who a staff member is at work, and the one gate of every staff page.

A staff role is a Django group named after one of ``Role.STAFF_ROLES`` (created by the accounts
app's migration), held only by an active staff account (``is_staff``): a learner put in a group
by mistake holds no role, and ``is_superuser`` grants none. No role implies another.

- ``staff_roles_of(user)``: the roles a person holds;
- ``staff_role_required(*roles)``: a staff view's decorator (sign-in, then 403 without one of
  ``roles``); the roles stay on the view for the generated role x URL test matrix;
- ``acting_role(user, *preferred)``: the one role an audit entry names for what a person does,
  the first of ``preferred`` they hold.

Platform code: every feature app's staff pages use it, and it imports no app of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache


class Role:
    """Who may read a field (the data map's readers) and who works on what (staff groups)."""

    SELF = "self"
    GUARDIAN = "guardian"
    ADMINISTRATOR = "Administrator"
    PRIVACY_OFFICER = "Privacy officer"
    BILLING = "Billing"
    CUSTOMER_SERVICE = "Customer service"
    TEACHER = "Teacher"
    MARKETING = "Marketing"
    MODERATOR = "Community moderator"
    STAFF_ROLES = (
        ADMINISTRATOR,
        PRIVACY_OFFICER,
        BILLING,
        CUSTOMER_SERVICE,
        TEACHER,
        MARKETING,
        MODERATOR,
    )


def staff_roles_of(user) -> set[str]:
    """The staff roles (group names) an active staff account holds; empty for anyone else."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return set()
    names = user.groups.filter(name__in=Role.STAFF_ROLES).values_list("name", flat=True)
    return set(names)


def acting_role(user, *preferred: str) -> str:
    """The role ``user`` acts in, for the audit entry of what they do: the first of
    ``preferred`` they hold (pass the roles allowed for the action, most accountable first);
    "" for the system (``None``) or someone holding none of them."""
    if user is None:
        return ""
    roles = staff_roles_of(user)
    return next((role for role in preferred if role in roles), "")


def staff_role_required(*roles: str) -> Callable:
    """Decorate a staff view: signed-in active staff holding one of ``roles`` only, else 403.

    Anonymous visitors go to the sign-in page. The roles are kept on the view
    (``view.staff_roles``) so the role x URL test matrix can read who is entitled to every staff
    URL from the URLconf itself. Responses are never cached.
    """
    allowed = frozenset(roles)
    if not allowed:
        raise ValueError("staff_role_required needs at least one role.")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not staff_roles_of(request.user) & allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        guarded = never_cache(login_required(wrapped))
        guarded.staff_roles = allowed
        return guarded

    return decorator
