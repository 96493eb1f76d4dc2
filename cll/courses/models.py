"""The catalogue: languages taught, sites, sessions (complete programmes) and their courses.

Vocabulary (DESIGN.md §1): a **session** is a complete programme, e.g. a 30-hour English A2
session from 22 January to 12 April; a **course** is one unit of it on a date (2 hours on
28 February, 9-11). None of these models holds personal data; a session names its teacher by a
reference to their staff account (the account's data is mapped by the accounts app).
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cll.core.roles import Role
from cll.courses.translated import TranslatedText

# Lower-case letters and digits without look-alikes (no i, l, o, 0, 1): easy to read aloud.
_SLUG_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def random_token(length: int = 8) -> str:
    """A random, unguessable fragment for public URLs (never an integer primary key)."""
    return "".join(secrets.choice(_SLUG_ALPHABET) for _ in range(length))


def new_session_slug() -> str:
    return f"session-{random_token(10)}"


class Level(models.TextChoices):
    """Common European Framework of Reference for Languages (CEFR)."""

    A1 = "A1", _("A1 · Beginner")
    A2 = "A2", _("A2 · Elementary")
    B1 = "B1", _("B1 · Intermediate")
    B2 = "B2", _("B2 · Upper intermediate")
    C1 = "C1", _("C1 · Advanced")
    C2 = "C2", _("C2 · Proficient")


class Format(models.TextChoices):
    GROUP = "group", _("Group course")
    INDIVIDUAL = "individual", _("Individual lessons")
    ONLINE = "online", _("Online classroom")
    COMPANY = "company", _("Company training")
    HOLIDAY = "holiday", _("Holiday course for children and teens")


class Language(models.Model):
    """A language taught at CLL, named in each interface language."""

    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z]{2,3}$", _("Use the ISO 639 code in lower case, e.g. “en” or “nl”.")
            )
        ],
        help_text=_("ISO 639 code, e.g. “en”. Used in catalogue links (?language=en)."),
    )
    name_fr = models.CharField(_("name (French)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    name_nl = models.CharField(_("name (Dutch)"), max_length=60)
    position = models.PositiveSmallIntegerField(
        _("position"), default=100, help_text=_("Smaller numbers are listed first.")
    )

    name = TranslatedText("name")

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["position", "code"]
        constraints = [
            # Codes appear in URLs and filters: one spelling only.
            models.CheckConstraint(
                condition=models.Q(code=Lower("code")), name="courses_language_code_lower"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('courses:session_list')}?{urlencode({'language': self.code})}"


class Site(models.Model):
    """Where sessions take place: a teaching centre, or the online classroom."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    name_nl = models.CharField(_("name (Dutch)"), max_length=80)
    address = models.TextField(_("postal address"), blank=True)
    is_online = models.BooleanField(_("online"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    name = TranslatedText("name")

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["position", "slug"]
        constraints = [
            # A building has an address learners can travel to; the online classroom has none.
            models.CheckConstraint(
                condition=models.Q(is_online=True, address="")
                | (models.Q(is_online=False) & ~models.Q(address="")),
                name="courses_site_address_unless_online",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('courses:session_list')}?{urlencode({'site': self.slug})}"


class SessionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def not_ended(self, today):
        """Sessions a visitor can still join or follow: ending today or later."""
        return self.filter(ends_on__gte=today)


class Session(models.Model):
    """A complete programme (e.g. 30 hours of English A2 from 22 January to 12 April)."""

    slug = models.SlugField(
        _("public slug"),
        max_length=96,
        unique=True,
        default=new_session_slug,
        help_text=_("Appears in the address of the page. Ends with a random part."),
    )
    title_fr = models.CharField(_("title (French)"), max_length=160)
    title_en = models.CharField(_("title (English)"), max_length=160)
    title_nl = models.CharField(_("title (Dutch)"), max_length=160)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    language = models.ForeignKey(
        Language,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("language"),
    )
    level = models.CharField(_("level"), max_length=2, choices=Level)
    format = models.CharField(_("format"), max_length=16, choices=Format)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("site")
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    hours = models.PositiveSmallIntegerField(_("hours of teaching"))
    # Integer cents: no rounding in sums; people enter and read euros (the admin's EuroField).
    price_cents = models.PositiveIntegerField(_("price"), help_text=_("All taxes included."))
    capacity = models.PositiveSmallIntegerField(_("places"))
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="taught_sessions",
        verbose_name=_("teacher"),
        # Only active staff members in the Teacher role can be chosen in forms.
        limit_choices_to=models.Q(is_staff=True, is_active=True, groups__name=Role.TEACHER),
    )
    is_featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Shown on the home page.")
    )
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = SessionQuerySet.as_manager()

    title = TranslatedText("title")
    description = TranslatedText("description")

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="courses_session_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(hours__gt=0), name="courses_session_hours_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gt=0), name="courses_session_capacity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=Level.values), name="courses_session_level_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(format__in=Format.values),
                name="courses_session_format_valid",
            ),
        ]
        indexes = [
            # session_list_for: published sessions, filtered on the end date, by start date.
            models.Index(fields=["is_published", "starts_on"], name="courses_session_cat_idx"),
            # featured_session_list_for (home page): the few featured sessions, by start date.
            models.Index(
                fields=["starts_on"],
                condition=models.Q(is_featured=True, is_published=True),
                name="courses_session_featured_idx",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("courses:session_detail", kwargs={"slug": self.slug})

    @property
    def price(self) -> Decimal:
        return Decimal(self.price_cents) / 100


class Course(models.Model):
    """One unit of a session on a date (e.g. 28 February, 9:00-11:00)."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="courses", verbose_name=_("session")
    )
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("start time"))
    ends_at = models.TimeField(_("end time"))

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["date", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="courses_course_ends_after_start",
            ),
            # Also serves the session page's "courses of this session by date" query.
            models.UniqueConstraint(
                fields=["session", "date", "starts_at"], name="courses_course_unique_slot"
            ),
        ]

    def __str__(self):
        return f"{self.session} · {self.date:%Y-%m-%d} {self.starts_at:%H:%M}"

    def get_absolute_url(self) -> str:
        return f"{self.session.get_absolute_url()}#{self.anchor}"

    @property
    def anchor(self) -> str:
        return f"course-{self.date:%Y%m%d}-{self.starts_at:%H%M}"

    @property
    def duration_minutes(self) -> int:
        start = self.starts_at.hour * 60 + self.starts_at.minute
        end = self.ends_at.hour * 60 + self.ends_at.minute
        return end - start
