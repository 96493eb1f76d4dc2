"""Subscribers for staff (Marketing and the Administrator): lists with their counts, the
subscribers of a list, subscriptions on a written agreement, CSV import and export.

Rules:

- only ``SUBSCRIBER_ROLES`` act here (``PermissionDenied`` otherwise, also when a view forgot
  its decorator); every read of a person's address writes an audit entry naming the fields
  shown, never their values, in the read's transaction; counts per list are aggregates and are
  not audited;
- a subscription recorded by staff (written agreement, import) is CONFIRMED at once, with the
  evidence in the ledger (``newsletter.consent``, the same detail keys as the form's consent:
  list, source, policy, network — empty, staff is not the person's network);
- an address on the suppression list (the person unsubscribed, bounced or complained), or the
  address of an account that objected to marketing (cll.rights), is never subscribed by staff:
  a written agreement is refused with a message, an import skips it and counts it (with the
  suppressed ones);
- an import is validated as a whole before anything is written, then written in one
  transaction: a bad row imports nothing;
- a written agreement may come with its scanned document (``cll.core.uploads``: checked,
  scanned for malware, sealed with the subscriber's data key, purpose
  ``newsletter.agreement``), stored in the subscription's transaction: malware refuses the whole
  subscription; one document serves every list the agreement covers. Only
  ``AGREEMENT_ROLES`` download it (Marketing and the Administrator, who record agreements, and
  the Privacy officer, who answers for the evidence of consent), and every download writes an
  audit entry in its transaction. Documents no subscription refers to any more (their
  subscriptions were deleted by retention) are deleted by ``agreement_documents_unused_delete``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from cll.accounts.selectors import account_for_email
from cll.core.models import Upload
from cll.core.roles import Role, acting_role
from cll.core.uploads import upload_delete, upload_response, upload_store
from cll.lib.crypto import normalise
from cll.newsletter import services
from cll.newsletter.models import (
    MailingList,
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from cll.newsletter.unsubscribe import is_suppressed
from cll.policies.selectors import policy_version_current
from cll.privacy.services import audit_record
from cll.rights.selectors import processing_allowed

SUBSCRIBER_ROLES = (Role.MARKETING, Role.ADMINISTRATOR)
# Who may download a scanned written agreement (the evidence of a person's consent).
AGREEMENT_ROLES = (Role.MARKETING, Role.ADMINISTRATOR, Role.PRIVACY_OFFICER)
# The purpose of those uploads (cll.core.uploads): this module decides who downloads them.
AGREEMENT_PURPOSE = "newsletter.agreement"
SUBSCRIBERS_PER_PAGE = 50
# What the subscribers page shows of a person (named in its audit entries).
SUBSCRIBER_LIST_FIELDS = ("email", "language", "status", "source", "confirmed_at")
EXPORT_FIELDS = ("email", "language", "source", "confirmed_at", "policy_version")
# The columns of an import file, in any order (the export writes its own, see EXPORT_HEADER).
IMPORT_COLUMNS = ("email", "language", "lists", "consent_evidence")
EXPORT_HEADER = ("email", "language", "source", "confirmed_at", "policy_version")
# An import is a spreadsheet of people who agreed on paper or at an event, not a database dump.
IMPORT_MAX_BYTES = 2 * 1024 * 1024
IMPORT_MAX_ROWS = 10_000
# The evidence goes into the ledger's detail: a sentence, not a document.
EVIDENCE_MAX_LENGTH = 300
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x85]")
_ADDRESS_LIKE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")


class SubscriptionRefused(Exception):
    """A staff subscription that must not be made; ``str()`` is the translated reason."""


def _require(staff) -> str:
    """The role ``staff`` acts in (for the audit entry); refuses anyone else."""
    role = acting_role(staff, *SUBSCRIBER_ROLES)
    if not role:
        raise PermissionDenied
    return role


def address_normalise(email: str) -> str:
    """The form two spellings of one address share (the blind index's: NFKC, casefolded,
    stripped): duplicates in an import are found on it."""
    return normalise(email)


def subscriber_find(*, email: str) -> Subscriber | None:
    """The subscriber of ``email``, found by its blind index (never by decrypting)."""
    return Subscriber.objects.filter(email_index=services.email_index(email)).first()


def _objected(email: str) -> bool:
    """Whether the account of ``email`` objected to marketing (or restricted its processing):
    staff's evidence does not overrule what the person asked on their privacy page."""
    account = account_for_email(email)
    return account is not None and not processing_allowed(
        subject=account.public_id, purpose=services.MARKETING
    )


def _subscriber_for(*, email: str, language: str) -> Subscriber:
    """Inside the caller's transaction: the subscriber of ``email``, created when the address
    is new (in ``language``; an existing subscriber keeps theirs), linked to the account of
    that address as the subscription form does (the account's export and erasure find it)."""
    return services.subscriber_get_or_create(
        email=email, language=language, account=account_for_email(email)
    )


# -- Reads ------------------------------------------------------------------------------------


def mailing_list_list_for(*, staff) -> QuerySet[MailingList]:
    """Every list with its number of subscribers per status (aggregates, not audited)."""
    _require(staff)
    return MailingList.objects.annotate(
        confirmed_count=Count(
            "subscriptions", filter=Q(subscriptions__status=SubscriptionStatus.CONFIRMED)
        ),
        pending_count=Count(
            "subscriptions", filter=Q(subscriptions__status=SubscriptionStatus.PENDING)
        ),
        unsubscribed_count=Count(
            "subscriptions", filter=Q(subscriptions__status=SubscriptionStatus.UNSUBSCRIBED)
        ),
    )


def mailing_list_get_for(*, staff, slug: str) -> MailingList | None:
    _require(staff)
    return MailingList.objects.filter(slug=slug).first()


def subscription_page_for(
    *, staff, mailing_list: MailingList, page: int | str | None, email: str = "", route: str = ""
) -> Page:
    """A page of the list's subscriptions, the newest first, with the addresses decrypted;
    ``email`` narrows it to that exact address (blind index: no scan, no partial match). One
    audit entry per person shown, in the read's transaction."""
    role = _require(staff)
    subscriptions = (
        Subscription.objects.filter(mailing_list=mailing_list)
        .select_related("subscriber", "agreement_document")
        .order_by("-created_at", "-id")
    )
    if email:
        subscriptions = subscriptions.filter(subscriber__email_index=services.email_index(email))
    result = Paginator(subscriptions, SUBSCRIBERS_PER_PAGE).get_page(page)
    with transaction.atomic():
        for subscription in result:
            audit_record(
                actor=staff,
                role=role,
                subject=subscription.subscriber.public_id,
                action="newsletter.subscriber.read",
                target=subscription.subscriber,
                fields=SUBSCRIBER_LIST_FIELDS,
                route=route,
                detail={"list": mailing_list.slug},
            )
    return result


# -- Written agreements -----------------------------------------------------------------------


def _consent_record(
    *, staff, role: str, subscription: Subscription, policy: str, extra: dict, route: str
) -> None:
    audit_record(
        actor=staff,
        role=role,
        route=route,
        subject=subscription.subscriber.public_id,
        action="newsletter.consent",
        target=subscription.subscriber,
        fields=("status", "source", "confirmed_at", "policy_version"),
        detail={
            "list": subscription.mailing_list.slug,
            "source": subscription.source,
            "policy": policy,
            "network": "",
            **extra,
        },
    )


def _confirm(
    *,
    subscriber: Subscriber,
    mailing_list: MailingList,
    source: str,
    staff,
    now: dt.datetime,
    policy: str,
    agreement_date: dt.date | None = None,
    agreement_reference: str = "",
) -> Subscription | None:
    """Confirm ``subscriber`` on ``mailing_list`` from staff's evidence; None when it already
    was (its evidence stays the original one) or when the person left the list."""
    subscription = (
        Subscription.objects.select_for_update()
        .filter(subscriber=subscriber, mailing_list=mailing_list)
        .first()
    )
    if subscription is not None and subscription.status != SubscriptionStatus.PENDING:
        return None
    if subscription is None:
        subscription = Subscription(subscriber=subscriber, mailing_list=mailing_list)
    subscription.status = SubscriptionStatus.CONFIRMED
    subscription.source = source
    subscription.confirmed_at = now
    subscription.policy_version = policy
    subscription.confirm_network = ""
    # A pending double opt-in link is spent: the address is confirmed another way.
    subscription.token_hash = ""
    subscription.token_expires_at = None
    subscription.agreement_date = agreement_date
    subscription.agreement_reference = agreement_reference
    subscription.recorded_by = staff
    subscription.save()
    return subscription


def subscription_record_written(
    *,
    staff,
    email: str,
    mailing_lists: Iterable[MailingList],
    language: str,
    agreement_date: dt.date,
    agreement_reference: str,
    document=None,
    route: str = "",
) -> list[Subscription]:
    """Subscribe ``email`` to ``mailing_lists`` on a written agreement: CONFIRMED at once with
    source WRITTEN, the agreement's date and reference (the database refuses a written
    subscription without them) and who recorded it, and one consent entry per list.

    ``document`` (an uploaded file, optional): the scanned agreement, stored with
    ``upload_store`` as the subscriber's and linked to every subscription made (not stored when
    none is made). Raises ``UploadRejected`` when it is refused (malware...): nothing is
    written then either.

    Raises ``SubscriptionRefused`` when the address is suppressed for one of the lists (the
    person said no: a paper form does not overrule an unsubscription); nothing is written then.
    Returns the subscriptions made (a list the address already was on is left as it was).
    """
    role = _require(staff)
    mailing_lists = list(mailing_lists)
    if not agreement_reference.strip() or agreement_date is None:
        raise SubscriptionRefused(_("The date and the reference of the agreement are required."))
    for mailing_list in mailing_lists:
        if is_suppressed(email=email, mailing_list=mailing_list):
            raise SubscriptionRefused(
                _(
                    "This address unsubscribed, bounced or complained: it cannot be subscribed "
                    "again by staff. The person can subscribe again on the site themselves."
                )
            )
    if _objected(email):
        raise SubscriptionRefused(
            _(
                "This person objected to marketing messages or restricted the processing of "
                "their data: they cannot be subscribed by staff."
            )
        )
    now = timezone.now()
    policy = policy_version_current()
    made = []
    with transaction.atomic():
        subscriber = _subscriber_for(email=email, language=language)
        for mailing_list in mailing_lists:
            subscription = _confirm(
                subscriber=subscriber,
                mailing_list=mailing_list,
                source=Source.WRITTEN,
                staff=staff,
                now=now,
                policy=policy,
                agreement_date=agreement_date,
                agreement_reference=agreement_reference.strip(),
            )
            if subscription is not None:
                made.append(subscription)
        extra = {"agreement_date": agreement_date.isoformat()}
        if made and document is not None:
            upload = upload_store(
                file=document, subject=subscriber.public_id, purpose=AGREEMENT_PURPOSE
            )
            Subscription.objects.filter(pk__in=[row.pk for row in made]).update(
                agreement_document=upload
            )
            for subscription in made:
                subscription.agreement_document = upload
            extra["agreement_document"] = upload.public_id
        for subscription in made:
            _consent_record(
                staff=staff,
                role=role,
                subscription=subscription,
                policy=policy,
                extra=extra,
                route=route,
            )
    return made


def agreement_document_download(*, staff, public_id, route: str = "") -> HttpResponse:
    """The scanned written agreement ``public_id`` as a download (``upload_response``: an
    attachment, never rendered), for ``AGREEMENT_ROLES`` only, with an audit entry
    (``newsletter.agreement.read``) in the read's transaction.

    ``Http404`` for an upload that is not a written agreement of a subscription (an id of
    another app's file proves nothing here), and while it is quarantined (not scanned clean).
    """
    role = acting_role(staff, *AGREEMENT_ROLES)
    if not role:
        raise PermissionDenied
    upload = (
        Upload.objects.filter(public_id=public_id, purpose=AGREEMENT_PURPOSE)
        .filter(Exists(Subscription.objects.filter(agreement_document=OuterRef("pk"))))
        .first()
    )
    if upload is None:
        raise Http404
    with transaction.atomic():
        response = upload_response(upload=upload)
        audit_record(
            actor=staff,
            role=role,
            subject=upload.subject,
            action="newsletter.agreement.read",
            target=upload,
            fields=("agreement_document",),
            route=route,
        )
    return response


def agreement_documents_unused_delete() -> int:
    """Delete the scanned agreements no subscription refers to any more (retention deleted
    their subscriptions; an erasure deletes the uploads themselves): a file is kept as long as
    what it is attached to. Returns how many went."""
    unused = Upload.objects.filter(purpose=AGREEMENT_PURPOSE).exclude(
        Exists(Subscription.objects.filter(agreement_document=OuterRef("pk")))
    )
    count = 0
    for upload in unused.only("pk", "storage_name"):
        upload_delete(upload=upload)
        count += 1
    return count


# -- Import -----------------------------------------------------------------------------------


@dataclass
class ImportRow:
    line: int
    email: str
    language: str
    lists: list[MailingList]
    evidence: str


@dataclass
class ImportReport:
    """What an import did, or why it did nothing: ``errors`` (line, translated message; line 0
    for the file as a whole). Empty ``errors``: the counts say what was written."""

    errors: list[tuple[int, str]] = field(default_factory=list)
    rows: int = 0
    subscribed: int = 0
    already: int = 0
    suppressed: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _import_read(data: bytes, report: ImportReport) -> list[dict[str, str]] | None:
    """The file's rows keyed by column, or None with the file's error in ``report``."""
    if len(data) > IMPORT_MAX_BYTES:
        report.errors.append(
            (0, _("The file is larger than %(size)s MB.") % {"size": IMPORT_MAX_BYTES // 2**20})
        )
        return None
    try:
        # "utf-8-sig": a byte-order mark (spreadsheets write one) is dropped, not read as text.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append(
            (0, _("The file is not in UTF-8. Save it as “CSV UTF-8” and try again."))
        )
        return None
    if "\x00" in text:
        report.errors.append((0, _("The file is not a CSV text file.")))
        return None
    # newline="": the csv reader sees quoted line breaks (refused per field below).
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        report.errors.append((0, _("The file is empty.")))
        return None
    except csv.Error:
        report.errors.append((0, _("The file is not a readable CSV file.")))
        return None
    columns = [name.strip().lower() for name in header]
    if sorted(columns) != sorted(IMPORT_COLUMNS):
        report.errors.append(
            (
                0,
                _("The columns must be exactly: %(expected)s (found: %(found)s).")
                % {"expected": ", ".join(IMPORT_COLUMNS), "found": ", ".join(columns) or "—"},
            )
        )
        return None
    rows = []
    try:
        while True:
            # The line a record starts on (a quoted field may span several): the report's.
            start = reader.line_num + 1
            values = next(reader, None)
            if values is None:
                break
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= IMPORT_MAX_ROWS:
                report.errors.append(
                    (0, _("The file has more than %(count)s rows.") % {"count": IMPORT_MAX_ROWS})
                )
                return None
            if len(values) != len(columns):
                rows.append({"__line__": start, "__width__": len(values)})
                continue
            rows.append({"__line__": start, **dict(zip(columns, values, strict=True))})
    except csv.Error:
        report.errors.append(
            (reader.line_num, _("This line is not valid CSV (check the quotation marks)."))
        )
        return None
    return rows


def _import_validate(rows: list[dict], report: ImportReport) -> list[ImportRow]:
    lists = {mailing_list.slug: mailing_list for mailing_list in MailingList.objects.all()}
    languages = {code for code, _name in settings.LANGUAGES}
    seen: dict[str, int] = {}
    valid = []
    for row in rows:
        line = row["__line__"]
        if "__width__" in row:
            report.errors.append(
                (
                    line,
                    _("This row has %(found)s fields instead of %(expected)s.")
                    % {"found": row["__width__"], "expected": len(IMPORT_COLUMNS)},
                )
            )
            continue
        problems = []
        if any(_LINE_BREAK.search(row[name]) for name in IMPORT_COLUMNS):
            problems.append(_("A field contains a line break."))
        email = address_normalise(row["email"])
        try:
            validate_email(email)
            if len(email) > 254:
                raise ValidationError("too long")
        except ValidationError:
            problems.append(_("The e-mail address is not valid."))
        else:
            if email in seen:
                problems.append(
                    _("The e-mail address is already on line %(line)s.") % {"line": seen[email]}
                )
            else:
                seen[email] = line
        language = row["language"].strip().lower()
        if language not in languages:
            problems.append(
                _("Unknown language “%(language)s” (expected one of: %(codes)s).")
                % {"language": language, "codes": ", ".join(sorted(languages))}
            )
        slugs = [slug.strip() for slug in row["lists"].split("|") if slug.strip()]
        if not slugs:
            problems.append(_("No list is given."))
        unknown = [slug for slug in slugs if slug not in lists]
        if unknown:
            problems.append(_("Unknown list: %(slugs)s.") % {"slugs": ", ".join(unknown)})
        evidence = row["consent_evidence"].strip()
        if not evidence:
            problems.append(_("The consent evidence is missing (how and when the person agreed)."))
        elif len(evidence) > EVIDENCE_MAX_LENGTH:
            problems.append(
                _("The consent evidence is longer than %(count)s characters.")
                % {"count": EVIDENCE_MAX_LENGTH}
            )
        elif _ADDRESS_LIKE.search(evidence):
            # It goes into the ledger, which never holds an address.
            problems.append(_("The consent evidence must not contain an e-mail address."))
        if problems:
            report.errors.extend((line, problem) for problem in problems)
            continue
        valid.append(
            ImportRow(
                line=line,
                email=email,
                language=language,
                lists=[lists[slug] for slug in dict.fromkeys(slugs)],
                evidence=evidence,
            )
        )
    return valid


def subscriber_import(*, staff, data: bytes, route: str = "") -> ImportReport:
    """Import subscribers from a CSV file (UTF-8, with or without a byte-order mark; columns
    ``IMPORT_COLUMNS``; lists as slugs separated by "|").

    Every row is checked first; one bad row (malformed or repeated address, unknown language or
    list, missing evidence, a line break in a field, a row of the wrong width) and nothing is
    imported: the report names each problem by line. Otherwise, in one transaction: each
    address is CONFIRMED on its lists with source IMPORT and a consent entry carrying the
    evidence text; a suppressed address is skipped (counted), a list the address already is
    on is left as it was (counted). One more entry records the import itself (counts only).
    """
    role = _require(staff)
    report = ImportReport()
    rows = _import_read(data, report)
    if rows is None:
        return report
    valid = _import_validate(rows, report)
    if report.errors:
        return report
    report.rows = len(valid)
    now = timezone.now()
    policy = policy_version_current()
    with transaction.atomic():
        for row in valid:
            wanted = [
                mailing_list
                for mailing_list in row.lists
                if not is_suppressed(email=row.email, mailing_list=mailing_list)
            ]
            if not wanted or _objected(row.email):
                report.suppressed += 1
                continue
            subscriber = _subscriber_for(email=row.email, language=row.language)
            for mailing_list in wanted:
                subscription = _confirm(
                    subscriber=subscriber,
                    mailing_list=mailing_list,
                    source=Source.IMPORT,
                    staff=staff,
                    now=now,
                    policy=policy,
                )
                if subscription is None:
                    report.already += 1
                    continue
                _consent_record(
                    staff=staff,
                    role=role,
                    subscription=subscription,
                    policy=policy,
                    extra={"evidence": row.evidence},
                    route=route,
                )
                report.subscribed += 1
        audit_record(
            actor=staff,
            role=role,
            action="newsletter.import",
            route=route,
            detail={
                "rows": report.rows,
                "subscribed": report.subscribed,
                "already": report.already,
                "suppressed": report.suppressed,
            },
        )
    return report


# -- Export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRow:
    email: str
    language: str
    source: str
    confirmed_at: dt.datetime | None
    policy_version: str


def subscription_export_for(
    *, staff, mailing_list: MailingList, route: str = ""
) -> Iterator[ExportRow]:
    """The confirmed subscribers of ``mailing_list``, read in chunks as they are written out
    (memory stays bounded). One audit entry for the export, with the list and the count,
    written before the first row leaves."""
    role = _require(staff)
    subscriptions = (
        Subscription.objects.filter(mailing_list=mailing_list, status=SubscriptionStatus.CONFIRMED)
        .select_related("subscriber")
        .order_by("id")
    )
    with transaction.atomic():
        audit_record(
            actor=staff,
            role=role,
            action="newsletter.export",
            target=f"newsletter.MailingList:{mailing_list.slug}",
            fields=EXPORT_FIELDS,
            route=route,
            detail={"list": mailing_list.slug, "count": subscriptions.count()},
        )
    return (
        ExportRow(
            email=subscription.subscriber.email,
            language=subscription.subscriber.language,
            source=subscription.source,
            confirmed_at=subscription.confirmed_at,
            policy_version=subscription.policy_version,
        )
        for subscription in subscriptions.iterator(chunk_size=500)
    )
