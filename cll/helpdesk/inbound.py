"""Answers by e-mail threaded into their ticket (``manage.py helpdesk_mailbox``).

Rules
-----
- **Which ticket.** The reply address ``support+<reply_key>@…`` (``HELPDESK_REPLY_ADDRESS``,
  set as Reply-To on every e-mail about a ticket) in To/Cc/Delivered-To, else the reference
  ``[CLL-XXXXXXXX]`` in the subject.
- **Whose mail.** The sender (From) must be the ticket's address, compared through its blind
  index: knowing a reference (it is printed on paper, quoted on the phone) is not enough to
  write into someone's ticket. Anything else is *ignored*, logged with a reason and never an
  address, a subject or a reference, and moved to the "ignored" folder for a person to check.
- **What is kept.** Plain text only: the text part, or the HTML part turned into text (scripts,
  styles and markup dropped, entities decoded): no HTML from a mail is ever stored or shown.
  Quoted history ("On … wrote:", "> …", "-----Original Message-----", a forwarded header
  block) and the signature (after "-- ") are cut; the kept text is capped at the message size.
  Attachments go through ``upload_store`` (type checked, scanned); a refused file (malware, a
  forbidden type) drops the files, not the answer, and is logged.
- **Once.** The Message-ID (or, without one, a hash of the raw mail) is stored on the message:
  the same mail processed twice adds one message (a crash between the copy and the removal of
  the mail, or the same mail delivered twice).
- **Closed tickets.** An answer to a closed ticket opens a new ticket (same person, topic and
  language) instead of being lost.
- **No loops.** Automatic mail (``Auto-Submitted``, ``Precedence: bulk/junk/list``, vacation
  notices) is ignored, so two auto-responders never talk to each other through the helpdesk.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cll.core.encryption import blind_index
from cll.helpdesk.models import EMAIL_INDEX_PURPOSE, Channel, Ticket, TicketMessage
from cll.helpdesk.services import REFERENCE_RE, ticket_open, ticket_reply_by_requester

logger = logging.getLogger(__name__)

# Outcomes (counted by the command) and the folder each message moves to (None: stays).
ADDED = "added"
REOPENED_AS_NEW = "new_ticket"
DUPLICATE = "duplicate"
IGNORED = "ignored"
FOLDERS = {ADDED: "processed", REOPENED_AS_NEW: "processed", DUPLICATE: "processed"}
IGNORED_FOLDER = "ignored"

MAX_BODY_CHARS = TicketMessage._meta.get_field("body").max_length or 20000
MAX_ATTACHMENTS = 10

# Lines where quoted history starts (English, French, Dutch clients; Outlook; forwards).
_QUOTE_HEADERS = [
    re.compile(r"^\s*On .{3,200} wrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le .{3,200} a écrit\s?:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Op .{3,200} (schreef|geschreven)\s?.{0,80}:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*(Original Message|Message d'origine|Oorspronkelijk bericht)", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*(From|De|Van)\s?:\s.+$", re.IGNORECASE),
]
# The signature separator (RFC 3676: "-- "), and a bare "--" line many clients write.
_SIGNATURE = re.compile(r"^--\s?$")
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


@dataclass(frozen=True)
class InboundResult:
    outcome: str
    folder: str | None
    message: TicketMessage | None = None


# -- Text -----------------------------------------------------------------------------------------


class _TextFromHtml(HTMLParser):
    """Text of an HTML body: script, style and head content dropped, blocks as line breaks."""

    _SKIPPED = {"script", "style", "head", "title", "template", "noscript"}
    _BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quoting = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIPPED:
            self.skipping += 1
        elif tag == "blockquote":
            # Quoted history in HTML mail (Gmail, Apple Mail): not the person's new text.
            self.quoting += 1
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIPPED and self.skipping:
            self.skipping -= 1
        elif tag == "blockquote" and self.quoting:
            self.quoting -= 1
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping and not self.quoting:
            self.parts.append(data)

    def text(self) -> str:
        return re.sub(r"\n{3,}", "\n\n", "".join(self.parts))


def text_from_html(html: str) -> str:
    """Plain text of an HTML mail body (nothing of its markup survives)."""
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    # convert_charrefs decoded the entities (once): "&lt;b&gt;" stays the text "<b>", stored
    # and shown as text, never as markup.
    return parser.text()


def reply_text(text: str) -> str:
    """The new part of a reply: quoted history and the signature cut, whitespace tidied."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _SIGNATURE.match(line) or any(pattern.match(line) for pattern in _QUOTE_HEADERS):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    body = "\n".join(kept).strip()
    body = re.sub(r"\n{3,}", "\n\n", body)
    return body[:MAX_BODY_CHARS]


def _body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        content = part.get_payload(decode=True).decode("utf-8", "replace")
    if part.get_content_type() == "text/html":
        content = text_from_html(content)
    return reply_text(content)


def _files_of(message: EmailMessage) -> list[SimpleUploadedFile]:
    files = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if not payload:
            continue
        files.append(SimpleUploadedFile(part.get_filename() or "attachment", payload))
        if len(files) == MAX_ATTACHMENTS:
            break
    return files


# -- Matching -------------------------------------------------------------------------------------


def _reply_key(message: EmailMessage) -> str | None:
    """The ``<reply_key>`` of a ``support+<reply_key>@domain`` recipient, if any."""
    address = settings.HELPDESK_REPLY_ADDRESS
    if not address or "@" not in address:
        return None
    local, domain = address.lower().rsplit("@", 1)
    pattern = re.compile(rf"^{re.escape(local)}\+([0-9a-f]{{32}})@{re.escape(domain)}$")
    headers = []
    for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To"):
        headers += [str(value) for value in message.get_all(name, [])]
    for _name, recipient in getaddresses(headers):
        found = pattern.match(recipient.strip().lower())
        if found:
            return found.group(1)
    return None


def _ticket_for(message: EmailMessage, sender_index: str) -> Ticket | None:
    key = _reply_key(message)
    tickets = Ticket.objects.filter(email_index=sender_index)
    if key is not None:
        return tickets.filter(reply_key=key).first()
    found = REFERENCE_RE.search(str(message.get("Subject", "")))
    if found is None:
        return None
    return tickets.filter(reference=found.group(1).upper()).first()


def _automatic(message: EmailMessage) -> bool:
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        submitted != "no"
        or precedence in _AUTO_PRECEDENCE
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
    )


def _message_id(message: EmailMessage, raw: bytes) -> str:
    value = str(message.get("Message-ID", "")).strip()
    if value and len(value) <= 255 and "\n" not in value:
        return value
    # No usable Message-ID: the same raw mail still maps to one id.
    return f"<{hashlib.sha256(raw).hexdigest()}@inbound.invalid>"


def _ignored(reason: str) -> InboundResult:
    # No address, subject or reference: the log is not a place for personal data.
    logger.info("Inbound helpdesk mail ignored: %s.", reason)
    return InboundResult(IGNORED, IGNORED_FOLDER)


# -- Applying -------------------------------------------------------------------------------------


def mail_ticket_apply(*, raw: bytes) -> InboundResult:
    """Thread one raw inbound mail into its ticket (see the module rules)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if _automatic(message):
        return _ignored("automatic mail")
    sender = parseaddr(str(message.get("From", "")))[1].strip().lower()
    if "@" not in sender:
        return _ignored("no sender address")
    ticket = _ticket_for(message, blind_index(sender, purpose=EMAIL_INDEX_PURPOSE))
    if ticket is None:
        return _ignored("no ticket of this sender matches the recipient or the subject")
    message_id = _message_id(message, raw)
    known = TicketMessage.objects.filter(
        email_message_id=message_id, ticket__email_index=ticket.email_index
    ).first()
    if known is not None:
        return InboundResult(DUPLICATE, FOLDERS[DUPLICATE], known)
    body, files = _body_of(message), _files_of(message)
    if not body and not files:
        return _ignored("empty answer")
    try:
        return _thread(ticket, body=body, files=files, message_id=message_id)
    except ValidationError:
        if not files:
            return _ignored("answer refused")
    # A refused file (malware, a type not accepted): keep the answer without the files.
    logger.warning("Inbound helpdesk mail: attachments refused, the answer kept without them.")
    try:
        return _thread(ticket, body=body, files=[], message_id=message_id)
    except ValidationError:
        return _ignored("answer refused")


def _thread(ticket: Ticket, *, body: str, files: list, message_id: str) -> InboundResult:
    try:
        added = ticket_reply_by_requester(
            ticket=ticket,
            body=body,
            channel=Channel.EMAIL,
            files=files,
            email_message_id=message_id,
        )
    except ValidationError as error:
        if getattr(error, "code", None) != "closed":
            raise
        opened = ticket_open(
            name=ticket.name,
            email=ticket.email,
            subject=ticket.subject,
            body=body,
            topic=ticket.topic,
            language=ticket.language,
            channel=Channel.EMAIL,
            account=ticket.account,
            session=ticket.session,
            files=files,
            email_message_id=message_id,
        )
        first = opened.ticket.messages.order_by("created_at", "id").first()
        return InboundResult(REOPENED_AS_NEW, FOLDERS[REOPENED_AS_NEW], first)
    return InboundResult(ADDED, FOLDERS[ADDED], added)
