"""Bounces, complaints and unsubscribe e-mails: what the mail provider and the mailbox tell us.

Rules:

- a permanent bounce (the address does not exist: SMTP status 5.x.x) or a complaint (the
  person marked a campaign as spam) takes the address off every list at once and puts it on
  the suppression list of every list (``cll.newsletter.unsubscribe``: reason bounced or
  complained), with the evidence in the ledger; an address we never had is suppressed too
  (a later import or written agreement of it is then refused);
- a soft bounce (4.x.x: mailbox full, greylisting) changes nothing: the sender retries, and
  the caller counts it;
- an e-mail to the List-Unsubscribe mailto with the subject ``unsubscribe-<key>`` takes its
  subscriber off every list (the mailto names no list);
- applying the same notice twice changes nothing more (the suppression is idempotent).

The ledger gets ``newsletter.bounce`` with where the notice came from, its kind and the SMTP
status: never the address.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from cll.newsletter import unsubscribe
from cll.newsletter.models import SuppressionReason
from cll.newsletter.subscribers import subscriber_find
from cll.privacy.services import audit_record

BOUNCE = "bounce"
COMPLAINT = "complaint"
KINDS = frozenset({BOUNCE, COMPLAINT})
# Where a notice came from (the ledger's ``channel``).
CHANNEL_WEBHOOK = "webhook"
CHANNEL_MAILBOX = "mailbox"

# What a notice did (returned, counted by the webhook's answer and the command).
SUPPRESSED = "suppressed"
SOFT = "soft"
UNSUBSCRIBED = "unsubscribed"
IGNORED = "ignored"

_STATUS = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})")
_UNSUBSCRIBE_SUBJECT = re.compile(r"^\s*unsubscribe-([A-Za-z0-9_-]{16,64})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Notice:
    """One bounce or complaint about one address."""

    kind: str
    email: str
    permanent: bool
    status: str = ""


def _valid_address(value: str) -> str:
    address = (value or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address


def notice_apply(*, notice: Notice, channel: str) -> str:
    """Apply a bounce or complaint (see the module's rules); returns SUPPRESSED, SOFT or
    IGNORED (no valid address)."""
    if notice.kind not in KINDS:
        raise ValueError(f"Unknown notice kind {notice.kind!r}.")
    address = _valid_address(notice.email)
    if not address:
        return IGNORED
    if notice.kind == BOUNCE and not notice.permanent:
        return SOFT
    how = unsubscribe.HOW_COMPLAINT if notice.kind == COMPLAINT else unsubscribe.HOW_BOUNCE
    reason = SuppressionReason.COMPLAINED if notice.kind == COMPLAINT else SuppressionReason.BOUNCED
    with transaction.atomic():
        subscriber = subscriber_find(email=address)
        if subscriber is not None:
            unsubscribe.unsubscribe(subscriber=subscriber, mailing_list=None, how=how)
        else:
            unsubscribe.suppress(email=address, mailing_list=None, reason=reason)
        audit_record(
            action="newsletter.bounce",
            subject=subscriber.public_id if subscriber is not None else None,
            detail={
                "channel": channel,
                "kind": notice.kind,
                "permanent": notice.permanent,
                "status": notice.status[:16],
            },
        )
    return SUPPRESSED


def unsubscribe_request_apply(*, key: str) -> str:
    """An unsubscribe e-mail (List-Unsubscribe mailto) for the subscriber of ``key``: off every
    list. Returns UNSUBSCRIBED, or IGNORED for an unknown key."""
    subscriber = unsubscribe.subscriber_get_by_unsubscribe_key(key=key)
    if subscriber is None:
        return IGNORED
    unsubscribe.unsubscribe(subscriber=subscriber, mailing_list=None, how=unsubscribe.HOW_MAILTO)
    return UNSUBSCRIBED


# -- Reading mail -----------------------------------------------------------------------------


def _report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return (message.get_param("report-type") or "").lower()


def _parts(message: Message, content_type: str) -> list[Message]:
    return [part for part in message.walk() if part.get_content_type() == content_type]


def _fields(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status or message/feedback-report part (the
    parser gives the first as a list of messages, the second as text in some mailers)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    if isinstance(payload, str):
        text = payload.strip().replace("\r\n", "\n")
        return [email.message_from_string(block) for block in text.split("\n\n") if block]
    return []


def _typed_address(value: str | None) -> str:
    """``rfc822; alice@example.org`` → the address."""
    if not value:
        return ""
    _kind, _sep, address = str(value).partition(";")
    return _valid_address(parseaddr(address.strip() or str(value))[1])


def _dsn_notices(message: Message) -> list[Notice]:
    notices = []
    for part in _parts(message, "message/delivery-status"):
        # The first block is about the message, the others one per recipient.
        for block in _fields(part)[1:] or _fields(part):
            address = _typed_address(block.get("Final-Recipient")) or _typed_address(
                block.get("Original-Recipient")
            )
            match = _STATUS.match(str(block.get("Status", "")))
            action = str(block.get("Action", "")).strip().lower()
            if not address or (match is None and action != "failed"):
                continue
            status = match.group(0).strip() if match else ""
            permanent = match.group(1) == "5" if match else action == "failed"
            if action in {"delivered", "relayed", "expanded"}:
                continue
            notices.append(Notice(BOUNCE, address, permanent, status))
    return notices


def _arf_notices(message: Message) -> list[Notice]:
    notices = []
    for part in _parts(message, "message/feedback-report"):
        for block in _fields(part):
            address = _valid_address(parseaddr(str(block.get("Original-Rcpt-To", "")))[1])
            if address:
                notices.append(Notice(COMPLAINT, address, True))
    if notices:
        return notices
    # Without Original-Rcpt-To: the recipient of the original message (third part).
    for content_type in ("message/rfc822", "text/rfc822-headers"):
        for part in _parts(message, content_type):
            payload = part.get_payload()
            original = (
                payload[0]
                if isinstance(payload, list) and payload
                else email.message_from_string(str(payload))
            )
            address = _valid_address(parseaddr(str(original.get("To", "")))[1])
            if address:
                return [Notice(COMPLAINT, address, True)]
    return []


@dataclass(frozen=True)
class MailResult:
    """What one e-mail of the mailbox was and what it did (outcomes: one per notice)."""

    recognised: bool
    outcomes: tuple[str, ...] = ()


def mail_message_apply(*, raw: bytes) -> MailResult:
    """Read one e-mail of the bounce/unsubscribe mailbox and apply it: an RFC 3464 delivery
    status notification, an ARF complaint (RFC 5965) or an unsubscribe request. Anything else
    is not recognised (left where it is for a person to read)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    report_type = _report_type(message)
    if report_type == "delivery-status":
        notices = _dsn_notices(message)
    elif report_type == "feedback-report":
        notices = _arf_notices(message)
    else:
        match = _UNSUBSCRIBE_SUBJECT.match(str(message.get("Subject", "")))
        if match is None:
            return MailResult(recognised=False)
        return MailResult(True, (unsubscribe_request_apply(key=match.group(1)),))
    if not notices:
        return MailResult(recognised=False)
    return MailResult(
        True, tuple(notice_apply(notice=notice, channel=CHANNEL_MAILBOX) for notice in notices)
    )
