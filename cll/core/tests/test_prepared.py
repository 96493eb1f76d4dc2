"""A row read with a query built once is the row the ORM reads (cll/core/prepared.py), and the
session and user reads of every request use it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user
from django.contrib.sessions.models import Session
from django.db.models import Model

from cll.accounts.models import LearnerProfile
from cll.accounts.services import profile_create
from cll.core.prepared import RowReader
from cll.core.sessions.db import SessionStore


def _fields(instance: Model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


@pytest.mark.django_db
def test_it_reads_the_row_the_orm_reads_encrypted_fields_included(alice):
    profile = profile_create(
        user=alice,
        data={"first_name": "Alice", "last_name": "Lambert", "city": "Namur", "country": "BE"},
    )
    read = RowReader(LearnerProfile, "user_id", sample=0).get(alice.pk)
    assert type(read) is LearnerProfile
    assert _fields(read) == _fields(LearnerProfile.objects.get(pk=profile.pk))
    assert read.first_name == "Alice"
    assert read._state.adding is False
    assert RowReader(LearnerProfile, "user_id", sample=0).get(alice.pk + 1000) is None


@pytest.mark.django_db
def test_it_refuses_a_sample_the_query_would_change():
    with pytest.raises(ValueError, match="query"):
        RowReader(Session, "expire_date__year", sample=2026).get(2026)


@pytest.mark.django_db
def test_a_signed_in_request_reads_its_session_and_user_this_way(client, alice):
    client.force_login(alice)
    request = client.get("/fr/account/profile/").wsgi_request
    assert get_user(request) == alice
    assert type(request.session).__module__.startswith("cll.core.sessions")


@pytest.mark.django_db
def test_the_database_session_store_reads_as_djangos_does():
    store = SessionStore()
    store["answer"] = 42
    store.create()
    assert SessionStore(store.session_key).load() == {"answer": 42}
    # An expired session is gone and its key forgotten, as with Django's store.
    Session.objects.update(expire_date="2000-01-01T00:00:00Z")
    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None
    assert SessionStore("no-such-key-at-all").load() == {}
