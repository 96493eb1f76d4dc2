from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cll.content.models import NewsItem


@admin.register(NewsItem)
class NewsItemAdmin(admin.ModelAdmin):
    list_display = ["title_fr", "published_at", "slug"]
    search_fields = ["title_fr", "title_en", "title_nl", "slug"]
    date_hierarchy = "published_at"
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["slug", "published_at"]}),
        (_("French"), {"fields": ["title_fr", "summary_fr", "body_fr"]}),
        (_("English"), {"fields": ["title_en", "summary_en", "body_en"]}),
        (_("Dutch"), {"fields": ["title_nl", "summary_nl", "body_nl"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]
