"""The e-mail outbox: every message the platform sends goes through here.

Writing
    ``email_queue`` writes an ``OutboxEmail`` row in the caller's transaction and asks the task
    queue to deliver it only once that transaction commits. A request never talks to the mail
    server, and a rolled-back change never sends its e-mail.

Delivering
    ``email_deliver`` first *claims* the row with one conditional UPDATE (queued -> sending,
    only if it is due) and commits that claim, then talks SMTP. Two workers racing for the same
    row cannot both win the UPDATE, so they never both send it. Temporary failures (relay
    unreachable, timeout, SMTP 4xx) put the row back in the queue with exponential backoff;
    permanent ones (SMTP 5xx, or the last allowed attempt) mark it failed for staff to see.

At-least-once, not exactly-once
    Exactly-once delivery over SMTP is impossible: the relay's "250 OK" and our commit of
    "sent" are two systems. If a worker dies between them, the row stays "sending";
    ``outbox_recover_stuck`` requeues it after ``STUCK_AFTER`` and it is sent again. That window
    (one SMTP reply to one UPDATE) is the only way a duplicate can happen, and the duplicate
    carries the same Message-ID (fixed at queue time), so mail clients and relays that
    de-duplicate on it show it once. Losing a message is worse than a rare duplicate.

Retention
    Rows are personal data: sent and failed rows are deleted ``RETENTION_DAYS`` after their
    last delivery attempt by ``outbox_prune`` (the ``prune_outbox`` command, run daily).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections import Counter
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers, make_msgid
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from cll.core.emails import email_html_from_text, email_render
from cll.core.models import OutboxEmail
from cll.core.tasks import outbox_deliver

logger = logging.getLogger(__name__)

# Sent and failed messages are kept this long after their last attempt, to answer "did you
# send me ...?" and to debug delivery, then deleted (declared in cll/core/privacy.py).
RETENTION_DAYS = 30
# A claim older than this belongs to a worker that died mid-send. Far above EMAIL_TIMEOUT, so
# a slow but live worker is never overtaken (which would send the message twice).
STUCK_AFTER = timedelta(minutes=10)
# Backoff is capped so a large OUTBOX_MAX_ATTEMPTS cannot push a retry weeks away.
MAX_BACKOFF = timedelta(hours=6)
# One sweep delivers at most this many rows; the next minute's sweep takes the rest.
FLUSH_BATCH = 500

# Headers the outbox sets itself; a caller overriding them would break retries or routing.
_RESERVED_HEADERS = {"to", "cc", "bcc", "subject", "message-id", "date"}


class Outcome(StrEnum):
    """What one delivery attempt did (also the return value of the ``outbox_deliver`` task)."""

    SENT = "sent"
    RETRY = "retry"  # temporary failure, queued again with backoff
    UNREACHABLE = "unreachable"  # the relay itself is down: also a retry; stop this sweep
    FAILED = "failed"  # permanent failure or attempts exhausted
    SKIPPED = "skipped"  # not due, already claimed by another worker, or already sent


def email_queue(
    *,
    to: str,
    subject: str,
    text: str,
    html: str = "",
    subject_person: UUID | None = None,
    headers: dict[str, str] | None = None,
    kind: str = "",
) -> OutboxEmail:
    """Queue one e-mail to one address, to be delivered after the current transaction commits.

    ``subject_person`` is the public id of the person the message is about: the row is
    encrypted with their data key and exported/erased with the rest of their data. ``headers``
    adds headers such as ``List-Unsubscribe``; the outbox owns To, Cc, Bcc, Subject, Date and
    Message-ID. Without ``html``, the HTML part is the text in the site's shared frame
    (cll/core/emails.py), so every message has both parts. Raises ``ValidationError`` for a
    malformed address and ``ValueError`` for a header or subject containing a line break
    (header injection).
    """
    validate_email(to)
    if "\n" in subject or "\r" in subject:
        raise ValueError("An e-mail subject is a single line.")
    headers = dict(headers or {})
    for name, value in headers.items():
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"The outbox sets the {name} header itself.")
        if any(char in f"{name}{value}" for char in "\r\n"):
            raise ValueError("E-mail headers are single lines.")
    if not html:
        # Every message has an HTML part in the site's frame, even one written as text only.
        language = headers.get("Content-Language") or translation.get_language()
        html = email_html_from_text(
            text=text, subject=subject, language=language or settings.LANGUAGE_CODE
        )
    email = OutboxEmail.objects.create(
        to_address=to,
        subject=subject,
        text_body=text,
        html_body=html,
        person=subject_person,
        headers=headers,
        kind=kind,
        message_id=make_msgid(domain=_message_id_domain()),
    )
    # robust: if the task queue is down the request still succeeds; the sweeper delivers.
    transaction.on_commit(partial(_enqueue_delivery, email.pk), robust=True)
    return email


def email_queue_template(
    *,
    to: str,
    template_prefix: str,
    context: dict,
    language: str,
    subject_person: UUID | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxEmail:
    """Render ``<prefix>_subject.txt``, ``<prefix>.txt`` and its HTML part (``<prefix>.html``
    if it exists, else the text in the shared frame: cll/core/emails.py) in ``language`` (the
    recipient's, not the current request's) and queue the result.

    Templates get the site identity as ``organisation`` and the public URL as ``site_url`` (e-mails
    have no request, so links must be absolute).
    """
    rendered = email_render(
        subject_template=f"{template_prefix}_subject.txt",
        text_template=f"{template_prefix}.txt",
        context=context,
        language=language,
    )
    return email_queue(
        to=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        subject_person=subject_person,
        headers={"Content-Language": language, **(headers or {})},
        kind=template_prefix,
    )


def email_deliver(*, email_id: UUID | str, connection=None) -> Outcome:
    """Make one delivery attempt of one row, if it is due and no other worker has it.

    ``connection`` lets a sweep reuse one SMTP session for many rows; by default the
    configured mailer is used for this row alone.
    """
    now = timezone.now()
    # Whoever wins this UPDATE is the only sender. Run outside a transaction (as tasks are), it
    # commits before any SMTP traffic, so a crash mid-send leaves a visible "sending" row.
    claimed = OutboxEmail.objects.filter(
        pk=email_id, status=OutboxEmail.Status.QUEUED, next_attempt_at__lte=now
    ).update(
        status=OutboxEmail.Status.SENDING,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
    )
    if not claimed:
        return Outcome.SKIPPED
    email = OutboxEmail.objects.get(pk=email_id)
    if email.to_address is None:
        # The person was erased (their data key destroyed) while the message waited.
        return _record_failure(email, _RecipientErased())
    own_connection = connection is None
    try:
        if own_connection:
            connection = mailers.default
        # open() is a no-op on an open connection, so a sweep keeps one SMTP session.
        connection.open()
        accepted = connection.send_messages([_build_message(email)])
        if not accepted:
            raise _NothingAccepted
    except Exception as exc:
        # A failed session must not be reused for the next row of the sweep.
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
        return _record_failure(email, exc)
    finally:
        if own_connection and connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=OutboxEmail.Status.SENT,
        sent_at=timezone.now(),
        next_attempt_at=None,
        last_error="",
    )
    return Outcome.SENT


def email_retry(*, email_id: UUID | str) -> bool:
    """Put a failed message back in the queue now, with a fresh set of attempts (staff action).

    Returns False when the row is not failed (already retried, sent, or in flight).
    """
    now = timezone.now()
    with transaction.atomic():
        updated = OutboxEmail.objects.filter(pk=email_id, status=OutboxEmail.Status.FAILED).update(
            status=OutboxEmail.Status.QUEUED, attempts=0, next_attempt_at=now
        )
        if updated:
            transaction.on_commit(partial(_enqueue_delivery, email_id), robust=True)
    return bool(updated)


def outbox_deliver_due(*, limit: int = FLUSH_BATCH) -> Counter[str]:
    """Deliver the queued rows whose time has come, oldest first, over one SMTP session.

    Stops early when the relay is unreachable: the rows not yet tried keep their attempts
    instead of each burning one on the same outage.
    """
    due = (
        OutboxEmail.objects.filter(
            status=OutboxEmail.Status.QUEUED, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts: Counter[str] = Counter()
    connection = mailers.default
    try:
        for email_id in list(due):
            outcome = email_deliver(email_id=email_id, connection=connection)
            counts[outcome] += 1
            if outcome == Outcome.UNREACHABLE:
                break
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return counts


def outbox_recover_stuck(*, older_than: timedelta = STUCK_AFTER) -> int:
    """Requeue rows left "sending" by a worker that died; fail those out of attempts.

    Such a row may or may not have reached the relay (see the module docstring): sending it
    again risks a duplicate with the same Message-ID, not sending it risks a lost message.
    """
    now = timezone.now()
    stuck = OutboxEmail.objects.filter(
        status=OutboxEmail.Status.SENDING, last_attempt_at__lt=now - older_than
    )
    max_attempts = settings.OUTBOX_MAX_ATTEMPTS
    failed = stuck.filter(attempts__gte=max_attempts).update(
        status=OutboxEmail.Status.FAILED,
        next_attempt_at=None,
        last_error=f"worker lost during send; gave up after {max_attempts} attempts",
    )
    requeued = stuck.update(
        status=OutboxEmail.Status.QUEUED, next_attempt_at=now, last_error="worker lost during send"
    )
    if failed or requeued:
        logger.warning("Outbox: recovered %d stuck e-mails, %d failed.", requeued, failed)
    return failed + requeued


def outbox_prune(*, now: datetime | None = None) -> int:
    """Delete sent and failed messages whose last attempt is older than RETENTION_DAYS.

    Queued and sending rows are kept whatever their age: they are still being delivered, and
    they end as sent or failed within hours (OUTBOX_MAX_ATTEMPTS with backoff).
    """
    cutoff = (now or timezone.now()) - timedelta(days=RETENTION_DAYS)
    deleted, _ = OutboxEmail.objects.filter(
        Q(status=OutboxEmail.Status.SENT, sent_at__lt=cutoff)
        | Q(status=OutboxEmail.Status.FAILED, last_attempt_at__lt=cutoff)
        | Q(status=OutboxEmail.Status.FAILED, last_attempt_at__isnull=True, created_at__lt=cutoff)
    ).delete()
    return deleted


# -- internals ----------------------------------------------------------------------------------


class _NothingAccepted(Exception):
    """The mail backend returned without accepting the message."""


class _RecipientErased(Exception):
    """The message can no longer be read: its person's data key was destroyed."""


def _message_id_domain() -> str:
    # The public site's host, not the machine's name (which make_msgid would otherwise reveal).
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _build_message(email: OutboxEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.text_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_address],
        headers={
            **email.headers,
            "Message-ID": email.message_id,
            # The origination date is when the message was written, the same on every retry.
            "Date": email.created_at,
        },
    )
    if email.html_body:
        message.attach_alternative(email.html_body, "text/html")
    return message


def _describe(exc: BaseException) -> tuple[bool, bool, str]:
    """(temporary?, relay unreachable?, description without personal data) for a failure."""
    name = type(exc).__name__
    if isinstance(exc, _RecipientErased):
        return False, False, "recipient erased (data key destroyed)"
    if isinstance(exc, _NothingAccepted):
        return False, False, "mail backend accepted nothing"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted(code for code, _ in exc.recipients.values())
        code = codes[0] if codes else 0
        return not 500 <= code < 600, False, f"SMTP {code} {name}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # The relay refuses our credentials: an operator's fix, not the message's fault.
        return True, True, f"SMTP {exc.smtp_code} {name}"
    if isinstance(exc, smtplib.SMTPConnectError):
        return True, True, f"SMTP {exc.smtp_code} {name}"
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        return not 500 <= code < 600, False, f"SMTP {code} {name}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        # The relay lacks STARTTLS or AUTH we are configured to use: a configuration problem.
        return True, True, name
    # SMTPServerDisconnected, refused connections, timeouts, DNS and TLS errors are OSErrors.
    if isinstance(exc, OSError):
        return True, True, name
    # Anything else (an address Python cannot encode, a bad header) fails again identically.
    return False, False, name


def _record_failure(email: OutboxEmail, exc: BaseException) -> Outcome:
    temporary, unreachable, description = _describe(exc)
    now = timezone.now()
    rows = OutboxEmail.objects.filter(pk=email.pk, status=OutboxEmail.Status.SENDING)
    if temporary and email.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        delay = min(
            timedelta(seconds=settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (email.attempts - 1)),
            MAX_BACKOFF,
        )
        next_attempt_at = now + delay
        rows.update(
            status=OutboxEmail.Status.QUEUED,
            next_attempt_at=next_attempt_at,
            last_error=description,
        )
        logger.info(
            "Outbox: e-mail %s attempt %d failed (%s), retry at %s.",
            email.pk,
            email.attempts,
            description,
            next_attempt_at.isoformat(),
        )
        _enqueue_delivery(email.pk, run_after=next_attempt_at)
        return Outcome.UNREACHABLE if unreachable else Outcome.RETRY
    if temporary:
        description = f"{description}; gave up after {email.attempts} attempts"
    rows.update(
        status=OutboxEmail.Status.FAILED, next_attempt_at=None, last_error=description[:200]
    )
    logger.warning("Outbox: e-mail %s failed permanently (%s).", email.pk, description)
    return Outcome.FAILED


def _enqueue_delivery(email_id: UUID | str, *, run_after: datetime | None = None) -> None:
    """Ask the task queue to deliver one row; the sweeper is the safety net if this fails."""
    task = outbox_deliver
    if run_after is not None and task.get_backend().supports_defer:
        task = task.using(run_after=run_after)
    try:
        task.enqueue(str(email_id))
    except Exception:
        # The row is committed and queued; outbox_flush will pick it up within a minute.
        logger.exception("Outbox: could not enqueue delivery of e-mail %s.", email_id)
