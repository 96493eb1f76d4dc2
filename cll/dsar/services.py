"""Writes of the dsar app: requests from anyone, their verification, deadlines and fulfilment.

Security rules
--------------
- **No enumeration.** Submitting the form never looks an account up: every submission for an
  address that is not the signed-in person's own gets the same answer ("check your mailbox") and
  the same e-mail, whether or not an account uses that address. Accounts are matched only once
  the address is proved.
- **Nothing about anyone before the mailbox confirms.** A request names an address; it goes
  through only when whoever controls that mailbox follows the single-use link (or is signed in
  to the account with that address). Someone asking about another person's address therefore
  only makes that person receive a link they can ignore.
- **Single-use, expiring links.** Only the SHA-256 of the token is stored; the hash is kept after
  use so a reused link is answered "already used" rather than "unknown".
- **Flood control.** Submissions are counted per client IP and per address (its blind index,
  never the address) in the cache; over the limit the form refuses, with the same message for
  every address.

Every step writes an audit entry (ids only) in the same transaction; e-mails go through the
outbox, sealed with the request's own data key (``subject_person=request.public_id``), so they
still reach the person after their account is erased.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cll.accounts.selectors import account_for_email
from cll.core.encryption import blind_index
from cll.core.outbox import email_queue_template
from cll.core.ratelimit import window_hit
from cll.core.roles import Role, acting_role
from cll.dsar import deadlines
from cll.dsar.models import EMAIL_INDEX_PURPOSE, DataSubjectRequest
from cll.erasure.services import erasure_execute
from cll.lib.tokens import link_token_hash, link_token_new
from cll.privacy import datamap
from cll.privacy.services import audit_record
from cll.rights.services import export_start, objection_set, restriction_set

Type = DataSubjectRequest.Type
Status = DataSubjectRequest.Status

# Days before a deadline on which the privacy officers are reminded (each once).
REMINDER_DAYS = (7, 3, 1)
QUEUE_ROLES = (Role.PRIVACY_OFFICER, Role.ADMINISTRATOR)
# Types whose fulfilment changes data that recipients may hold (GDPR Art. 19).
ART19_TYPES = frozenset({Type.RECTIFICATION, Type.ERASURE, Type.RESTRICTION})


class RequestError(Exception):
    """An action that the request's state does not allow; the message is for staff."""


# -- Helpers --------------------------------------------------------------------------------------


def _normalise(email: str) -> str:
    return email.strip().lower()


def _subject(request: DataSubjectRequest):
    """Whom audit entries are about: the account once known, else the request itself."""
    return request.account.public_id if request.account_id else request.public_id


def request_audit(
    request: DataSubjectRequest, action: str, *, actor=None, subject=None, fields=(), **detail
) -> None:
    """One ledger entry about ``request``: ids, the type and ``detail`` (ids and codes only)."""
    audit_record(
        actor=actor,
        role=acting_role(actor, *QUEUE_ROLES),
        subject=subject or _subject(request),
        action=action,
        target=request,
        fields=fields,
        detail={"request": request.public_id, "type": request.type, **detail},
    )


def _email_person(request: DataSubjectRequest, kind: str, **context) -> None:
    email_queue_template(
        to=request.email,
        template_prefix=f"emails/dsar_{kind}",
        context={
            "reference": request.public_id,
            "type_label": Type(request.type).label,
            "received": timezone.localtime(request.received_at).date(),
            "deadline": request.deadline,
            **context,
        },
        language=request.language,
        subject_person=request.public_id,
    )


def _open(request: DataSubjectRequest, *, how: str, paused: int, account=None) -> None:
    """Mark a request received and verified, start its clock and tell the person."""
    request.status = Status.OPEN
    request.verified_at = timezone.now()
    request.verification = how
    request.account = account if account is not None else account_for_email(request.email)
    received = timezone.localtime(request.received_at).date()
    request.due_on = deadlines.first_deadline(received, paused_days=paused)
    request.save()
    _email_person(request, "received")


def _link(request: DataSubjectRequest, token: str) -> str:
    with translation.override(request.language):
        path = reverse("dsar:request_verify", args=[token])
    return settings.SITE_URL.rstrip("/") + path


def _send_verification(request: DataSubjectRequest) -> None:
    link = link_token_new(lifetime=datetime.timedelta(hours=settings.DSAR_VERIFICATION_HOURS))
    request.token_hash = link.hash
    request.token_expires_at = link.expires_at
    request.save()
    _email_person(
        request,
        "verify",
        link=_link(request, link.token),
        hours=settings.DSAR_VERIFICATION_HOURS,
    )


# -- Flood control --------------------------------------------------------------------------------


def request_rate_allows(*, ip: str, email: str) -> bool:
    """Count one submission from ``ip`` for ``email``; False when either is over its limit.

    Keys hold the IP and the address's blind index, never the address. The answer is the same
    whether or not the address has an account.
    """
    ip_ok = window_hit(f"dsar:ip:{ip}", limit=settings.DSAR_RATE_PER_IP_HOUR, seconds=3600)
    if not ip_ok:
        return False
    index = blind_index(_normalise(email), purpose=EMAIL_INDEX_PURPOSE)
    return window_hit(f"dsar:addr:{index}", limit=settings.DSAR_RATE_PER_ADDRESS_DAY, seconds=86400)


# -- Requests from people -------------------------------------------------------------------------


def request_submit(
    *, type: str, email: str, details: str, language: str, user=None
) -> DataSubjectRequest:
    """A request from the public form.

    A signed-in person asking about their own login address is verified by their session: the
    request is open at once. Anyone else gets a single-use link at the address; the request
    stays unverified (its clock paused) until the link is followed.
    """
    email = _normalise(email)
    own = bool(user is not None and user.is_authenticated and _normalise(user.email) == email)
    with transaction.atomic():
        request = DataSubjectRequest.objects.create(
            type=type,
            email=email,
            details=details,
            language=language,
            channel=DataSubjectRequest.Channel.WEB,
            received_at=timezone.now(),
        )
        request_audit(request, "dsar.submit", actor=user if own else None, channel="web")
        if own:
            _open(request, how=DataSubjectRequest.Verification.SESSION, paused=0, account=user)
            request_audit(request, "dsar.verify", actor=user, method="session")
        else:
            _send_verification(request)
    return request


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LinkCheck:
    state: LinkState
    request: DataSubjectRequest | None = None


def request_link_check(*, token: str) -> LinkCheck:
    """What a verification link is worth, without using it (the GET of the link's page)."""
    request = DataSubjectRequest.objects.filter(token_hash=link_token_hash(token)).first()
    return _state(request)


def _state(request: DataSubjectRequest | None) -> LinkCheck:
    if request is None:
        return LinkCheck(LinkState.UNKNOWN)
    if request.verified_at is not None:
        return LinkCheck(LinkState.USED)
    if request.status != Status.UNVERIFIED:
        # Closed (rejected) before anyone followed the link: the link is worth nothing.
        return LinkCheck(LinkState.UNKNOWN)
    if request.token_expires_at is None or request.token_expires_at <= timezone.now():
        return LinkCheck(LinkState.EXPIRED)
    return LinkCheck(LinkState.VALID, request)


def request_verify(*, token: str) -> LinkCheck:
    """Use a verification link: the mailbox is proved, the request received, its clock started
    with the days spent waiting added back (the pause)."""
    with transaction.atomic():
        request = (
            DataSubjectRequest.objects.select_for_update()
            .filter(token_hash=link_token_hash(token))
            .first()
        )
        check = _state(request)
        if check.state != LinkState.VALID:
            return check
        received = timezone.localtime(request.received_at).date()
        paused = deadlines.paused_days(received, timezone.localdate())
        _open(request, how=DataSubjectRequest.Verification.LINK, paused=paused)
        request_audit(request, "dsar.verify", method="link", paused_days=paused)
    return LinkCheck(LinkState.VALID, request)


# -- Staff: entry and queue actions ---------------------------------------------------------------


def request_enter(
    *,
    actor,
    type: str,
    email: str,
    details: str,
    language: str,
    channel: str,
    received_at: datetime.datetime,
    identity_verified: bool,
) -> DataSubjectRequest:
    """A request that arrived by e-mail or post, entered by staff with its real received date.

    When staff already checked the person's identity, the clock runs from the received date;
    otherwise the person gets the verification link and the clock is paused until they follow it.
    """
    if received_at > timezone.now():
        raise RequestError(_("A request cannot be received in the future."))
    with transaction.atomic():
        request = DataSubjectRequest.objects.create(
            type=type,
            email=_normalise(email),
            details=details,
            language=language,
            channel=channel,
            received_at=received_at,
            entered_by=actor,
        )
        request_audit(request, "dsar.enter", actor=actor, channel=channel)
        if identity_verified:
            _open(request, how=DataSubjectRequest.Verification.STAFF, paused=0)
            request_audit(request, "dsar.verify", actor=actor, method="staff")
        else:
            _send_verification(request)
    return request


def _locked(request: DataSubjectRequest) -> DataSubjectRequest:
    return DataSubjectRequest.objects.select_for_update().get(pk=request.pk)


def _require_open(request: DataSubjectRequest) -> None:
    if request.status != Status.OPEN:
        raise RequestError(_("Only an open request can be handled."))


def request_extend(
    *, request: DataSubjectRequest, actor, months: int, reason: str
) -> DataSubjectRequest:
    """The one extension GDPR Art. 12(3) allows: by 1 or 2 months, decided before the first
    deadline passes, with the reasons e-mailed to the person."""
    if not reason.strip():
        raise RequestError(_("Give the reasons for the extension: they are sent to the person."))
    with transaction.atomic():
        request = _locked(request)
        _require_open(request)
        if request.extended_to is not None:
            raise RequestError(
                _("This request was already extended: only one extension is allowed.")
            )
        if timezone.localdate() > request.due_on:
            raise RequestError(_("The first deadline has passed: it can no longer be extended."))
        request.extended_to = deadlines.extended_deadline(request.due_on, months)
        request.extended_at = timezone.now()
        request.extension_reason = reason.strip()
        # The reminders count down to the new deadline.
        request.reminders_sent = []
        request.last_escalated_on = None
        request.save()
        request_audit(request, "dsar.extend", actor=actor, months=months)
        _email_person(request, "extended", reason=request.extension_reason)
    return request


def request_reject(*, request: DataSubjectRequest, actor, reason: str) -> DataSubjectRequest:
    """Refuse a request (e.g. manifestly unfounded, Art. 12(5)); the reason is e-mailed."""
    if not reason.strip():
        raise RequestError(_("Give the reason: it is sent to the person."))
    with transaction.atomic():
        request = _locked(request)
        if request.status not in (Status.OPEN, Status.UNVERIFIED):
            raise RequestError(_("This request is already closed."))
        request.status = Status.REJECTED
        request.outcome = reason.strip()
        request.closed_at = timezone.now()
        request.save()
        request_audit(request, "dsar.reject", actor=actor)
        if request.verified_at is not None:
            # An unverified address is not proved: it gets nothing but the link it already had.
            _email_person(request, "rejected", reason=request.outcome)
    return request


def _close(
    request: DataSubjectRequest, *, actor, result: str, note: str = "", subject=None
) -> None:
    request.status = Status.COMPLETED
    request.outcome = note.strip()
    request.closed_at = timezone.now()
    request.save()
    request_audit(request, "dsar.complete", actor=actor, subject=subject, result=result)
    _email_person(request, "completed", result=result, note=request.outcome)


def request_complete(*, request: DataSubjectRequest, actor, note: str = "") -> DataSubjectRequest:
    """Close a request handled by hand; the person is told, with the note if any."""
    with transaction.atomic():
        request = _locked(request)
        _require_open(request)
        _close(request, actor=actor, result="done", note=note)
    return request


# -- One-click fulfilment -------------------------------------------------------------------------


def _has_data(queryset, field_name: str) -> bool:
    # Encrypted columns cannot be compared in SQL; the few fields with recipients are read here.
    for value in queryset.values_list(field_name, flat=True).iterator():
        if value not in (None, "", [], {}):
            return True
    return False


def recipients_for(*, account) -> list[str]:
    """Keys of the recipients the data map names for the fields this person has data in."""
    keys: set[str] = set()
    for entry in datamap.personal_models():
        wanted = {
            name: rule
            for name, rule in entry.personal_fields.items()
            if rule.recipients and not set(rule.recipients) <= keys
        }
        if not wanted or not entry.linkable:
            continue
        rows = entry.model._default_manager.filter(
            datamap.subject_filter(entry.model, account.public_id)
        )
        if not rows.exists():
            continue
        for name, rule in wanted.items():
            if _has_data(rows, name):
                keys.update(rule.recipients)
    return sorted(keys)


def _notify_recipients(
    request: DataSubjectRequest, keys: list[str], *, actor, person: uuid.UUID
) -> None:
    """GDPR Art. 19: tell each recipient; by e-mail when the data map gives a contact address."""
    now = timezone.now()
    notices = []
    for key in keys:
        recipient = datamap.RECIPIENTS[key]
        if recipient.contact:
            email_queue_template(
                to=recipient.contact,
                template_prefix="emails/dsar_recipient_notice",
                context={
                    "recipient": recipient,
                    "type_label": Type(request.type).label,
                    "type": request.type,
                    "person_email": request.email,
                    "person_reference": person,
                },
                language=settings.LANGUAGE_CODE,
                subject_person=request.public_id,
            )
            notices.append({"recipient": key, "method": "email", "notified_at": now.isoformat()})
        else:
            notices.append({"recipient": key, "method": "manual", "notified_at": None})
        request_audit(
            request,
            "dsar.notify",
            actor=actor,
            subject=person,
            recipient=key,
            method=notices[-1]["method"],
        )
    request.notices = notices
    request.save(update_fields=["notices"])


def notice_mark_done(*, request: DataSubjectRequest, actor, recipient: str) -> DataSubjectRequest:
    """Staff notified a recipient by hand (no contact address in the data map)."""
    with transaction.atomic():
        request = _locked(request)
        for notice in request.notices:
            if notice["recipient"] == recipient and notice["notified_at"] is None:
                notice["notified_at"] = timezone.now().isoformat()
                break
        else:
            raise RequestError(_("No recipient left to notify by that name."))
        request.save(update_fields=["notices"])
        request_audit(request, "dsar.notify", actor=actor, recipient=recipient, method="manual")
    return request


def request_fulfil(
    *, request: DataSubjectRequest, actor, purpose: str = "", note: str = ""
) -> DataSubjectRequest:
    """Do what the request asks, in one step, and close it.

    - access, portability: the account's data export (the person gets its link when ready);
      without an account, a "we hold no data under this address" answer;
    - erasure: the account is erased per the data map; unauthorized profile: the account made
      with the person's address is erased, only once they proved control of that mailbox
      (link or staff check, not a session of that very account);
    - restriction, objection (to ``purpose``): set through the rights services;
    - rectification: staff made the correction; this records it and notifies recipients.

    For rectification, erasure and restriction, recipients are worked out *before* the change
    (after an erasure there is nothing left to look at) and notified afterwards (Art. 19).
    """
    with transaction.atomic():
        request = _locked(request)
        _require_open(request)
        account = request.account or account_for_email(request.email)
        if account is not None and request.account_id is None:
            request.account = account
            request.save(update_fields=["account"])
        kind = request.type
        if account is None:
            # No account uses the proved address: we hold no data under it, and say so.
            request_audit(request, "dsar.fulfil", actor=actor, result="no_data")
            _close(request, actor=actor, result="no_data", note=note)
            return request
        if kind == Type.UNAUTHORIZED_PROFILE and request.verification not in (
            DataSubjectRequest.Verification.LINK,
            DataSubjectRequest.Verification.STAFF,
        ):
            raise RequestError(
                _("The person has not proved control of the mailbox: verify it by link first.")
            )
        if kind == Type.OBJECTION and not purpose:
            raise RequestError(_("Choose the purpose the person objects to."))
        # Erasure gives the account a new public id: the ledger and the notices name the person
        # by the one they had.
        person = account.public_id
        recipients = recipients_for(account=account) if kind in ART19_TYPES else []
        if kind in (Type.ACCESS, Type.PORTABILITY):
            # The export (and the e-mail announcing it) in the person's language, not staff's.
            with translation.override(request.language):
                export_start(subject=account, actor=actor)
            result = "export"
        elif kind in (Type.ERASURE, Type.UNAUTHORIZED_PROFILE):
            erasure_execute(subject=account, actor=actor, reason="dsar")
            # The account row is now an empty shell: the request no longer points at it.
            request.account = None
            request.save(update_fields=["account"])
            result = "erased"
        elif kind == Type.RESTRICTION:
            restriction_set(subject=account, actor=actor, reason="dsar")
            result = "restricted"
        elif kind == Type.OBJECTION:
            try:
                objection_set(subject=account, purpose=purpose, actor=actor)
            except ValueError:
                raise RequestError(_("Choose the purpose the person objects to.")) from None
            result = "objection"
        else:
            result = "rectified"
        detail = {"purpose": purpose} if kind == Type.OBJECTION else {}
        request_audit(request, "dsar.fulfil", actor=actor, subject=person, result=result, **detail)
        if recipients:
            _notify_recipients(request, recipients, actor=actor, person=person)
        _close(request, actor=actor, result=result, note=note, subject=person)
    return request


# -- Reminders and escalation (periodic task) ----------------------------------------------------


def _staff_with(*roles: str):
    User = get_user_model()
    return (
        User.objects.filter(is_active=True, is_staff=True, groups__name__in=roles)
        .distinct()
        .order_by("pk")
    )


def _email_staff(staff, kind: str, request: DataSubjectRequest, days: int) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("dsar_staff:request_detail", args=[request.public_id])
    email_queue_template(
        to=staff.email,
        template_prefix=f"emails/dsar_{kind}",
        context={
            "reference": request.public_id,
            "type_label": Type(request.type).label,
            "deadline": request.deadline,
            "days": days,
            "link": settings.SITE_URL.rstrip("/") + path,
        },
        language=settings.LANGUAGE_CODE,
        subject_person=staff.public_id,
    )


def deadlines_check(*, today: datetime.date | None = None) -> dict[str, int]:
    """Remind the privacy officers 7, 3 and 1 days before each open request's deadline (each
    reminder once, catching up on a missed run with one message) and escalate overdue requests
    to privacy officers and administrators, once a day until they are closed."""
    today = today or timezone.localdate()
    counts = {"reminded": 0, "escalated": 0}
    for request in DataSubjectRequest.objects.filter(status=Status.OPEN, due_on__isnull=False):
        left = request.days_left(today)
        with transaction.atomic():
            if left < 0:
                if request.last_escalated_on == today:
                    continue
                for staff in _staff_with(Role.PRIVACY_OFFICER, Role.ADMINISTRATOR):
                    _email_staff(staff, "overdue", request, -left)
                request.last_escalated_on = today
                request.save(update_fields=["last_escalated_on"])
                request_audit(request, "dsar.escalate", days_overdue=-left)
                counts["escalated"] += 1
                continue
            due = [
                days
                for days in REMINDER_DAYS
                if left <= days and days not in request.reminders_sent
            ]
            if not due:
                continue
            for staff in _staff_with(Role.PRIVACY_OFFICER):
                _email_staff(staff, "reminder", request, left)
            request.reminders_sent = sorted({*request.reminders_sent, *due}, reverse=True)
            request.save(update_fields=["reminders_sent"])
            request_audit(request, "dsar.remind", days_left=left)
            counts["reminded"] += 1
    return counts
