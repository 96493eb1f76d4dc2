from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.core.encryption import EncryptedCharField, EncryptedDateField, EncryptedTextField


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
    # Set when the person deactivates their own account (they may reactivate it by signing in
    # on the reactivation page); None for active accounts and for accounts disabled by staff
    # or erased, which cannot be reactivated that way.
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)

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
    # The person's own switch for suggested sessions (cll/shop/recommendations.py): on by
    # default (legitimate interest, the policy's "offer the type of content that interests
    # you"), off at any time from the profile page.
    recommendations_enabled = models.BooleanField(_("session suggestions"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("learner profile")
        verbose_name_plural = _("learner profiles")

    def __str__(self):
        return f"profile:{self.user.public_id}"

    def get_absolute_url(self):

        return reverse("accounts:profile")


class Guardianship(models.Model):
    """A guardian (any adult account) responsible for a child learner's account.

    Created when the guardian confirms a parental consent request and completes the child's
    profile; the consent itself (guardian, child, time, policy version) is also in the audit
    ledger ("consent.parental").
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        HANDED_OVER = "handed_over", _("handed over to the learner")

    guardian = models.ForeignKey(User, on_delete=models.CASCADE, related_name="wards")
    child = models.ForeignKey(User, on_delete=models.CASCADE, related_name="guardianships")
    consent_given_at = models.DateTimeField(_("consent given at"), default=timezone.now)
    policy_version = models.CharField(_("privacy policy version"), max_length=32)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("guardianship")
        verbose_name_plural = _("guardianships")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "child"], name="accounts_guardianship_pair")
        ]

    def __str__(self):
        return f"guardianship:{self.pk}"


class ParentalConsentRequest(models.Model):
    """What a child under the digital consent age leaves when trying to register: only a
    parent's e-mail address (encrypted with this request's own data key, destroyed when the
    request is used or expires) and the hash of the link's token. Nothing about the child."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    parent_email = EncryptedTextField(_("parent's e-mail address"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(editable=False)

    class Meta:
        verbose_name = _("parental consent request")
        verbose_name_plural = _("parental consent requests")

    def __str__(self):
        return f"consent-request:{self.public_id}"


# What a person fills in about themselves (registration, the profile page, a child's profile):
# the learner profile's own fields, in the order forms show them.
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "street",
    "postcode",
    "city",
    "country",
    "phone",
    "native_language",
    "learning_languages",
    "level",
    "objectives",
    "birth_date",
    "other_details",
    "recommendations_enabled",
)
