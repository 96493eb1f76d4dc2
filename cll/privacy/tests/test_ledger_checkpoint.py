"""Signed checkpoints outside the database: a cut-off end, or a chain rewritten by someone who
holds the HMAC key, is detected against the latest checkpoint; a forged checkpoint is refused;
the daily verification alarms the privacy officer."""

from __future__ import annotations

import base64
import json
import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cll.core.models import OutboxEmail
from cll.lib import signing
from cll.lib.signing import new_signing_key, parse_signing_key
from cll.privacy.ledger import checkpoint_latest, checkpoint_write, ledger_chain
from cll.privacy.models import AuditEntry
from cll.privacy.selectors import audit_chain_verify
from cll.privacy.services import audit_record
from cll.privacy.tasks import audit_checkpoint, audit_verify_daily

pytestmark = pytest.mark.django_db


def _write(count: int) -> None:
    for _ in range(count):
        audit_record(action="profile.read")
    # What the sequencer does once they are committed (the test's transaction never commits).
    ledger_chain()


def _verify(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def _lines(directory) -> list[dict]:
    return [json.loads(line) for path in sorted(directory.iterdir()) for line in path.open()]


def test_it_signs_a_checkpoint_of_the_verified_head(checkpoints, settings):
    _write(3)

    output = _verify("--checkpoint")

    assert "Signed checkpoint written" in output
    (line,) = _lines(checkpoints)
    assert (line["seq"], line["hash"]) == (3, AuditEntry.objects.get(seq=3).hash)
    assert line["legacy_end"] == 0
    # Anyone holding the public key can check it (verify() raises on a bad signature).
    public = settings.AUDIT_SIGNING_KEY.public_key()
    signed = {name: value for name, value in line.items() if name != "sig"}
    public.verify(
        base64.b64decode(line["sig"]),
        json.dumps(signed, sort_keys=True, separators=(",", ":")).encode(),
    )
    assert line["kid"] == signing.key_id(public)
    assert checkpoint_latest().seq == 3
    assert "entry 3 is in the chain with the same hash" in _verify()


def test_it_detects_a_cut_off_end_without_any_anchor(checkpoints, attacker):
    _write(4)
    _verify("--checkpoint")

    attacker.sql("DELETE FROM privacy_auditentry WHERE seq >= %s", [3])

    with pytest.raises(CommandError, match=r"broken at seq 3: the ledger ends at entry 2, before"):
        _verify()


def test_it_detects_a_chain_rewritten_with_the_key_up_to_the_checkpoint(
    checkpoints, attacker, settings
):
    _write(4)
    _verify("--checkpoint")

    # Whoever holds CLL_AUDIT_KEY can make every hash fit again...
    attacker.rewrite(2, action="nothing.happened")
    settings.AUDIT_CHECKPOINT_DIR = checkpoints.parent / "elsewhere"
    assert audit_chain_verify().intact

    # ...but not the signed checkpoint's.
    settings.AUDIT_CHECKPOINT_DIR = checkpoints
    with pytest.raises(CommandError, match=r"broken at seq 4: its hash differs from the signed"):
        _verify()


def test_it_refuses_a_forged_checkpoint_and_ignores_other_keys_and_torn_lines(
    checkpoints, settings
):
    _write(3)
    _verify("--checkpoint")
    (path,) = checkpoints.iterdir()
    genuine = json.loads(path.read_text())

    # Signed with another key (e.g. before CLL_AUDIT_SIGNING_KEY was replaced): not trusted,
    # so not used either; then a line torn by a crash.
    ours = settings.AUDIT_SIGNING_KEY
    settings.AUDIT_SIGNING_KEY = parse_signing_key(new_signing_key())
    checkpoint_write(seq=9, hash="f" * 64, legacy_end=0)
    settings.AUDIT_SIGNING_KEY = ours
    with path.open("a") as handle:
        handle.write('{"v": 1, "seq": 12, "ha')
    assert checkpoint_latest().seq == 3
    assert "intact: 3 entries" in _verify()

    # A line claiming our key whose signature does not match what it says.
    with path.open("a") as handle:
        handle.write("\n" + json.dumps({**genuine, "seq": 2}) + "\n")
    with pytest.raises(CommandError, match=r"does not verify with the signing key"):
        _verify()


def test_it_appends_after_a_torn_line(checkpoints):
    _write(1)
    checkpoint_write(seq=1, hash=AuditEntry.objects.get(seq=1).hash, legacy_end=0)
    (path,) = checkpoints.iterdir()
    with path.open("a") as handle:
        handle.write('{"v": 1, "se')

    _write(1)
    checkpoint_write(seq=2, hash=AuditEntry.objects.get(seq=2).hash, legacy_end=0)

    assert checkpoint_latest().seq == 2
    assert path.read_text().count("\n") == 3


def test_it_signs_checkpoints_periodically_when_the_head_moved(checkpoints):
    assert audit_checkpoint.call() == {"chained": 0, "intact": True, "checkpoint": None}
    audit_record(action="profile.read")
    audit_record(action="profile.read")

    assert audit_checkpoint.call() == {"chained": 2, "intact": True, "checkpoint": 2}
    assert audit_checkpoint.call() == {"chained": 0, "intact": True, "checkpoint": None}
    audit_record(action="profile.read")
    assert audit_checkpoint.call() == {"chained": 1, "intact": True, "checkpoint": 3}
    assert [line["seq"] for line in _lines(checkpoints)] == [2, 3]


def test_it_signs_nothing_over_a_broken_chain(checkpoints, attacker, caplog):
    _write(2)
    audit_checkpoint.call()
    _write(2)
    attacker.sql("UPDATE privacy_auditentry SET action = %s WHERE seq = %s", ["x", 3])

    with caplog.at_level(logging.ERROR, logger="cll.privacy.tasks"):
        result = audit_checkpoint.call()

    assert result == {"chained": 0, "intact": False, "checkpoint": None}
    assert [line["seq"] for line in _lines(checkpoints)] == [2]
    assert "entry 3: its content does not match its hash" in caplog.text


def test_it_alarms_the_privacy_officer_when_the_daily_verification_fails(
    checkpoints, attacker, caplog, alice, dora
):
    _write(3)
    assert audit_verify_daily.call()["intact"] is True
    assert not OutboxEmail.objects.exists()
    attacker.sql("DELETE FROM privacy_auditentry WHERE seq = %s", [3])

    with caplog.at_level(logging.ERROR, logger="cll.privacy.tasks"):
        result = audit_verify_daily.call()

    assert result["intact"] is False
    (email,) = OutboxEmail.objects.all()
    assert email.to_address == dora.email
    assert email.kind == "emails/privacy_ledger_broken"
    assert "cut off" in email.text_body
    assert any(
        record.levelno == logging.ERROR and "audit ledger is broken" in record.getMessage()
        for record in caplog.records
    )


def test_it_alarms_the_privacy_contact_when_there_is_no_privacy_officer(
    checkpoints, attacker, settings, alice
):
    _write(2)
    attacker.sql("UPDATE privacy_auditentry SET action = %s WHERE seq = %s", ["x", 1])

    assert audit_verify_daily.call()["intact"] is False

    (email,) = OutboxEmail.objects.all()
    assert email.to_address == settings.PRIVACY_EMAIL
