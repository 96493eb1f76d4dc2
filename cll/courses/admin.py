"""The catalogue in the admin (kept by the Administrator role): prices in euros, teachers."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cll.courses.models import Course, Language, Session, Site
from cll.courses.prices import euros

# Euros with an optional decimal part of one or two digits after a comma or a point: "650",
# "650,5", "650,50", "650.50". No thousands separator: "1.800" would mean 1.80 to some readers
# and 1,800 to others. Spaces and the euro sign are ignored.
_EUROS = re.compile(r"^(?P<units>\d{1,7})(?:[.,](?P<decimals>\d{1,2}))?$")
_IGNORED = re.compile(r"[\s\u00a0\u202f€]")


class EuroField(forms.Field):
    """A price typed in euros, cleaned to integer cents (the database keeps cents)."""

    default_error_messages = {
        "invalid": _("Enter a price in euros, for example 650 or 650,50."),
        "negative": _("A price cannot be negative."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 12}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        # Cents from the database are shown as euros in the person's language ("650,50");
        # what the person typed (a string) is shown back as typed.
        if isinstance(value, int):
            return number_format(Decimal(value) / 100, 2, use_l10n=True)
        return value

    def to_python(self, value) -> int | None:
        text = _IGNORED.sub("", str(value or ""))
        if not text:
            return None
        if text.startswith("-"):
            raise ValidationError(self.error_messages["negative"], code="negative")
        match = _EUROS.match(text)
        if match is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        decimals = (match["decimals"] or "").ljust(2, "0")
        return int(match["units"]) * 100 + int(decimals)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "autocomplete": "off"}


def _teacher_label(user) -> str:
    # A staff member is known by their work address in the back office.
    return user.email


class SessionAdminForm(forms.ModelForm):
    price_cents = EuroField(
        label=capfirst(_("price (€)")),
        help_text=_("All taxes included, in euros, e.g. 650 or 650,50."),
    )

    class Meta:
        model = Session
        fields = [
            "slug",
            "language",
            "level",
            "format",
            "site",
            "title_fr",
            "title_en",
            "title_nl",
            "description_fr",
            "description_en",
            "description_nl",
            "starts_on",
            "ends_on",
            "hours",
            "price_cents",
            "capacity",
            "teacher",
            "is_featured",
            "is_published",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        teacher = self.fields.get("teacher")
        if teacher is not None:
            teacher.label_from_instance = _teacher_label
            teacher.queryset = teacher.queryset.order_by("email")


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_en", "name_nl", "position"]
    list_editable = ["position"]
    search_fields = ["code", "name_fr", "name_en", "name_nl"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_fr", "name_en", "name_nl", "is_online", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name_en"]}


class CourseInline(admin.TabularInline):
    model = Course
    extra = 0
    ordering = ["date", "starts_at"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    form = SessionAdminForm
    list_display = [
        "title_fr",
        "language",
        "level",
        "format",
        "site",
        "starts_on",
        "ends_on",
        "hours",
        "price",
        "teacher_email",
        "is_featured",
        "is_published",
    ]
    list_filter = ["is_published", "is_featured", "language", "level", "format", "site"]
    list_select_related = ["language", "site", "teacher"]
    search_fields = ["title_fr", "title_en", "title_nl", "slug"]
    date_hierarchy = "starts_on"
    readonly_fields = ["created_at", "updated_at"]
    inlines = [CourseInline]
    fieldsets = [
        (None, {"fields": ["slug", "language", "level", "format", "site"]}),
        (_("Titles"), {"fields": ["title_fr", "title_en", "title_nl"]}),
        (_("Descriptions"), {"fields": ["description_fr", "description_en", "description_nl"]}),
        (
            _("Dates and price"),
            {"fields": ["starts_on", "ends_on", "hours", "price_cents", "capacity"]},
        ),
        (_("Teaching"), {"fields": ["teacher"]}),
        (_("Publication"), {"fields": ["is_featured", "is_published", "created_at", "updated_at"]}),
    ]

    @admin.display(description=_("price"), ordering="price_cents")
    def price(self, session: Session) -> str:
        return euros(session.price_cents)

    @admin.display(description=_("teacher"), ordering="teacher__email")
    def teacher_email(self, session: Session) -> str:
        return session.teacher.email if session.teacher else ""
