"""The encrypted model fields and the blind index field, on the test app's models."""

from __future__ import annotations

import datetime
import io

import pytest
from django.apps import apps
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import connection, models, transaction
from django.test.utils import isolate_apps

from cll.core.encryption import (
    SYSTEM_SUBJECT,
    BlindIndexField,
    DecryptionError,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
    KeyDestroyed,
    blind_index,
    data_key_destroy,
    decrypt,
    token_key_id,
)
from tests.testapp.models import Secretive, SystemSecret

pytestmark = pytest.mark.django_db

EMAIL_PURPOSE = "testapp.secretive.email"
ENCRYPTED_COLUMNS = ("name", "note", "email", "born_on", "answers")


def DataKey():
    return apps.get_model("core", "DataKey")


def _stored(row: models.Model, *columns: str) -> dict[str, str | None]:
    """The values as the database holds them, read past the ORM."""
    table = connection.ops.quote_name(row._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {table} WHERE id = %s", [row.pk])  # noqa: S608
        return dict(zip(columns, cursor.fetchone(), strict=True))


def _store(row: models.Model, column: str, value: str) -> None:
    table = connection.ops.quote_name(row._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {connection.ops.quote_name(column)} = %s WHERE id = %s",  # noqa: S608
            [value, row.pk],
        )


@pytest.fixture
def secret(alice):
    return Secretive.objects.create(
        owner=alice,
        name="Alice Martin",
        note="Prefers evening classes; dyslexic.",
        email="Alice.Martin@example.org",
        born_on=datetime.date(2011, 5, 17),
        answers={"level": "B1", "goals": ["travel", "work"]},
    )


def test_it_stores_no_plaintext_in_the_database(secret):
    stored = _stored(secret, *ENCRYPTED_COLUMNS)

    for column, value in stored.items():
        assert value.startswith("e1."), column
    joined = " ".join(stored.values())
    for plaintext in ("Alice", "Martin", "evening", "dyslexic", "2011-05-17", "level", "travel"):
        assert plaintext not in joined


def test_it_reads_back_every_field_type(secret):
    row = Secretive.objects.get(pk=secret.pk)

    assert row.name == "Alice Martin"
    assert row.note == "Prefers evening classes; dyslexic."
    assert row.email == "Alice.Martin@example.org"
    assert row.born_on == datetime.date(2011, 5, 17)
    assert row.answers == {"level": "B1", "goals": ["travel", "work"]}


def test_it_decrypts_in_values_queries(secret):
    assert list(Secretive.objects.values_list("name", "born_on")) == [
        ("Alice Martin", datetime.date(2011, 5, 17))
    ]


def test_it_keeps_plaintext_on_the_instance_and_never_double_encrypts(secret):
    first = _stored(secret, "name")["name"]

    secret.save()
    secret.save()

    assert secret.name == "Alice Martin"
    second = _stored(secret, "name")["name"]
    # Each save seals afresh (a new nonce) the plaintext, never the previous token.
    assert second != first
    assert decrypt(second) == "Alice Martin"
    assert Secretive.objects.get(pk=secret.pk).name == "Alice Martin"


def test_it_seals_each_value_once_per_insert_and_afresh_at_the_next(alice, monkeypatch):
    # Django asks an insert's values twice (Model._save_table, then the SQL compiler): the
    # value is sealed once; a later insert of another row, and every save, seal again.
    from cll.core import encryption

    sealed = []
    real = encryption.encrypt

    def counting(value, *, subject):
        sealed.append(value)
        return real(value, subject=subject)

    monkeypatch.setattr(encryption, "encrypt", counting)
    row = Secretive.objects.create(owner=alice, name="Alice Martin", note="n", email="a@x.org")
    assert sorted(sealed) == ["Alice Martin", "a@x.org", "n"]
    first = _stored(row, "name")["name"]

    sealed.clear()
    row.pk = None
    row._state.adding = True
    row.save()
    assert sorted(sealed) == ["Alice Martin", "a@x.org", "n"]
    # The copy got a token of its own, not the first row's.
    assert _stored(row, "name")["name"] != first
    assert decrypt(_stored(row, "name")["name"]) == "Alice Martin"


def test_it_saves_a_changed_value(secret):
    secret.name = "Alice Dubois"
    secret.save(update_fields=["name"])

    assert Secretive.objects.get(pk=secret.pk).name == "Alice Dubois"


def test_it_seals_a_persons_row_with_their_own_key(secret, alice):
    token = _stored(secret, "name")["name"]

    assert token_key_id(token) == DataKey().objects.get(subject=alice.public_id).id


def test_it_seals_a_row_about_no_one_with_the_system_key():
    row = SystemSecret.objects.create(value="sk_live_provider_credential")
    token = _stored(row, "value")["value"]

    assert DataKey().objects.get(pk=token_key_id(token)).subject == SYSTEM_SUBJECT
    assert SystemSecret.objects.get(pk=row.pk).value == "sk_live_provider_credential"


def test_it_reseals_a_row_with_the_new_owners_key(secret, bob):
    secret.owner = bob
    secret.save()

    token = _stored(secret, "name")["name"]
    assert token_key_id(token) == DataKey().objects.get(subject=bob.public_id).id


def test_it_fails_loudly_when_a_stored_token_was_altered(secret):
    token = _stored(secret, "note")["note"]
    middle = len(token) // 2
    _store(
        secret,
        "note",
        token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :],
    )

    with pytest.raises(DecryptionError):
        Secretive.objects.get(pk=secret.pk)


def test_it_reads_values_of_an_erased_person_as_none(secret, alice, bob):
    bobs = Secretive.objects.create(owner=bob, name="Bob Leroy", note="keeps his data")
    token = _stored(secret, "name")["name"]

    data_key_destroy(subject=alice.public_id)

    row = Secretive.objects.get(pk=secret.pk)
    assert (row.name, row.note, row.email, row.born_on, row.answers) == (None,) * 5
    with pytest.raises(KeyDestroyed):
        decrypt(token)
    assert Secretive.objects.get(pk=bobs.pk).name == "Bob Leroy"


def test_it_stores_an_empty_text_as_empty(alice):
    row = Secretive.objects.create(owner=alice, name="A", note="")

    assert _stored(row, "note")["note"] == ""
    assert Secretive.objects.get(pk=row.pk).note == ""


def test_it_stores_none_as_null(alice):
    row = Secretive.objects.create(owner=alice, name="A")

    assert _stored(row, "email", "born_on", "answers", "email_bidx") == dict.fromkeys(
        ("email", "born_on", "answers", "email_bidx")
    )
    assert Secretive.objects.filter(pk=row.pk, email__isnull=True).exists()


def test_it_seals_rows_written_by_bulk_create(alice):
    Secretive.objects.bulk_create(
        [Secretive(owner=alice, name="One"), Secretive(owner=alice, name="Two")]
    )

    rows = Secretive.objects.order_by("pk")
    assert [row.name for row in rows] == ["One", "Two"]
    assert all(_stored(row, "name")["name"].startswith("e1.") for row in rows)


def test_it_refuses_to_write_plaintext_through_update(secret):
    # The refusal rolls back the enclosing transaction: give it its own.
    with pytest.raises(FieldError, match="plain value"), transaction.atomic():
        Secretive.objects.filter(pk=secret.pk).update(name="Leaked")

    assert _stored(secret, "name")["name"].startswith("e1.")


def test_it_refuses_to_write_plaintext_through_bulk_update(secret):
    secret.name = "Leaked"

    with pytest.raises(FieldError, match="plain value"), transaction.atomic():
        Secretive.objects.bulk_update([secret], ["name"])

    assert _stored(secret, "name")["name"].startswith("e1.")


def test_it_allows_clearing_a_value_through_update(secret):
    Secretive.objects.filter(pk=secret.pk).update(email=None, note="")

    row = Secretive.objects.get(pk=secret.pk)
    assert (row.email, row.note) == (None, "")


@pytest.mark.parametrize(
    "lookup",
    [
        {"name": "Alice Martin"},
        {"name__iexact": "alice martin"},
        {"note__icontains": "evening"},
        {"name__in": ["Alice Martin"]},
        {"born_on__year": 2011},
        {"born_on__gt": datetime.date(2000, 1, 1)},
        {"answers__level": "B1"},
        {"email": None},
    ],
    ids=lambda lookup: next(iter(lookup)),
)
def test_it_refuses_lookups_that_cannot_work_on_ciphertext(secret, lookup):
    with pytest.raises(FieldError, match="encrypted"):
        list(Secretive.objects.filter(**lookup))


def test_it_allows_isnull_lookups(secret, alice):
    Secretive.objects.create(owner=alice, name="No e-mail")

    assert Secretive.objects.filter(email__isnull=False).get() == secret
    assert Secretive.objects.filter(email__isnull=True).count() == 1


def test_it_validates_max_length_on_the_plaintext(alice):
    row = Secretive(owner=alice, name="x" * 101)

    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "name" in error.value.message_dict

    row.name = "x" * 100
    row.full_clean()
    row.save()
    # The token is far longer than max_length; the text column takes it.
    assert len(_stored(row, "name")["name"]) > 100
    assert Secretive.objects.get(pk=row.pk).name == "x" * 100


def test_it_parses_dates_given_as_text(alice):
    row = Secretive.objects.create(owner=alice, name="A", born_on="2012-02-29")

    assert Secretive.objects.get(pk=row.pk).born_on == datetime.date(2012, 2, 29)


# -- Blind index --------------------------------------------------------------------------------


def test_it_finds_a_row_by_blind_index_whatever_the_case_and_spaces(secret):
    found = Secretive.objects.filter(
        email_bidx=blind_index("  alice.martin@EXAMPLE.org ", purpose=EMAIL_PURPOSE)
    )

    assert list(found) == [secret]
    assert not Secretive.objects.filter(
        email_bidx=blind_index("bob@example.org", purpose=EMAIL_PURPOSE)
    ).exists()


def test_it_stores_the_blind_index_and_not_the_address(secret):
    stored = _stored(secret, "email_bidx")["email_bidx"]

    assert stored == blind_index("alice.martin@example.org", purpose=EMAIL_PURPOSE)
    assert secret.email_bidx == stored
    assert "alice" not in stored


def test_it_keeps_the_blind_index_in_step_with_its_source(secret):
    secret.email = "new@example.org"
    secret.save()
    assert Secretive.objects.get(email_bidx=blind_index("NEW@example.org", purpose=EMAIL_PURPOSE))

    secret.email = None
    secret.save()
    assert _stored(secret, "email_bidx")["email_bidx"] is None


# -- Migrations and checks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        EncryptedTextField(blank=True),
        EncryptedCharField(max_length=80, null=True),
        EncryptedDateField(null=True, blank=True),
        EncryptedJSONField(null=True),
        BlindIndexField(source="email", purpose="a.b"),
        BlindIndexField(source="email", purpose="a.b", unique=True, null=False),
    ],
    ids=lambda field: type(field).__name__,
)
def test_it_deconstructs_fields_for_migrations(field):
    name, path, args, kwargs = field.deconstruct()
    rebuilt = type(field)(*args, **kwargs)

    assert path.startswith("cll.core.encryption.")
    assert rebuilt.deconstruct() == (name, path, args, kwargs)
    for attribute in ("null", "blank", "max_length", "unique", "db_index", "editable"):
        assert getattr(rebuilt, attribute) == getattr(field, attribute)


def test_it_has_migrations_matching_the_test_models():
    call_command("makemigrations", "testapp", "--check", "--dry-run", stdout=io.StringIO())


def test_it_stores_encrypted_fields_in_text_columns():
    for name in ENCRYPTED_COLUMNS:
        field = Secretive._meta.get_field(name)
        assert field.db_type(connection) == connection.data_types["TextField"]


@isolate_apps("tests.testapp")
def test_it_refuses_indexes_and_uniqueness_on_encrypted_fields():
    class Indexed(models.Model):  # noqa: DJ008 (a throwaway model for checks)
        name = EncryptedTextField(unique=True)
        other = EncryptedCharField(max_length=10, db_index=True)

        class Meta:
            app_label = "testapp"

    errors = [error.id for error in Indexed.check()]

    assert errors.count("crypto.E001") == 2


@isolate_apps("tests.testapp")
def test_it_refuses_a_blind_index_of_an_unknown_field():
    class Orphan(models.Model):  # noqa: DJ008 (a throwaway model for checks)
        email_bidx = BlindIndexField(source="email", purpose="x")

        class Meta:
            app_label = "testapp"

    assert "crypto.E003" in [error.id for error in Orphan.check()]


def test_it_passes_the_checks_on_correctly_declared_models():
    assert Secretive.check() == []
    assert SystemSecret.check() == []
