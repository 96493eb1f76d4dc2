"""Uploaded files: checked, scanned by ClamAV, sealed, stored outside the web root, served as
downloads only (see ``cll.core.models.Upload``).

INTERFACE (signatures are fixed, other apps code against them):

- ``UploadField`` / ``MultipleUploadField(max_files=...)``: form fields that check size
  (``settings.UPLOAD_MAX_BYTES``) and the type *detected from the content* (allowed: PDF, PNG,
  JPEG, GIF, WebP, plain text, OpenDocument and Office documents), with translated messages.
  ``cleaned_data`` holds ``UploadedFile`` objects (a list for the multiple field).
- ``upload_store(*, file, subject, purpose) -> Upload``: scans through clamd; an infected file
  raises ``UploadRejected`` (a ``ValidationError`` with a translated message; logged; nothing
  stored); scanner unreachable or not configured: stored ``PENDING`` (quarantined, never
  served); clean: stored ``CLEAN``. Call it inside the caller's ``transaction.atomic()``.
- ``upload_response(*, upload) -> HttpResponse``: the decrypted bytes as an attachment with
  ``nosniff`` and a sandboxing CSP; ``Http404`` unless ``CLEAN``. The caller checks access.
- ``upload_delete(*, upload) -> None``; ``uploads_scan_pending() -> int`` (periodic rescan).
- ``scanner_available() -> bool`` (staff pages say when uploads stay quarantined).

Rules, and why:

- The type is read from the bytes, never from the name or the browser: PDF, PNG, JPEG, GIF and
  WebP by their signatures; OpenDocument (text, spreadsheet, presentation) and Office Open XML
  (docx, xlsx, pptx) by the entries of their ZIP container, without macros (an ODF ``Basic/``
  or ``Scripts/`` entry, an OOXML ``vbaProject.bin``); plain text is valid UTF-8 without NUL
  bytes that neither starts like a script (``#!``) nor carries markup a browser would run
  (HTML, SVG, XML). Everything else is refused: executables, scripts, HTML and SVG (script
  carriers), other archives (they hide what they hold), legacy OLE Office files (macros).
- Every file goes through clamd (INSTREAM) before it is accepted. Infected: refused, logged
  with the signature, size, sha256 and purpose only (never the file's name nor whose it is),
  nothing stored. Scanner down or not configured (``CLL_CLAMD_URL`` empty): stored
  quarantined (``PENDING``) and never served; ``uploads_scan_pending`` (every ten minutes,
  ``cll.core.upload_tasks``, or ``manage.py uploads_scan``) scans them again once clamd
  answers: fail closed.
- The bytes are sealed (AES-256-GCM) with the data key of the person they belong to, with the
  storage name as associated data, in ``CLL_UPLOAD_DIR/<random name>`` (file 0600, directory
  0700): erasing the person makes every copy unreadable, backups included, and a file moved
  onto another's name does not open.
- The file is written before the row, in the caller's transaction: if it rolls back (or the
  savepoint the row was saved in does), the file is removed at once. A process that dies in
  between leaves a file without a row, which ``uploads_orphans_remove`` deletes a day later
  (daily), with the files of rows deleted by erasure and retention.
- Served only ``CLEAN``, as an attachment with a name whose extension matches the detected
  type, the detected type, ``nosniff``, ``Content-Security-Policy: sandbox; default-src
  'none'`` and ``no-store``: the browser never renders it as a page of the site.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import os
import re
import secrets
import time
import unicodedata
import uuid
import weakref
import zipfile
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import puremagic
from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cll.core.encryption import DecryptionError, decrypt_bytes, encrypt_bytes
from cll.core.models import Upload

logger = logging.getLogger(__name__)

__all__ = [
    "MultipleUploadField",
    "UploadField",
    "UploadRejected",
    "scanner_available",
    "scanner_status_forget",
    "upload_delete",
    "upload_response",
    "upload_store",
    "uploads_orphans_remove",
    "uploads_scan_pending",
]

# How long the scanner's availability (a PING) is remembered for staff pages.
SCANNER_STATUS_SECONDS = 5
# A PING must not hold a staff page up for the whole scan timeout.
PING_TIMEOUT_SECONDS = 2
# A file without a row older than this is litter (no transaction lasts a day).
ORPHAN_GRACE = timedelta(days=1)
# Quarantined files scanned again per run (the next run takes the rest).
RESCAN_BATCH = 200
# More entries than any real document has: a ZIP with more is refused, not listed.
_ZIP_MAX_ENTRIES = 10_000
# Random storage names (hex) and the temporary names of files being written.
_STORAGE_NAME = re.compile(r"[0-9a-f]{32}")
_TEMP_PREFIX = ".tmp-"

_PDF = "application/pdf"
_TEXT = "text/plain"
# Detected type -> extensions a file of that type may be downloaded under (the first is added
# when the name has none of them: a PNG named "x.html" downloads as "x.html.png").
EXTENSIONS: dict[str, tuple[str, ...]] = {
    _PDF: (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    _TEXT: (".txt", ".text", ".log", ".md"),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "application/vnd.oasis.opendocument.presentation": (".odp",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
}
# Office Open XML: the part that names each kind of document.
_OOXML_PARTS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
}
_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
# Text a browser (or a shell) would run rather than show: markup at the start (the HTML sniffing
# patterns of the WHATWG MIME Sniffing standard, XML, SVG) or script-carrying tags anywhere.
_MARKUP_START = re.compile(
    rb"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|!--|\?xml|svg|math|object|embed)(?:[\s>/]|$)",
    re.IGNORECASE,
)
_MARKUP_ANYWHERE = re.compile(rb"<\s*(?:script|svg|iframe|html|object|embed)\b", re.IGNORECASE)

MESSAGES = {
    "empty": _("The file is empty."),
    "too_large": _("The file is larger than %(size)s."),
    "type": _(
        "This type of file is not accepted. Send a PDF, an image (PNG, JPEG, GIF, WebP), a plain "
        "text file, or an OpenDocument or Office document without macros."
    ),
    "malware": _("This file contains malware and was refused."),
}


class UploadRejected(ValidationError):
    """A file refused by ``upload_store`` (too large, empty, a refused type, malware), with a
    translated message for the person who sent it. Nothing was stored."""

    def __init__(self, code: str, **params):
        super().__init__(MESSAGES[code], code=code, params=params or None)


def _too_large() -> UploadRejected:
    return UploadRejected("too_large", size=filesizeformat(settings.UPLOAD_MAX_BYTES))


# -- Reading and type detection -------------------------------------------------------------


def _read(file) -> bytes:
    """The file's bytes, at most ``UPLOAD_MAX_BYTES`` (the form field refused bigger ones; a
    caller may not have used it, so read no further than one byte past the limit)."""
    limit = settings.UPLOAD_MAX_BYTES
    size = getattr(file, "size", None)
    if size is not None and size > limit:
        raise _too_large()
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if hasattr(file, "seek"):
        file.seek(0)
    if len(data) > limit:
        raise _too_large()
    if not data:
        raise UploadRejected("empty")
    return bytes(data)


def _zip_type(data: bytes) -> str | None:
    """The type of an OpenDocument or Office Open XML file without macros, else None (any
    other ZIP, a broken one, one with macros). Reads the central directory and, for ODF, the
    few bytes of its ``mimetype`` entry: nothing is decompressed beyond that."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > _ZIP_MAX_ENTRIES:
                return None
            names = [entry.filename for entry in entries]
            if entries and names[0] == "mimetype" and entries[0].file_size <= 100:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                if declared not in EXTENSIONS or not declared.startswith(
                    "application/vnd.oasis.opendocument."
                ):
                    return None
                # Macros (Basic) and scripts travel in these folders of an ODF package.
                if any(name.startswith(("Basic/", "Scripts/")) for name in names):
                    return None
                return declared
            if "[Content_Types].xml" not in names:
                return None
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                return None
            found = [kind for part, kind in _OOXML_PARTS.items() if part in names]
            return found[0] if len(found) == 1 else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, RuntimeError, ValueError):
        return None


def _text_type(data: bytes) -> str | None:
    """``text/plain`` for UTF-8 text that is not a script or markup in disguise, else None."""
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"#!") or _MARKUP_START.match(start) or _MARKUP_ANYWHERE.search(data):
        return None
    return _TEXT


def content_type_detect(data: bytes) -> str:
    """The type of ``data`` read from its bytes, one of ``EXTENSIONS``; ``UploadRejected``
    (code "type") for anything else. The name and the browser's type are never consulted."""
    detected: str | None = None
    if data.startswith(b"%PDF-"):
        detected = _PDF
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        detected = "image/webp"
    elif data.startswith(b"PK\x03\x04"):
        detected = _zip_type(data)
    else:
        detected = next((kind for magic, kind in _IMAGE_SIGNATURES if data.startswith(magic)), None)
        if detected is None:
            detected = _text_type(data)
    if detected is None:
        raise UploadRejected("type")
    return detected


def _refused_as(data: bytes) -> str:
    """What a refused file looks like (for the log only): puremagic's best guess."""
    try:
        guesses = puremagic.magic_string(data[:8192])
    except (puremagic.PureError, ValueError):
        return "unknown"
    if not guesses:
        return "unknown"
    return guesses[0].mime_type or guesses[0].extension or "unknown"


def _clean_name(name: str) -> str:
    """The name a person gave a file, fit to show and to send back in a header: no folder, no
    control or format characters, NFC, at most 150 characters (its extension kept)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(char for char in name if not unicodedata.category(char).startswith("C"))
    name = name.strip().strip(".").strip()
    if len(name) > 150:
        stem, dot, extension = name.rpartition(".")
        keep = dot and stem and len(extension) <= 10
        name = (stem[: 149 - len(extension)] + "." + extension) if keep else name[:150]
    return name or "file"


def _download_name(name: str, content_type: str) -> str:
    """``name`` with an extension that matches the detected type, so that the file opens in
    the program for what it is, never as a page or a program (``x.html`` of PNG bytes:
    ``x.html.png``)."""
    extensions = EXTENSIONS.get(content_type, ())
    if not extensions or name.lower().endswith(extensions):
        return name
    return name + extensions[0]


def _disposition(name: str) -> str:
    """``attachment`` with the name twice (RFC 6266): ``filename*`` in UTF-8, percent-encoded,
    for every current browser, and an ASCII ``filename`` (other characters as "_") for the
    rest. Quotes, backslashes and control characters never reach the header."""
    fallback = "".join(char if " " <= char <= "~" and char not in '"\\%' else "_" for char in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


# -- Form fields -----------------------------------------------------------------------------


def _check(file) -> None:
    """The checks of ``upload_store`` that need no scanner: size and detected type."""
    content_type_detect(_read(file))


class UploadField(forms.FileField):
    """A file field that refuses what ``upload_store`` would refuse before scanning: a file
    larger than ``UPLOAD_MAX_BYTES``, an empty one, or one of a type not accepted (read from
    its bytes). The malware scan itself happens in ``upload_store``."""

    def clean(self, data, initial=None):
        file = super().clean(data, initial)
        if file:
            _check(file)
        return file


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleUploadField(UploadField):
    """Several files at once (``max_files`` at most), each checked as ``UploadField`` does;
    ``cleaned_data`` holds a list (empty when none was sent and the field is optional)."""

    widget = MultipleFileInput

    def __init__(self, *, max_files: int = 5, **kwargs):
        if max_files < 1:
            raise ValueError("max_files must be at least 1.")
        self.max_files = max_files
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_files:
            raise ValidationError(
                ngettext_lazy(
                    "Send at most %(count)d file.",
                    "Send at most %(count)d files.",
                    "count",
                ),
                code="max_files",
                params={"count": self.max_files},
            )
        errors = []
        cleaned = []
        for file in files:
            try:
                cleaned.append(super().clean(file, initial))
            except ValidationError as error:
                errors.extend(
                    ValidationError(
                        _("%(name)s: %(problem)s"),
                        code=getattr(error, "code", None) or "invalid",
                        params={"name": _clean_name(file.name), "problem": message},
                    )
                    for message in error.messages
                )
        if errors:
            raise ValidationError(errors)
        return cleaned


# -- The scanner -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ScanOutcome:
    # "clean", "infected" or "unavailable" (no scanner configured, unreachable, or an error).
    verdict: str
    # The malware's name (infected) or why the scan did not happen (unavailable).
    detail: str = ""


def _client(*, timeout: float) -> ClamdNetworkSocket | ClamdUnixSocket | None:
    """A clamd client for ``CLAMD_URL`` ("unix:///path" or "tcp://host:port"), or None when
    none is configured or the URL is malformed (logged: uploads then stay quarantined)."""
    url = settings.CLAMD_URL.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme == "unix" and parts.path:
        return ClamdUnixSocket(path=parts.path, timeout=timeout)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme == "tcp" and parts.hostname and port:
        return ClamdNetworkSocket(host=parts.hostname, port=port, timeout=timeout)
    logger.error(
        "CLL_CLAMD_URL is malformed (expected unix:///path or tcp://host:port): uploads stay "
        "quarantined."
    )
    return None


def scan(data: bytes) -> ScanOutcome:
    """Send ``data`` to clamd (INSTREAM) and read its verdict. Any failure (no scanner, a
    refused connection, a timeout, a stream larger than clamd's StreamMaxLength, an error
    reply) is "unavailable": the caller keeps the file quarantined."""
    client = _client(timeout=settings.CLAMD_TIMEOUT_SECONDS)
    if client is None:
        return ScanOutcome("unavailable", "no scanner configured (CLL_CLAMD_URL)")
    try:
        report = client.instream(io.BytesIO(data))
    except (ClamdError, OSError) as error:
        return ScanOutcome("unavailable", f"{type(error).__name__}: {error}")
    status, name = report.get("stream", (None, None))
    if status == "OK":
        return ScanOutcome("clean")
    if status == "FOUND":
        return ScanOutcome("infected", str(name or "unknown")[:200])
    return ScanOutcome("unavailable", f"unexpected answer: {status} {name}")


def _status_key() -> str:
    digest = hashlib.sha256(settings.CLAMD_URL.encode()).hexdigest()[:16]
    return f"cll:uploads:scanner:{digest}"


def scanner_available() -> bool:
    """Whether clamd answers a PING (remembered ``SCANNER_STATUS_SECONDS``, shared through the
    cache). False when none is configured: uploads then stay quarantined, and the staff pages
    that receive files include ``core/uploads/scanner_status.html`` to say so."""
    if not settings.CLAMD_URL.strip():
        return False
    key = _status_key()
    known = cache.get(key)
    if known is not None:
        return bool(known)
    client = _client(timeout=min(PING_TIMEOUT_SECONDS, settings.CLAMD_TIMEOUT_SECONDS))
    try:
        available = client is not None and client.ping().strip() == "PONG"
    except (ClamdError, OSError):
        available = False
    cache.set(key, available, SCANNER_STATUS_SECONDS)
    return available


def scanner_status_forget() -> None:
    """Forget the remembered availability (tests, or right after starting clamd)."""
    cache.delete(_status_key())


# -- Sealed files ----------------------------------------------------------------------------


def _directory() -> Path:
    directory = Path(settings.UPLOAD_DIR)
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkdir's mode is filtered by the umask: set it outright.
        directory.chmod(0o700)
    return directory


def _path(storage_name: str) -> Path:
    if not _STORAGE_NAME.fullmatch(storage_name):
        raise ValueError("Not an upload storage name.")
    return Path(settings.UPLOAD_DIR) / storage_name


def _file_write(storage_name: str, sealed: bytes) -> None:
    """Write under a temporary name, then rename: a half-written file never has the name."""
    final = _directory() / storage_name
    temporary = final.with_name(f"{_TEMP_PREFIX}{storage_name}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(sealed)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _file_remove(storage_name: str) -> None:
    _path(storage_name).unlink(missing_ok=True)


class _RemovedUnlessCommitted:
    """An ``on_commit`` callback that keeps the file when the transaction commits. When the
    transaction (or the savepoint it was registered in) rolls back, Django drops the callback
    unrun; the finalizer then removes the file at once (CPython frees it as its last reference
    goes). A dead process leaves the file to ``uploads_orphans_remove``."""

    def __init__(self, storage_name: str):
        self._finalizer = weakref.finalize(self, _file_remove, storage_name)

    def __call__(self) -> None:
        self._finalizer.detach()


def _file_read(upload: Upload) -> bytes:
    """The decrypted bytes of ``upload``; ``Http404`` when the file is gone, its person was
    erased (the key is destroyed) or it does not open (altered, or not this row's file)."""
    try:
        sealed = _path(upload.storage_name).read_bytes()
    except FileNotFoundError:
        logger.warning("The sealed file of upload %s is missing.", upload.public_id)
        raise Http404 from None
    try:
        data = decrypt_bytes(sealed, context=upload.storage_name.encode("ascii"))
    except DecryptionError as error:
        logger.warning("Upload %s cannot be opened: %s", upload.public_id, error)
        raise Http404 from None
    if hashlib.sha256(data).hexdigest() != upload.sha256:
        logger.error("Upload %s does not match its checksum.", upload.public_id)
        raise Http404
    return data


# -- Services --------------------------------------------------------------------------------


def upload_store(*, file, subject: uuid.UUID, purpose: str) -> Upload:
    """Check, scan, seal and store ``file`` (an ``UploadedFile``) as belonging to the person
    ``subject`` (their public id: whose data key seals it, whose export and erasure take it),
    for ``purpose`` ("helpdesk.attachment"...: the owning app decides who downloads it).

    Raises ``UploadRejected`` (nothing stored) when the file is too large, empty, of a type
    not accepted, or infected (logged without its name or its person). Scanner unreachable or
    not configured: stored ``PENDING`` (quarantined until ``uploads_scan_pending`` finds it
    clean). Call it inside the caller's ``transaction.atomic()``: the row is saved in it, and
    the file goes if it rolls back.
    """
    if not isinstance(subject, uuid.UUID):
        raise TypeError(f"subject must be a UUID (a person's public id), got {type(subject)}.")
    if not purpose or len(purpose) > Upload._meta.get_field("purpose").max_length:
        raise ValueError("An upload needs a purpose of at most 60 characters.")
    data = _read(file)
    digest = hashlib.sha256(data).hexdigest()
    try:
        content_type = content_type_detect(data)
    except UploadRejected:
        logger.info(
            "Upload refused: type %s not accepted (purpose %s, %d bytes, sha256 %s).",
            _refused_as(data),
            purpose,
            len(data),
            digest,
        )
        raise
    outcome = scan(data)
    if outcome.verdict == "infected":
        logger.warning(
            "Upload refused: malware %s found (purpose %s, %d bytes, sha256 %s).",
            outcome.detail,
            purpose,
            len(data),
            digest,
        )
        raise UploadRejected("malware")
    if outcome.verdict == "unavailable":
        logger.warning(
            "Malware scanner unavailable (%s): upload quarantined until it is scanned "
            "(purpose %s, sha256 %s).",
            outcome.detail,
            purpose,
            digest,
        )
    clean = outcome.verdict == "clean"
    storage_name = secrets.token_hex(16)
    upload = Upload(
        subject=subject,
        purpose=purpose,
        storage_name=storage_name,
        filename=_clean_name(getattr(file, "name", "")),
        content_type=content_type,
        size=len(data),
        sha256=digest,
        status=Upload.Status.CLEAN if clean else Upload.Status.PENDING,
        scanned_at=timezone.now() if clean else None,
    )
    _file_write(storage_name, encrypt_bytes(data, subject=subject, context=storage_name.encode()))
    try:
        with transaction.atomic():
            upload.save(force_insert=True)
            transaction.on_commit(_RemovedUnlessCommitted(storage_name))
    except BaseException:
        _file_remove(storage_name)
        raise
    return upload


def upload_response(*, upload: Upload) -> HttpResponse:
    """The file as a download: its detected type, ``Content-Disposition: attachment`` with its
    name (extension matching the type), ``nosniff``, a sandboxing CSP and ``no-store``.

    ``Http404`` unless it is ``CLEAN`` (quarantined and infected files are never served) and
    readable. The caller has checked that the person may have it (and audited the read).
    """
    if upload.status != Upload.Status.CLEAN:
        raise Http404
    data = _file_read(upload)
    content_type = upload.content_type if upload.content_type in EXTENSIONS else ""
    header = f"{content_type}; charset=utf-8" if content_type == _TEXT else content_type
    response = HttpResponse(data, content_type=header or "application/octet-stream")
    name = _download_name(upload.filename or "file", content_type)
    response["Content-Disposition"] = _disposition(name)
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    # Kept by the CSP middleware (it never overwrites a view's own header).
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "no-store"
    return response


def upload_delete(*, upload: Upload) -> None:
    """Delete ``upload``: its row now, its sealed file once the transaction commits (a rollback
    keeps both)."""
    storage_name = upload.storage_name
    with transaction.atomic():
        Upload.objects.filter(pk=upload.pk).delete()
        transaction.on_commit(lambda: _file_remove(storage_name))


def _verdict_save(upload: Upload, outcome: ScanOutcome) -> int:
    """Record a rescan's verdict if the upload is still quarantined; its bytes go when it is
    infected. Returns 1 when the row changed."""
    infected = outcome.verdict == "infected"
    with transaction.atomic():
        changed = Upload.objects.filter(pk=upload.pk, status=Upload.Status.PENDING).update(
            status=Upload.Status.INFECTED if infected else Upload.Status.CLEAN,
            signature=outcome.detail if infected else "",
            scanned_at=timezone.now(),
        )
        if changed and infected:
            storage_name = upload.storage_name
            transaction.on_commit(lambda: _file_remove(storage_name))
    if changed and infected:
        logger.warning(
            "Quarantined upload %s is infected (%s, purpose %s, %d bytes, sha256 %s): blocked, "
            "its bytes deleted.",
            upload.public_id,
            outcome.detail,
            upload.purpose,
            upload.size,
            upload.sha256,
        )
    return changed


def uploads_scan_pending() -> int:
    """Scan the quarantined (``PENDING``) files again, oldest first, ``RESCAN_BATCH`` per run:
    clean ones become ``CLEAN`` (served from now on), infected ones ``INFECTED`` (their bytes
    deleted, the row kept so that the owning app shows the file as blocked, logged). While the
    scanner is still unavailable nothing changes (the run stops at the first failure). A file
    that no longer opens (its person erased) is left to the erasure. Returns how many files got
    a verdict."""
    if not settings.CLAMD_URL.strip():
        return 0
    done = 0
    pending = Upload.objects.filter(status=Upload.Status.PENDING).order_by("created_at", "pk")
    for upload in pending[:RESCAN_BATCH]:
        try:
            data = _file_read(upload)
        except Http404:
            continue
        outcome = scan(data)
        if outcome.verdict == "unavailable":
            logger.warning("Malware scanner still unavailable (%s).", outcome.detail)
            break
        done += _verdict_save(upload, outcome)
    return done


def _stored_names(names: Iterable[str]) -> set[str]:
    """Which of ``names`` have a row whose file must be kept (not an infected one)."""
    names = list(names)
    kept: set[str] = set()
    for start in range(0, len(names), 500):
        kept.update(
            Upload.objects.filter(storage_name__in=names[start : start + 500])
            .exclude(status=Upload.Status.INFECTED)
            .values_list("storage_name", flat=True)
        )
    return kept


def uploads_orphans_remove(*, grace: timedelta = ORPHAN_GRACE) -> int:
    """Delete the files of ``UPLOAD_DIR`` that no row needs any more, once older than
    ``grace``: files whose row was deleted (erasure and retention delete rows; the data key is
    destroyed anyway, but no litter stays), bytes of infected files, temporary files of writes
    that died, files of transactions that never committed. Younger files may still be waiting
    for their transaction. Returns how many were deleted."""
    directory = Path(settings.UPLOAD_DIR)
    if not directory.is_dir():
        return 0
    oldest = time.time() - grace.total_seconds()
    candidates: dict[str, Path] = {}
    removed = 0
    for entry in os.scandir(directory):
        if not entry.is_file(follow_symlinks=False) or entry.stat().st_mtime > oldest:
            continue
        if entry.name.startswith(_TEMP_PREFIX):
            Path(entry.path).unlink(missing_ok=True)
            removed += 1
        elif _STORAGE_NAME.fullmatch(entry.name):
            candidates[entry.name] = Path(entry.path)
    kept = _stored_names(candidates)
    for name, path in candidates.items():
        if name not in kept:
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        logger.info("Removed %d upload files that no row needs.", removed)
    return removed
