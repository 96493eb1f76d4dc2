"""Uploaded files: checked, scanned by ClamAV, sealed, stored outside the web root, served as
downloads only (see ``cll.core.models.Upload``).

INTERFACE (being implemented; signatures are fixed, other apps code against them):

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
"""
