from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cll.courses.models import Course, Language, Session, Site


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
    list_display = [
        "title_fr",
        "language",
        "level",
        "format",
        "site",
        "starts_on",
        "ends_on",
        "hours",
        "price_cents",
        "is_featured",
        "is_published",
    ]
    list_filter = ["is_published", "is_featured", "language", "level", "format", "site"]
    list_select_related = ["language", "site"]
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
        (_("Publication"), {"fields": ["is_featured", "is_published", "created_at", "updated_at"]}),
    ]
