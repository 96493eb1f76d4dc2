from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cll.privacy.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The evidence ledger, read-only: entries are written by services.audit_record alone.

    Nobody, superusers included, may add, change or delete an entry here; the database would
    refuse the change anyway (triggers), this keeps the buttons from being offered.
    """

    list_display = ("seq", "at", "action", "actor_role", "actor", "subject", "target")
    list_filter = ("action", "actor_role")
    # Exact lookups on the UUID columns: they use the subject/actor indexes, and a search term
    # that is not a UUID simply matches nothing.
    search_fields = ("subject__exact", "actor__exact")
    search_help_text = _("The public id of the person concerned or of the person who acted.")
    ordering = ("-seq",)
    list_per_page = 100
    # Counting the whole ledger on every page view would grow with it.
    show_full_result_count = False
    readonly_fields = tuple(field.name for field in AuditEntry._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
