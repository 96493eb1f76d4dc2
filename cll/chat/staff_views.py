"""The staff console of the live chat (``chat_staff:console``).

The page is a shell: the queue and the conversations come through the staff websocket
(consumers.StaffConsumer), which checks the role and the second factor again and audits what
staff read. Customer service and administrators only; the staff MFA middleware guards the path.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cll.chat.services import STAFF_ROLES
from cll.core.roles import staff_role_required


@staff_role_required(*STAFF_ROLES)
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "chat/staff/console.html",
        {
            # The console renews the availability twice per period (heartbeat).
            "heartbeat_ms": settings.CHAT_AVAILABILITY_SECONDS * 1000 // 2,
            "max_chars": settings.CHAT_MAX_MESSAGE_CHARS,
        },
    )
