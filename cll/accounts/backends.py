"""Django's and allauth's authentication backends, reading the signed-in user with a query
built once (``cll/core/prepared.py``): every signed-in request reads it. Signing in, passwords
and permissions are theirs, unchanged."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from cll.accounts.models import User
from cll.core.prepared import RowReader

_user_by_pk = RowReader(User, "pk", sample=0)


class PreparedUserRead:
    def get_user(self, user_id):
        # As ModelBackend.get_user: the user by primary key, if they may sign in.
        user = _user_by_pk.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(PreparedUserRead, DjangoModelBackend):
    pass


class AuthenticationBackend(PreparedUserRead, AllauthBackend):
    pass
