"""Data map of the test-only app, so that ``subject_of`` finds whose key seals each row."""

from dataclasses import replace

from cll.privacy.datamap import (
    NOT_PERSONAL,
    Basis,
    Category,
    Erasure,
    FieldRule,
    purpose,
    register,
    retention_rule,
    same,
)

TESTING = purpose("testing", "Exercising encryption at rest in the test suite.")
TEST_RETENTION = retention_rule("testing", "Test data: removed with the test database.", days=1)

_secret = FieldRule(
    Category.IDENTITY,
    (TESTING,),
    Basis.CONTRACT,
    TEST_RETENTION,
    Erasure.DELETE,
    encrypted=True,
)

register(
    "testapp.Secretive",
    subject="owner",
    description="Test rows about a person, with encrypted fields.",
    fields={
        **same(NOT_PERSONAL, "id"),
        **same(_secret, "name", "note", "email", "born_on", "answers"),
        "owner": FieldRule(
            Category.IDENTITY, (TESTING,), Basis.CONTRACT, TEST_RETENTION, Erasure.DELETE
        ),
        "email_bidx": FieldRule(
            Category.CONTACT, (TESTING,), Basis.CONTRACT, TEST_RETENTION, Erasure.DELETE
        ),
    },
)

register(
    "testapp.SystemSecret",
    subject=None,
    description="Test rows about no one, encrypted with the system key.",
    fields={
        **same(NOT_PERSONAL, "id"),
        # A provider's credential: not personal data, but secret.
        "value": replace(NOT_PERSONAL, encrypted=True),
    },
)
