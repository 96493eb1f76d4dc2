from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cll.core.models import OutboxEmail
from cll.core.outbox import email_retry


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """Delivery status of outgoing e-mail, for operators.

    Shows no address, subject or body: staff need to see *that* mail fails and why (SMTP code,
    error class, kind of message), not to read people's mail. Rows are never edited or deleted
    here; a failed message can be retried.
    """

    list_display = (
        "created_at",
        "kind",
        "status_display",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
    )
    list_filter = ("status", "kind")
    # A bounce quotes our Message-ID: staff find the row from it (exact match only).
    search_fields = ("=message_id",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    actions = ("retry_now",)
    fields = readonly_fields = (
        "id",
        "kind",
        "person",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "message_id",
    )

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj):
        if obj.status == OutboxEmail.Status.FAILED:
            return format_html('<strong class="errornote">{}</strong>', obj.get_status_display())
        return obj.get_status_display()

    @admin.action(description=_("Retry now"), permissions=("change",))
    def retry_now(self, request, queryset):
        retried = sum(
            email_retry(email_id=pk)
            for pk in queryset.filter(status=OutboxEmail.Status.FAILED).values_list("pk", flat=True)
        )
        skipped = queryset.count() - retried
        self.message_user(
            request,
            ngettext(
                "%(count)d e-mail queued for another delivery attempt.",
                "%(count)d e-mails queued for another delivery attempt.",
                retried,
            )
            % {"count": retried},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d e-mail was not failed and was left as it was.",
                    "%(count)d e-mails were not failed and were left as they were.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Rows leave through the retention rule (prune_outbox) or the person's erasure.
        return False
