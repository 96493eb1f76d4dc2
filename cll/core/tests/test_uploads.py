"""The upload store against a real clamd (cll/lib/testing/clamd.py): type checks, the malware
scan, quarantine while the scanner is down and the rescan, sealing, serving, clean-up."""

from __future__ import annotations

import io
import logging
import os
import struct
import time
import uuid
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation

from cll.core import uploads
from cll.core.encryption import data_key_destroy
from cll.core.models import Upload
from cll.core.uploads import UploadRejected, upload_response, upload_store

pytestmark = pytest.mark.django_db

PURPOSE = "tests.upload"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
TEXT = "Bonjour, voici ma question: « pourquoi ? »\n".encode()
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def zipped(entries: dict[str, bytes], *, mimetype: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if mimetype is not None:
            archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        for name, body in entries.items():
            archive.writestr(name, body, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT = zipped({"content.xml": b"<office/>"}, mimetype="application/vnd.oasis.opendocument.text")


def sent(data: bytes, name: str = "file.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def stored_files(settings) -> list[str]:
    directory = Path(settings.UPLOAD_DIR)
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


@pytest.fixture(autouse=True)
def _english():
    # The messages are checked in English (the source); one test checks the French default.
    with translation.override("en"):
        yield


@pytest.fixture
def subject() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def no_scanner(settings, tmp_path):
    settings.CLAMD_URL = ""
    settings.UPLOAD_DIR = tmp_path / "uploads"


def store(data: bytes, name: str, subject: uuid.UUID) -> Upload:
    with transaction.atomic():
        return upload_store(file=sent(data, name), subject=subject, purpose=PURPOSE)


# -- Accepted files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (PDF, "agreement.pdf", "application/pdf"),
        (png(), "scan.png", "image/png"),
        (TEXT, "notes.txt", "text/plain"),
        (DOCX, "letter.docx", uploads._OOXML_PARTS["word/document.xml"]),
        (ODT, "letter.odt", "application/vnd.oasis.opendocument.text"),
    ],
)
def test_it_accepts_a_clean_file_scanned_and_served(clamd, subject, data, name, content_type):
    upload = store(data, name, subject)
    upload.refresh_from_db()
    assert upload.status == Upload.Status.CLEAN
    assert upload.scanned_at is not None
    assert upload.content_type == content_type
    assert upload.size == len(data)
    assert upload.filename == name
    assert upload.subject == subject
    assert upload.purpose == PURPOSE
    response = upload_response(upload=upload)
    assert response.content == data


def test_it_serves_a_download_that_no_browser_renders(clamd, subject):
    upload = store(TEXT, "réponse <b>.txt", subject)
    response = upload_response(upload=upload)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"r_ponse <b>.txt\"; filename*=UTF-8''r%C3%A9ponse%20%3Cb%3E.txt"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Length"] == str(len(TEXT))


def test_it_gives_a_download_the_extension_of_its_detected_type(clamd, subject):
    upload = store(png(), "photo.html", subject)
    response = upload_response(upload=upload)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"photo.html.png\"; filename*=UTF-8''photo.html.png"
    )


def test_it_keeps_only_a_clean_name(clamd, subject):
    upload = store(PDF, "C:\\Users\\x\\..\\contrat\u202e\x00signé.pdf", subject)
    assert upload.filename == "contratsigné.pdf"
    long = store(PDF, "a" * 300 + ".pdf", subject)
    assert long.filename == "a" * 146 + ".pdf"


def test_it_seals_the_file_on_disk(clamd, settings, subject):
    upload = store(TEXT, "notes.txt", subject)
    path = Path(settings.UPLOAD_DIR) / upload.storage_name
    sealed = path.read_bytes()
    assert TEXT not in sealed
    assert b"Bonjour" not in sealed
    assert path.stat().st_mode & 0o777 == 0o600
    assert Path(settings.UPLOAD_DIR).stat().st_mode & 0o777 == 0o700
    # The name on disk is random, never the person's.
    assert "notes" not in upload.storage_name


def test_it_cannot_be_read_once_its_person_is_erased(clamd, subject):
    upload = store(PDF, "agreement.pdf", subject)
    assert upload_response(upload=upload).status_code == 200
    data_key_destroy(subject=subject)
    with pytest.raises(Http404):
        upload_response(upload=upload)


def test_it_refuses_to_serve_a_file_moved_onto_another_ones_name(clamd, settings, subject):
    first = store(PDF, "first.pdf", subject)
    second = store(TEXT, "second.txt", subject)
    directory = Path(settings.UPLOAD_DIR)
    (directory / second.storage_name).write_bytes((directory / first.storage_name).read_bytes())
    with pytest.raises(Http404):
        upload_response(upload=second)


# -- Refused files ---------------------------------------------------------------------------


def test_it_refuses_malware_and_stores_nothing(clamd, settings, subject, caplog):
    caplog.set_level(logging.INFO, logger="cll.core.uploads")
    with pytest.raises(UploadRejected) as refusal:
        store(clamd.eicar(), "holiday-photos.pdf", subject)
    assert refusal.value.messages == ["This file contains malware and was refused."]
    assert refusal.value.code == "malware"
    assert not Upload.objects.exists()
    assert stored_files(settings) == []
    warning = next(record for record in caplog.records if "malware" in record.getMessage())
    logged = warning.getMessage()
    assert warning.levelno == logging.WARNING
    assert "Project.Test.EICAR" in logged
    assert PURPOSE in logged
    assert "68 bytes" in logged
    assert "holiday" not in logged
    assert str(subject) not in logged


def test_it_says_malware_in_french_by_default(clamd, subject):
    with translation.override("fr"):
        with pytest.raises(UploadRejected) as refusal:
            store(clamd.eicar(), "x.txt", subject)
        assert refusal.value.messages == [
            "Ce fichier contient un logiciel malveillant et a été refusé."
        ]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (ELF, "contract.pdf"),
        (b"MZ\x90\x00\x03" + b"\x00" * 60, "invoice.pdf"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "notes.txt"),
        (b"  <html><body onload=alert(1)>", "notes.txt"),
        (b"Dear team,\n<script>alert(1)</script>\n", "notes.txt"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "logo.png"),
        (b"#!/bin/sh\nrm -rf /\n", "readme.txt"),
        (zipped({"payload.exe": b"MZ"}), "archive.docx"),
        (
            zipped(
                {"[Content_Types].xml": b"", "word/document.xml": b"", "word/vbaProject.bin": b""}
            ),
            "m.docx",
        ),
        (
            zipped({"Basic/script.xml": b""}, mimetype="application/vnd.oasis.opendocument.text"),
            "m.odt",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.doc"),
        ("Ceci est du Latin-1: é".encode("latin-1"), "latin.txt"),
    ],
)
def test_it_refuses_a_type_it_does_not_accept_whatever_its_name(
    clamd, settings, subject, data, name
):
    with pytest.raises(UploadRejected) as refusal:
        store(data, name, subject)
    assert refusal.value.code == "type"
    assert "This type of file is not accepted" in refusal.value.messages[0]
    assert not Upload.objects.exists()
    assert stored_files(settings) == []


def test_it_refuses_a_file_too_large_even_without_the_form(clamd, settings, subject):
    settings.UPLOAD_MAX_BYTES = 2048
    with pytest.raises(UploadRejected) as refusal:
        store(b"a" * 2049, "big.txt", subject)
    assert refusal.value.code == "too_large"
    assert refusal.value.messages == ["The file is larger than 2.0\xa0KB."]
    assert store(b"a" * 2048, "fits.txt", subject).status == Upload.Status.CLEAN


def test_it_refuses_an_empty_file(clamd, subject):
    with pytest.raises(UploadRejected) as refusal:
        store(b"", "empty.txt", subject)
    assert refusal.value.messages == ["The file is empty."]


# -- Quarantine: the scanner is down ---------------------------------------------------------


def test_it_quarantines_while_clamd_is_down_then_serves_once_scanned(
    clamd, subject, django_capture_on_commit_callbacks
):
    clamd.stop()
    upload = store(PDF, "agreement.pdf", subject)
    assert upload.status == Upload.Status.PENDING
    assert upload.scanned_at is None
    with pytest.raises(Http404):
        upload_response(upload=upload)
    assert uploads.uploads_scan_pending() == 0
    upload.refresh_from_db()
    assert upload.status == Upload.Status.PENDING

    clamd.start()
    assert uploads.uploads_scan_pending() == 1
    upload.refresh_from_db()
    assert upload.status == Upload.Status.CLEAN
    assert upload.scanned_at is not None
    assert upload_response(upload=upload).content == PDF
    assert uploads.uploads_scan_pending() == 0


def test_it_blocks_quarantined_malware_found_by_the_rescan(
    clamd, settings, subject, caplog, django_capture_on_commit_callbacks
):
    clamd.stop()
    upload = store(clamd.eicar(), "invoice.txt", subject)
    assert upload.status == Upload.Status.PENDING
    clamd.start()
    with django_capture_on_commit_callbacks(execute=True):
        assert uploads.uploads_scan_pending() == 1
    upload.refresh_from_db()
    assert upload.status == Upload.Status.INFECTED
    assert upload.signature == "Project.Test.EICAR.UNOFFICIAL"
    assert stored_files(settings) == []
    with pytest.raises(Http404):
        upload_response(upload=upload)
    assert "invoice" not in caplog.text
    assert "Project.Test.EICAR" in caplog.text


def test_it_quarantines_everything_without_a_configured_scanner(no_scanner, subject):
    upload = store(PDF, "agreement.pdf", subject)
    assert upload.status == Upload.Status.PENDING
    assert uploads.scanner_available() is False
    assert uploads.uploads_scan_pending() == 0
    with pytest.raises(Http404):
        upload_response(upload=upload)


def test_it_tells_staff_when_the_scanner_is_not_available(clamd):
    notice = "The malware scanner is not available"
    template = "core/uploads/scanner_status.html"
    with translation.override("en"):
        assert uploads.scanner_available() is True
        assert notice not in render_to_string(template, {"scanner_available": True})
        clamd.stop()
        uploads.scanner_status_forget()
        assert uploads.scanner_available() is False
        shown = render_to_string(template, {"scanner_available": uploads.scanner_available()})
    assert notice in shown
    assert 'role="status"' in shown


def test_it_remembers_the_scanners_status_a_few_seconds(clamd):
    assert uploads.scanner_available() is True
    clamd.stop()
    # Staff pages do not ping clamd on every request.
    assert uploads.scanner_available() is True
    uploads.scanner_status_forget()
    assert uploads.scanner_available() is False


# -- The file follows the transaction --------------------------------------------------------


class Abort(Exception):
    pass


def test_it_leaves_no_file_when_the_transaction_rolls_back(clamd, settings, subject):
    with pytest.raises(Abort), transaction.atomic():
        upload_store(file=sent(PDF), subject=subject, purpose=PURPOSE)
        assert len(stored_files(settings)) == 1
        raise Abort
    assert not Upload.objects.exists()
    assert stored_files(settings) == []


def test_it_keeps_the_file_when_the_transaction_commits(
    clamd, settings, subject, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload = store(PDF, "agreement.pdf", subject)
    assert stored_files(settings) == [upload.storage_name]
    assert upload_response(upload=upload).content == PDF


def test_it_deletes_the_row_and_then_the_file(
    clamd, settings, subject, django_capture_on_commit_callbacks
):
    upload = store(PDF, "agreement.pdf", subject)
    with django_capture_on_commit_callbacks(execute=True):
        uploads.upload_delete(upload=upload)
    assert not Upload.objects.exists()
    assert stored_files(settings) == []


def test_it_removes_old_files_no_row_needs(clamd, settings, subject):
    kept = store(PDF, "kept.pdf", subject)
    gone = store(TEXT, "gone.txt", subject)
    young = store(png(), "young.png", subject)
    Upload.objects.filter(pk__in=[gone.pk, young.pk]).delete()
    directory = Path(settings.UPLOAD_DIR)
    (directory / ".tmp-0123456789abcdef0123456789abcdef").write_bytes(b"half")
    (directory / "README").write_text("not ours")
    day_ago = time.time() - 2 * 86400
    for name in (kept.storage_name, gone.storage_name, ".tmp-0123456789abcdef0123456789abcdef"):
        os.utime(directory / name, (day_ago, day_ago))
    assert uploads.uploads_orphans_remove() == 2
    assert sorted(stored_files(settings)) == sorted(
        ["README", kept.storage_name, young.storage_name]
    )
    assert uploads.uploads_orphans_remove(grace=timedelta(0)) == 1
    assert sorted(stored_files(settings)) == sorted(["README", kept.storage_name])


def test_the_command_rescans_and_cleans_up(clamd, subject):
    clamd.stop()
    upload = store(PDF, "agreement.pdf", subject)
    clamd.start()
    output = io.StringIO()
    call_command("uploads_scan", stdout=output)
    assert (
        output.getvalue().strip() == "Scanned 1 quarantined upload(s); removed 0 orphaned file(s)."
    )
    upload.refresh_from_db()
    assert upload.status == Upload.Status.CLEAN


def test_the_periodic_jobs_run_the_rescan_and_the_clean_up(clamd, subject):
    from cll.core import upload_tasks

    clamd.stop()
    store(PDF, "agreement.pdf", subject)
    clamd.start()
    assert upload_tasks.uploads_rescan.call() == 1
    assert upload_tasks.uploads_orphans_prune.call() == 0


# -- Form fields -----------------------------------------------------------------------------


class OneFile(forms.Form):
    document = uploads.UploadField(label="Document", required=False)


class SomeFiles(forms.Form):
    documents = uploads.MultipleUploadField(label="Documents", max_files=2, required=False)


def test_the_field_checks_the_type_and_the_size_before_any_scan(settings):
    settings.UPLOAD_MAX_BYTES = 2048
    assert OneFile(files={"document": sent(PDF)}).is_valid()
    assert OneFile(files={}).is_valid()
    refused = OneFile(files={"document": sent(ELF, "contract.pdf")})
    assert not refused.is_valid()
    assert "This type of file is not accepted" in refused.errors["document"][0]
    big = OneFile(files={"document": sent(b"a" * 4096, "big.txt")})
    assert not big.is_valid()
    assert big.errors["document"] == ["The file is larger than 2.0\xa0KB."]


def test_the_multiple_field_takes_a_few_files_and_names_the_refused_one():
    from django.utils.datastructures import MultiValueDict

    form = SomeFiles(files=MultiValueDict({"documents": [sent(PDF), sent(png(), "a.png")]}))
    assert form.is_valid()
    assert [file.name for file in form.cleaned_data["documents"]] == ["file.pdf", "a.png"]
    empty = SomeFiles(files=MultiValueDict())
    assert empty.is_valid()
    assert empty.cleaned_data["documents"] == []
    many = SomeFiles(files=MultiValueDict({"documents": [sent(PDF), sent(PDF), sent(PDF)]}))
    assert not many.is_valid()
    assert many.errors["documents"] == ["Send at most 2 files."]
    bad = SomeFiles(files=MultiValueDict({"documents": [sent(PDF), sent(ELF, "run.pdf")]}))
    assert not bad.is_valid()
    assert bad.errors["documents"][0].startswith("run.pdf: This type of file is not accepted")
    assert "multiple" in str(SomeFiles()["documents"])


def test_the_scheduler_rescans_every_ten_minutes_and_cleans_up_daily():
    from crontask import scheduler

    import cll.core.upload_tasks  # noqa: F401  (registers its jobs, as crontask's loading does)

    jobs = {job.name: str(job.trigger) for job in scheduler.get_jobs()}
    assert "minute='*/10'" in jobs["uploads_rescan"]
    assert "hour='3'" in jobs["uploads_orphans_prune"]
    assert "minute='41'" in jobs["uploads_orphans_prune"]
