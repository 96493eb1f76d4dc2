from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.lib.crypto import EncryptedCharField, EncryptedDateField, EncryptedTextField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. Identified in URLs and in the audit ledger by ``public_id``, never by ``id``.

    Profile details (names, address, phone, learning profile) live on the learner profile and
    are encrypted at rest; the account holds only what authentication needs.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("e-mail address"), unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return str(self.public_id)


class CefrLevel(models.TextChoices):
    UNKNOWN = "unknown", _("I don't know — I will take the placement test")
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"


class LearnerProfile(models.Model):
    """What a learner tells us about themselves (the policy's "registering on our website").

    Identity and contact details are encrypted at rest with the person's data key, so erasing
    the person (destroying that key) makes every copy unreadable, backups included. Languages
    and level are plain because staff pages filter on them; they identify no one on their own.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    first_name = EncryptedCharField(_("first name"), max_length=100)
    last_name = EncryptedCharField(_("last name"), max_length=100)
    street = EncryptedCharField(_("street and number"), max_length=200, blank=True)
    postcode = EncryptedCharField(_("postcode"), max_length=16, blank=True)
    city = EncryptedCharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    # E.164 ("+3210123456"), normalised by the form.
    phone = EncryptedCharField(_("telephone"), max_length=20, blank=True)
    native_language = models.CharField(_("native language"), max_length=50, blank=True)
    learning_languages = models.CharField(_("language(s) to learn"), max_length=200, blank=True)
    objectives = EncryptedTextField(_("learning objectives"), max_length=2000, blank=True)
    level = models.CharField(_("level (CEFR)"), max_length=8, choices=CefrLevel.choices, blank=True)
    birth_date = EncryptedDateField(_("date of birth"), null=True, blank=True)
    other_details = EncryptedTextField(_("other details"), max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("learner profile")
        verbose_name_plural = _("learner profiles")

    def __str__(self):
        return f"profile:{self.user.public_id}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("accounts:profile")
