"""Admin fixes for the account models other apps register: the admin must answer bad input with
a message, never a 500 (issue 11, item 13's fuzzing of the admin under /<language>/admin/).

- staff roles (auth groups): a permission id too large for the database's integer was passed to
  the query and raised ``OverflowError``; it is now refused as an invalid choice;
- allauth's user sessions: its search looked up ``user__username``, a field our user model
  (signed in by e-mail) does not have (``FieldError``); it searches the e-mail address.
"""

from __future__ import annotations

from allauth.usersessions import admin as usersessions_admin
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses an id outside the range of the primary key's column before querying with it."""

    def _check_values(self, value):
        field = self.queryset.model._meta.pk
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        low = -(2**63) if low is None else low
        high = 2**63 - 1 if high is None else high
        for pk in value or ():
            try:
                number = int(str(pk))
            except ValueError:
                continue  # not a number: the parent class refuses it with its own message
            if not low <= number <= high:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(GroupAdmin):
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


admin.site.unregister(UserSession)


@admin.register(UserSession)
class UserSessionAdmin(usersessions_admin.UserSessionAdmin):
    search_fields = ["user__email", "ip"]
