"""The "download all my data" engine (GDPR Art. 15 and 20), driven by the data map alone.

What goes in
    For every model of the data map that holds personal data and can be tied to a person
    (``datamap.personal_models()``, ``entry.linkable``), the rows ``datamap.subject_filter``
    selects for the person, with every declared field, personal or not (a status or a date next
    to a personal value makes it readable). Encrypted fields are decrypted by the ORM, as
    everywhere. An app added later is exported without touching this module: declaring its
    models in its ``privacy.py`` is enough. Next to the rows: the purposes, legal bases,
    retention rules and recipients of each category of data the person has, and the list of
    models that hold personal data no query can tie to them (removed by retention instead).

What is withheld, and why (GDPR Art. 15(4): the copy must not harm others' rights)
    - fields of category ``security`` (password hashes, second-factor secrets, session keys,
      link tokens, wrapped encryption keys): a copy of them helps nobody exercise a right and
      would turn a lost export into a way into the account. The export lists each such field
      with the reason, so the person knows it exists.
    - who, among staff, acted: the audit ledger's ``actor`` is shown as "you", "staff" (with
      the staff role, e.g. "Privacy officer") or "system", never as the staff member's id.
      Art. 15(1)(c) gives the recipients of the data; the CJEU (C-579/21, Pankki S, 2023) held
      that it does not give the identity of the employees who consulted it. The date, the
      role, the action and the fields concerned are all exported: that is the list of staff
      accesses to the person's data.

Output
    A ZIP with ``data.json`` (machine-readable; ``schema`` and ``version`` identify the format,
    see ``SCHEMA_VERSION``) and ``index.html`` (the same, readable in a browser: one
    self-contained page, styles inline, no script, no external resource, every value escaped).

Bounded memory
    Rows are read in batches of ``BATCH`` with ``.values().iterator()`` and written at once, so
    memory does not grow with the number of rows. ``data.json`` is streamed straight into the
    ZIP; ``index.html`` is streamed meanwhile into a temporary file sealed with a throw-away key
    (the ZIP format writes one member at a time), then copied into the ZIP.

Encryption at rest
    The ZIP never touches the disk in clear: it is written through ``SealedWriter`` with the
    person's data key (``crypto.data_key_for``), in chunks of ``CHUNK`` bytes, each sealed with
    AES-256-GCM. Erasing the person destroys that key, so a leftover or backed-up export is
    noise. ``sealed_chunks`` decrypts it for the download.

File format (version 1)::

    b"CLLX" | 0x01 | data key id (16 bytes)
    then chunks: nonce (12) | AES-GCM(key, plaintext of CHUNK bytes, or fewer for the last)
    with associated data: header | chunk index (8 bytes, big-endian) | final flag (1 byte)

The index and final flag stop chunks from being reordered, dropped or the file truncated
without the tag failing.
"""

from __future__ import annotations

import datetime
import decimal
import html
import io
import json
import os
import secrets
import struct
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cll.core import encryption as crypto
from cll.core.context_processors import organisation
from cll.privacy import datamap
from cll.privacy.datamap import Category, ModelMap

SCHEMA = "cll.data-export"
# Bump on any change a program reading data.json would notice; describe it in the docstring.
SCHEMA_VERSION = 1
# Rows read and written per batch: the memory bound of the export.
BATCH = 1000
# Plaintext bytes per sealed chunk of the file.
CHUNK = 64 * 1024

_MAGIC = b"CLLX"
_FORMAT = 1
_NONCE = 12
_TAG = 16
_HEADER_LEN = len(_MAGIC) + 1 + 16

# Fields whose stored value is replaced in the export (see the module docstring).
AUDIT_ACTOR = ("privacy.AuditEntry", "actor")


class ExportUnreadable(Exception):
    """An export file cannot be opened: altered, truncated, or its owner's key was replaced."""


def withheld_reason(entry: ModelMap, name: str) -> str | None:
    """Why the stored value of ``entry``'s field ``name`` is not in the export, or None.

    The single rule, used by the engine and by the acceptance test.
    """
    rule = entry.fields[name]
    if rule.category == Category.SECURITY:
        return _(
            "Withheld: a security credential (such as a password hash or a secret key). It "
            "exists, but a copy of it could be used to take over your account."
        )
    if (entry.label, name) == AUDIT_ACTOR:
        return _(
            "Shown as who acted: you, the system, or staff with their role. The identity of "
            "individual staff members is not disclosed."
        )
    if not rule.personal and _points_at_an_account(entry, name):
        # Not the person's data but a colleague's: who answered a ticket or a chat, who
        # recorded a subscription. Rows about the person point at them with personal fields.
        return _(
            "A member of our staff: the identity of individual staff members is not disclosed."
        )
    return None


def _points_at_an_account(entry: ModelMap, name: str) -> bool:
    field = entry.model._meta.get_field(name)
    return field.is_relation and field.related_model is get_user_model()


# -- Sealing the file --------------------------------------------------------------------------


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">QB", index, 1 if final else 0)


class SealedWriter(io.RawIOBase):
    """A write-only, non-seekable stream that seals what it is given into ``fp`` by chunks."""

    def __init__(self, fp: BinaryIO, *, key: bytes, key_id: uuid.UUID):
        super().__init__()
        self._fp = fp
        self._aes = AESGCM(key)
        self._header = _MAGIC + bytes([_FORMAT]) + key_id.bytes
        self._buffer = bytearray()
        self._index = 0
        self.plain_size = 0
        fp.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self.closed:
            raise ValueError("write to a closed export file")
        self._buffer += data
        self.plain_size += len(data)
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), final=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, plain: bytes, *, final: bool) -> None:
        nonce = secrets.token_bytes(_NONCE)
        aad = _aad(self._header, self._index, final)
        self._fp.write(nonce + self._aes.encrypt(nonce, plain, aad))
        self._index += 1

    def __del__(self):
        # Collected without close(): an aborted export. Never seal its end: a partial file
        # must not pass for a complete one.
        self._aborted = True
        super().__del__()

    def close(self) -> None:
        if not self.closed and not getattr(self, "_aborted", False):
            # The final chunk is always written (possibly empty): its flag proves the end.
            self._seal(bytes(self._buffer), final=True)
            self._buffer.clear()
            self._fp.flush()
        super().close()


def _key_id_of(fp: BinaryIO) -> tuple[bytes, uuid.UUID]:
    header = fp.read(_HEADER_LEN)
    if len(header) != _HEADER_LEN or header[:4] != _MAGIC or header[4] != _FORMAT:
        raise ExportUnreadable("Not an export file of a known format.")
    return header, uuid.UUID(bytes=header[5:])


def _open_chunks(fp: BinaryIO, header: bytes, key: bytes) -> Iterator[bytes]:
    aes = AESGCM(key)
    size = _NONCE + CHUNK + _TAG
    index = 0
    current = fp.read(size)
    while True:
        following = fp.read(size)
        final = not following
        if len(current) < _NONCE + _TAG or (not final and len(current) != size):
            raise ExportUnreadable("The export file is truncated.")
        nonce, sealed = current[:_NONCE], current[_NONCE:]
        try:
            yield aes.decrypt(nonce, sealed, _aad(header, index, final))
        except InvalidTag:
            raise ExportUnreadable("The export file was altered or truncated.") from None
        if final:
            return
        index += 1
        current = following


def sealed_chunks(path: Path, *, subject: uuid.UUID) -> Iterator[bytes]:
    """The plaintext of an export file sealed for ``subject``, chunk by chunk.

    Raises ``ExportUnreadable`` when the person's live data key is not the one that sealed it
    (they were erased meanwhile) or the file was altered.
    """
    with open(path, "rb") as fp:
        header, key_id = _key_id_of(fp)
        live_id, key = crypto.data_key_for(subject)
        if live_id != key_id:
            raise ExportUnreadable("The key that sealed this export no longer exists.")
        yield from _open_chunks(fp, header, key)


# -- Values ------------------------------------------------------------------------------------


def _default(value: Any) -> Any:
    # Called by the JSON encoder for every UUID and date: the commonest types first, by type.
    kind = type(value)
    if kind is uuid.UUID:
        return str(value)
    if kind is datetime.datetime:
        return value.isoformat()
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal | Promise):
        return str(value)
    if isinstance(value, bytes | memoryview | bytearray):
        return bytes(value).hex()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


# One encoder for the whole export: json.dumps() with options builds a new one per call.
_ENCODER = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":"))


def json_value(value: Any) -> Any:
    """A value as data.json holds it: JSON types, dates in ISO 8601, UUIDs as text."""
    return json.loads(json.dumps(value, default=_default))


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def _cell_text(value: Any, yes_no: tuple[str, str]) -> str:
    """The text of one cell of index.html (escaped later, a whole batch at once)."""
    kind = type(value)
    if kind is str:
        return value or "—"
    if value is None:
        return "—"
    if kind is bool:
        return yes_no[0] if value else yes_no[1]
    if kind is int or kind is float or kind is uuid.UUID:
        return str(value)
    if kind is datetime.datetime or kind is datetime.date:
        return value.isoformat()
    return _dumps(value)


# -- Planning: what to read, from the data map -------------------------------------------------


@dataclass
class _Column:
    name: str
    label: str
    lookup: str | None  # the .values() lookup; None: many-to-many or withheld
    many_to_many: models.ManyToManyField | None = None
    withheld: str | None = None


@dataclass
class _Plan:
    entry: ModelMap
    queryset: models.QuerySet
    columns: list[_Column]
    count: int


def _column(entry: ModelMap, name: str) -> _Column:
    model = entry.model
    try:
        field = model._meta.get_field(name)
        label = str(getattr(field, "verbose_name", name))
    except FieldDoesNotExist:  # pragma: no cover - the system check refuses this
        raise ValueError(f"{entry.label}.{name} is in the data map but not a field.") from None
    reason = withheld_reason(entry, name)
    if reason is not None and (entry.label, name) != AUDIT_ACTOR:
        return _Column(name, label, None, withheld=reason)
    if field.many_to_many:
        return _Column(name, label, None, many_to_many=field)
    if field.is_relation:
        # Rows point at people by their public id, never by an internal integer key.
        target = field.related_model
        has_public_id = any(f.name == "public_id" for f in target._meta.concrete_fields)
        return _Column(name, label, f"{name}__public_id" if has_public_id else name)
    return _Column(name, label, name)


def _plans(subject: uuid.UUID) -> list[_Plan]:
    plans = []
    for entry in datamap.personal_models():
        if not entry.linkable:
            continue
        model = entry.model
        queryset = model._default_manager.filter(datamap.subject_filter(model, subject))
        count = queryset.count()
        if not count:
            continue
        columns = [_column(entry, name) for name in entry.fields]
        plans.append(_Plan(entry, queryset, columns, count))
    return plans


def _batches(plan: _Plan) -> Iterator[list[dict[str, Any]]]:
    """The plan's rows as export dicts, BATCH at a time."""
    readable = [c for c in plan.columns if c.lookup is not None]
    m2m = [c for c in plan.columns if c.many_to_many is not None]
    # "pk" always: with no other lookup, .values() would return every column.
    lookups = ["pk", *(c.lookup for c in readable)]
    rows = plan.queryset.order_by("pk").values(*lookups).iterator(chunk_size=BATCH)
    batch: list[dict[str, Any]] = []
    for raw in rows:
        batch.append(raw)
        if len(batch) >= BATCH:
            yield _rows(plan, batch, readable, m2m)
            batch = []
    if batch:
        yield _rows(plan, batch, readable, m2m)


def _related_names(plan: _Plan, column: _Column, pks: list) -> dict[Any, list[str]]:
    """The many-to-many values of a batch's rows, as the related objects' names."""
    values: dict[Any, list[str]] = {pk: [] for pk in pks}
    target = column.many_to_many.related_model
    pairs = list(
        plan.entry.model._default_manager.filter(pk__in=pks, **{f"{column.name}__isnull": False})
        .values_list("pk", column.name)
        .order_by("pk", column.name)
    )
    objects = target._default_manager.filter(pk__in={pair[1] for pair in pairs})
    names = {obj.pk: str(obj) for obj in objects}
    for pk, other in pairs:
        values[pk].append(names.get(other, str(other)))
    return values


def _rows(plan, raw_rows, readable, m2m) -> list[dict[str, Any]]:
    """The rows of a batch, keyed by field name (the dicts of .values(), renamed in place)."""
    renames = [(c.lookup, c.name) for c in readable if c.lookup != c.name]
    related = {}
    if m2m:
        pks = [raw["pk"] for raw in raw_rows]
        related = {column.name: _related_names(plan, column, pks) for column in m2m}
    actor = plan.entry.label == AUDIT_ACTOR[0]
    for raw in raw_rows:
        for lookup, name in renames:
            raw[name] = raw.pop(lookup)
        for name, values in related.items():
            raw[name] = values[raw["pk"]]
        # Declared primary keys ("id") come under their own name; "pk" was for the batch.
        del raw["pk"]
        if actor:
            raw["actor"] = _actor_label(raw)
    return raw_rows


def _actor_label(raw: dict[str, Any]) -> str:
    actor = raw.get("actor")
    if actor is None:
        return "system"
    if actor == raw.get("subject"):
        return "you"
    return "staff"


# -- Writing -----------------------------------------------------------------------------------


_ACTOR_TEXT = {
    "system": gettext_lazy("The system"),
    "you": gettext_lazy("You"),
    "staff": gettext_lazy("Staff"),
}


def _summary(plans: list[_Plan]) -> dict[str, Any]:
    """Purposes, legal bases, retention and recipients of each category the person has."""
    categories: dict[str, dict[str, set]] = {}
    for plan in plans:
        for rule in plan.entry.personal_fields.values():
            slot = categories.setdefault(
                rule.category,
                {"purposes": set(), "bases": set(), "retention": set(), "recipients": set()},
            )
            slot["purposes"].update(rule.purposes)
            slot["bases"].add(rule.basis)
            slot["retention"].add(rule.retention)
            slot["recipients"].update(rule.recipients)
    used = {key: set() for key in ("purposes", "retention", "recipients")}
    for slot in categories.values():
        for key in used:
            used[key] |= slot[key]
    labels = dict(Category.choices)
    basis_labels = dict(datamap.Basis.choices)
    return {
        "categories": {
            category: {
                "label": str(labels[category]),
                "purposes": sorted(slot["purposes"]),
                "legal_bases": sorted(slot["bases"]),
                "retention": sorted(slot["retention"]),
                "recipients": sorted(slot["recipients"]),
            }
            for category, slot in sorted(categories.items())
        },
        "purposes": {
            key: str(datamap.PURPOSES[key].description) for key in sorted(used["purposes"])
        },
        "legal_bases": {
            key: str(basis_labels[key])
            for key in sorted({b for s in categories.values() for b in s["bases"]})
        },
        "retention": {key: datamap.RETENTION[key].description for key in sorted(used["retention"])},
        "recipients": {
            key: {
                "name": datamap.RECIPIENTS[key].name,
                "description": str(datamap.RECIPIENTS[key].description),
                "country": datamap.RECIPIENTS[key].country,
                "transfer_safeguard": datamap.RECIPIENTS[key].transfer_safeguard,
            }
            for key in sorted(used["recipients"])
        },
    }


def _unlinked() -> list[dict[str, Any]]:
    out = []
    for entry in datamap.personal_models():
        if entry.linkable:
            continue
        rules = {rule.retention for rule in entry.personal_fields.values()}
        out.append(
            {
                "model": entry.label,
                "name": entry.display_name,
                "description": entry.description,
                "retention": sorted(rules),
            }
        )
    return out


def _field_meta(plan: _Plan) -> dict[str, Any]:
    meta = {}
    for column in plan.columns:
        rule = plan.entry.fields[column.name]
        item = {
            "label": column.label,
            "personal": rule.personal,
            "category": rule.category,
            "purposes": list(rule.purposes),
            "legal_basis": rule.basis,
            "retention": rule.retention,
            "erasure": rule.erasure,
            "recipients": list(rule.recipients),
            "encrypted_at_rest": rule.encrypted,
        }
        reason = withheld_reason(plan.entry, column.name)
        if reason is not None:
            item["withheld"] = reason
        meta[column.name] = item
    return meta


class _Text:
    """Text written as UTF-8 to a binary stream (the zip member or the sealed temp file)."""

    def __init__(self, stream):
        self._stream = stream

    def __call__(self, text: str) -> None:
        self._stream.write(text.encode("utf-8"))


def _html_table_head(plan: _Plan) -> str:
    title = html.escape(plan.entry.display_name)
    cells = "".join(
        f'<th scope="col">{html.escape(c.label)}</th>' for c in plan.columns if not c.withheld
    )
    withheld = [c for c in plan.columns if c.withheld]
    note = ""
    if withheld:
        names = ", ".join(html.escape(c.label) for c in withheld)
        note = f'<p class="note">{html.escape(_("Not included:"))} {names}. '
        note += f"{html.escape(withheld[0].withheld)}</p>"
    # The page is read by people: the data map's title, in their language; the model's label
    # only says where the same rows are in data.json (its developer description stays there).
    where = html.escape(_("In data.json:"))
    return (
        f'<section><h2>{title}</h2><p class="muted">{where} '
        f"<code>{html.escape(plan.entry.label)}</code></p>{note}"
        f'<div class="scroll"><table><thead><tr>{cells}</tr></thead><tbody>'
    )


def _html_rows(plan: _Plan, batch: list[dict[str, Any]]) -> str:
    """The table rows of a batch. Cells are joined with separators, the whole batch escaped in
    one pass (much cheaper than cell by cell), then the separators become the tags."""
    yes_no = (_("yes"), _("no"))
    shown = [c.name for c in plan.columns if not c.withheld]
    actor = shown.index("actor") if plan.entry.label == AUDIT_ACTOR[0] else None
    actors = {key: str(text) for key, text in _ACTOR_TEXT.items()}
    lines = []
    for row in batch:
        # Non-empty text, by far the commonest value, skips the function call.
        cells = [
            value if type(value) is str and value else _cell_text(value, yes_no)
            for value in [row[name] for name in shown]
        ]
        if actor is not None:
            cells[actor] = actors[row["actor"]]
        lines.append("\x00".join(cells))
    text = "\x01".join(lines)
    # A value holding a separator itself would shift the cells: counted in one pass, and only
    # then replaced (they are control characters, meaningless in a page).
    if text.count("\x00") != len(lines) * (len(shown) - 1) or text.count("\x01") != len(lines) - 1:
        text = "\x01".join(
            "\x00".join(
                _cell_text(row[name], yes_no).replace("\x00", "\ufffd").replace("\x01", "\ufffd")
                if name != "actor" or actor is None
                else actors[row["actor"]]
                for name in shown
            )
            for row in batch
        )
    text = html.escape(text)
    text = text.replace("\x00", "</td><td>").replace("\x01", "</td></tr>\n<tr><td>")
    return f"<tr><td>{text}</td></tr>\n"


def write_export(
    *,
    subject: uuid.UUID,
    out: BinaryIO,
    scratch_dir: Path,
    progress: Callable[[int], None] = lambda percent: None,
) -> dict[str, int]:
    """Write the ZIP of everything held about ``subject`` into the binary stream ``out``.

    ``progress`` is called with 0 to 99 as rows are written. Returns counts (models, rows) for the
    audit entry. The caller seals ``out`` (see ``build_sealed_export``).
    """
    plans = _plans(subject)
    total = sum(plan.count for plan in plans) or 1
    now = timezone.now()
    summary = _summary(plans)
    unlinked = _unlinked()

    controller = organisation(None)["organisation"]
    head = {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "generated_at": now.isoformat(),
        "subject": str(subject),
        "controller": {key: str(value) for key, value in controller.items()},
        **summary,
        "not_linkable": unlinked,
    }
    html_key = AESGCM.generate_key(bit_length=256)
    done = 0
    last_percent = -1
    with tempfile.TemporaryFile(dir=scratch_dir) as scratch:
        html_out = SealedWriter(scratch, key=html_key, key_id=uuid.UUID(int=0))
        write_html = _Text(html_out)
        write_html(
            render_to_string(
                "rights/export/index_head.html",
                {
                    "language": translation.get_language() or settings.LANGUAGE_CODE,
                    "generated_at": now,
                    "subject": subject,
                    "controller": controller,
                    "summary": _summary_for_template(summary),
                    "unlinked": unlinked,
                },
            )
        )
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            with zf.open("data.json", "w", force_zip64=True) as member:
                write = _Text(member)
                # The head, without its closing brace, then the records streamed one by one.
                write(_dumps(head)[:-1] + ',"records":[')
                for index, plan in enumerate(plans):
                    record = {
                        "model": plan.entry.label,
                        "name": plan.entry.display_name,
                        "description": plan.entry.description,
                        "fields": _field_meta(plan),
                    }
                    write(("," if index else "") + _dumps(record)[:-1] + ',"rows":[')
                    write_html(_html_table_head(plan))
                    first = True
                    for batch in _batches(plan):
                        write(("" if first else ",") + _dumps(batch)[1:-1])
                        write_html(_html_rows(plan, batch))
                        first = False
                        done += len(batch)
                        percent = min(99, done * 99 // total)
                        if percent != last_percent:
                            progress(percent)
                            last_percent = percent
                    write("]}")
                    write_html("</tbody></table></div></section>")
                write("]}")
            write_html(render_to_string("rights/export/index_foot.html", {}))
            html_out.close()
            scratch.seek(0)
            header, _key_id = _key_id_of(scratch)
            with zf.open("index.html", "w", force_zip64=True) as member:
                for chunk in _open_chunks(scratch, header, html_key):
                    member.write(chunk)
    return {"models": len(plans), "rows": done}


def _summary_for_template(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary as the HTML page lists it: one entry per category, texts resolved."""
    out = []
    for category in summary["categories"].values():
        out.append(
            {
                "label": category["label"],
                "purposes": [summary["purposes"][key] for key in category["purposes"]],
                "legal_bases": [summary["legal_bases"][key] for key in category["legal_bases"]],
                "retention": [summary["retention"][key] for key in category["retention"]],
                "recipients": [summary["recipients"][key] for key in category["recipients"]],
            }
        )
    return out


def build_sealed_export(*, subject: uuid.UUID, path: Path, progress=lambda percent: None):
    """Write the export of ``subject`` to ``path``, sealed with their data key.

    Written to a temporary name and renamed when complete, so a crash never leaves a partial
    file under the final name. Returns ``(plaintext size, counts)``.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_id, key = crypto.data_key_for(subject)
    partial = path.with_name(path.name + ".part")
    try:
        # Readable by the service's user only (the content is sealed anyway).
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw:
            sealed = SealedWriter(raw, key=key, key_id=key_id)
            counts = write_export(
                subject=subject, out=sealed, scratch_dir=path.parent, progress=progress
            )
            sealed.close()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return sealed.plain_size, counts


def export_dir() -> Path:
    return Path(settings.EXPORT_DIR)
