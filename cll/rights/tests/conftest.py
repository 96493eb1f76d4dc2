"""Fixtures of the rights tests: export files go to a temporary directory."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from cll.rights import export


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    return settings.EXPORT_DIR


def read_export(job) -> zipfile.ZipFile:
    """The ZIP of a built job, decrypted from its file (without consuming the download)."""
    path = export.export_dir() / job.file_name
    data = b"".join(export.sealed_chunks(path, subject=job.subject.public_id))
    return zipfile.ZipFile(io.BytesIO(data))


def export_json(job) -> dict:
    return json.loads(read_export(job).read("data.json"))
