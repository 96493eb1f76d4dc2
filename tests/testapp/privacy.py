"""Data map of the test-only app, so that ``subject_of`` finds whose key seals each row."""

from dataclasses import replace

from django.apps import apps

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


# The OpenID Connect provider that tests/oidc serves on loopback stands in for Google or
# Microsoft: its tables belong to "the other side" and exist only in the test database. They are
# declared so the data-map check stays strict (privacy.W001) under the test settings too.
if apps.is_installed("oauth2_provider"):
    _provider_side = FieldRule(
        Category.SECURITY, (TESTING,), Basis.CONTRACT, TEST_RETENTION, Erasure.DELETE, readers=()
    )
    for _model in apps.get_app_config("oauth2_provider").get_models():
        register(
            _model._meta.label,
            subject="user",
            third_party=True,
            description="Test-only OpenID Connect provider (tests/oidc).",
            fields=same(_provider_side, *(f.name for f in _model._meta.concrete_fields)),
        )
