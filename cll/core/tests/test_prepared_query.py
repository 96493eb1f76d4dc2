"""A query built once per connection reads what the ORM reads (cll/core/prepared.py): the same
SQL with the same parameters, the same rows as the same objects and values; and the reads of the
profile and privacy pages that use it answer as their QuerySets do."""

from __future__ import annotations

import asyncio
import datetime
import gc
import threading
import uuid
import weakref
from types import SimpleNamespace

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.exceptions import SynchronousOnlyOperation
from django.db import (
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, Model, Q, Value
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cll.accounts import selectors as account_selectors
from cll.accounts.models import PROFILE_FIELDS, Guardianship, LearnerProfile, User
from cll.accounts.selectors import PROFILE_ACTIONS, children_of
from cll.accounts.services import profile_create, profile_update
from cll.core.prepared import PreparedQuery
from cll.privacy.models import AuditEntry
from cll.rights import selectors as rights_selectors
from cll.rights.models import ExportJob, Objection, Restriction


def _snapshot(rows) -> list:
    """Everything a row is: its type, and for an instance every attribute with its type, its
    database, whether it is new and which fields are deferred."""
    return [_one(row) for row in rows]


def _one(row):
    if isinstance(row, Model):
        values = {name: (type(v), v) for name, v in vars(row).items() if name != "_state"}
        state = (row._state.db, row._state.adding, row.get_deferred_fields())
        return type(row), values, state
    if isinstance(row, tuple):
        return tuple, tuple((type(v), v) for v in row)
    return type(row), row


def _run(read, *args):
    """What ``read(*args)`` answers, and the SQL it ran (with its parameters, as the database
    driver received them)."""
    with CaptureQueriesContext(connection) as queries:
        answer = read(*args)
    return answer, [query["sql"] for query in queries.captured_queries]


@pytest.fixture
def world(alice, bob, gina, django_user_model):
    def child(email):
        return django_user_model.objects.create_user(email=email, password="x")

    data = {}
    for user, first, birth in [(alice, "Alice", datetime.date(1990, 4, 1)), (bob, "Bob", None)]:
        data[user] = {"first_name": first, "last_name": "L", "city": "Namur", "birth_date": birth}
        profile_create(user=user, data=data[user])
    for user, city in [(alice, "Liège"), (alice, "Mons"), (alice, "Gand"), (bob, "Arlon")]:
        profile_update(user=user, data={**data[user], "city": city}, actor=user)
    older, younger, bobs = child("c1@example.org"), child("c2@example.org"), child("c3@ex.org")
    User.objects.filter(pk=older.pk).update(date_joined=timezone.now() - datetime.timedelta(9))
    for guardian, ward in [(gina, younger), (gina, older), (bob, bobs)]:
        Guardianship.objects.create(guardian=guardian, child=ward, policy_version="1")
    Guardianship.objects.create(
        guardian=bob, child=older, policy_version="1", status=Guardianship.Status.HANDED_OVER
    )
    Objection.objects.create(subject=alice, purpose="marketing")
    Objection.objects.create(subject=alice, purpose="analytics")
    Objection.objects.create(subject=bob, purpose="analytics")
    Restriction.objects.create(subject=bob, reason="Contesting accuracy")
    for user in [alice, alice, bob]:
        ExportJob.objects.create(subject=user, language="fr")
    for uid, provider in [("9", "google"), ("3", "github"), ("1", "google")]:
        SocialAccount.objects.create(user=alice, provider=provider, uid=uid, extra_data={"a": 1})
    return SimpleNamespace(alice=alice, bob=bob, gina=gina, older=older)


def _objections_two_arguments(subject, purpose):
    return Objection.objects.filter(subject=subject, purpose=purpose)


# (build, samples, arguments of a first read, arguments of a second read)
CASES = {
    "plain filter, encrypted fields": (
        lambda user: LearnerProfile.objects.filter(user=user),
        (0,),
        lambda w: (w.alice.pk,),
        lambda w: (w.bob.pk,),
    ),
    "UUID argument, order_by and slice": (
        lambda subject: AuditEntry.objects.filter(
            subject=subject, action__in=PROFILE_ACTIONS
        ).order_by("-seq")[1:3],
        (uuid.UUID(int=1),),
        lambda w: (w.alice.public_id,),
        lambda w: (w.bob.public_id,),
    ),
    "a string for a UUID": (
        lambda subject: AuditEntry.objects.filter(subject=subject).order_by("id"),
        (uuid.UUID(int=1),),
        lambda w: (str(w.alice.public_id),),
        lambda w: (w.bob.public_id.hex,),
    ),
    "values_list flat": (
        lambda user: (
            Objection.objects.filter(subject=user)
            .order_by("purpose")
            .values_list("purpose", flat=True)
        ),
        (0,),
        lambda w: (w.alice.pk,),
        lambda w: (w.bob.pk,),
    ),
    "values_list tuples": (
        lambda user: (
            Objection.objects.filter(subject=user)
            .order_by("-purpose")
            .values_list("public_id", "created_at", "subject__email")
        ),
        (0,),
        lambda w: (w.alice.pk,),
        lambda w: (w.bob.pk,),
    ),
    "a join": (children_of, (0,), lambda w: (w.gina.pk,), lambda w: (w.bob.pk,)),
    "two arguments": (
        _objections_two_arguments,
        (0, "sample"),
        lambda w: (w.alice.pk, "marketing"),
        lambda w: (w.bob.pk, "analytics"),
    ),
    "deferred fields and an annotation": (
        lambda user: User.objects.filter(pk=user).only("email").annotate(n=Count("objections")),
        (0,),
        lambda w: (w.alice.pk,),
        lambda w: (w.gina.pk,),
    ),
    "a model instance as the argument": (
        lambda user: ExportJob.objects.filter(subject=user).order_by("pk"),
        (0,),
        lambda w: (w.alice,),
        lambda w: (w.bob,),
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_it_runs_the_orms_sql_and_reads_the_orms_rows(world, case):
    build, samples, first_args, second_args = case
    prepared = PreparedQuery(build, *samples)
    for args in [first_args(world), second_args(world)]:
        expected, expected_sql = _run(lambda *a: list(build(*a)), *args)
        read, sql = _run(prepared.rows, *args)
        assert sql == expected_sql
        assert _snapshot(read) == _snapshot(expected)
        assert read, "each case reads some rows"
        assert _snapshot([prepared.first(*args)]) == _snapshot([build(*args).first()])
    assert _snapshot(prepared.rows(*first_args(world))) != _snapshot(
        prepared.rows(*second_args(world))
    )


def _sql_sent(read, *args, table: str) -> list[str]:
    """The SQL reading ``table`` that ``read(*args)`` hands Django's cursor, as it hands it
    (parameters apart): not the reads of the keys of encrypted values."""
    sent = []

    def wrapper(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        read(*args)
    return [sql for sql in sent if f'FROM "{table}"' in sql]


def _through_django_cursor(monkeypatch, *sql: str):
    """Make Django's cursor refuse to execute these queries: a read of them that still answers
    went to the driver (other queries, such as reading the key of an encrypted value, still run)."""
    execute = CursorWrapper.execute

    def refuse(cursor, query, params=None):
        assert query not in sql, "this read went through Django's cursor"
        return execute(cursor, query, params)

    monkeypatch.setattr(CursorWrapper, "execute", refuse)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_unlogged_it_runs_on_the_driver_and_reads_the_same_rows(world, case, monkeypatch):
    # Nothing logs or wraps queries here (no CaptureQueriesContext, DEBUG off): the SQL goes
    # straight to the driver's cursor, in the driver's style, once converted.
    build, samples, first_args, second_args = case
    prepared = PreparedQuery(build, *samples)
    arguments = [first_args(world), second_args(world)]
    expected = [list(build(*args)) for args in arguments]
    firsts = [build(*args).first() for args in arguments]
    table = build(*samples).model._meta.db_table
    sql = {query for args in arguments for query in _sql_sent(prepared.rows, *args, table=table)}
    sql |= {query for args in arguments for query in _sql_sent(prepared.first, *args, table=table)}
    assert sql
    assert not connection.queries_logged and not connection.execute_wrappers
    _through_django_cursor(monkeypatch, *sql)
    for args, rows, first in zip(arguments, expected, firsts, strict=True):
        assert _snapshot(prepared.rows(*args)) == _snapshot(rows)
        assert _snapshot([prepared.first(*args)]) == _snapshot([first])


@pytest.mark.django_db
def test_a_literal_percent_in_the_query_reads_as_the_orm_reads_it(world, monkeypatch):
    # The ORM writes a constant LIKE pattern's % as %% for the driver's format style.
    build = lambda user: Objection.objects.filter(subject=user, purpose__contains="ket")  # noqa: E731
    prepared = PreparedQuery(build, 0)
    expected = _snapshot(list(build(world.alice.pk)))
    sent = _sql_sent(prepared.rows, world.alice.pk, table="rights_objection")
    _through_django_cursor(monkeypatch, *sent)
    assert _snapshot(prepared.rows(world.alice.pk)) == expected
    assert expected


@pytest.mark.django_db
def test_logged_or_wrapped_queries_go_through_djangos_cursor(world):
    prepared = PreparedQuery(lambda user: Objection.objects.filter(subject=user), 0)
    prepared.rows(world.alice.pk)  # built, first run on the driver
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        assert len(prepared.rows(world.alice.pk)) == 2
    with CaptureQueriesContext(connection) as queries:
        assert len(prepared.rows(world.bob.pk)) == 1
    assert len(seen) == 1 and len(queries.captured_queries) == 1


@pytest.mark.django_db
def test_on_the_driver_a_broken_transaction_refuses_as_djangos_cursor_does(world):
    prepared = PreparedQuery(lambda user: Objection.objects.filter(subject=user), 0)
    prepared.rows(world.alice.pk)
    with pytest.raises(TransactionManagementError), transaction.atomic():
        with pytest.raises(IntegrityError):
            Objection.objects.create(subject=world.alice, purpose="marketing")  # already there
        prepared.rows(world.alice.pk)


@pytest.mark.django_db
def test_on_the_driver_a_database_error_is_djangos(world):
    prepared = PreparedQuery(lambda user: Objection.objects.filter(subject=user), 0)
    prepared.rows(world.alice.pk)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE rights_objection RENAME TO rights_objection_gone")
    with pytest.raises(DatabaseError) as raised:
        prepared.rows(world.alice.pk)
    # Django's exception class, as its cursor raises it (not the driver's own).
    assert type(raised.value).__module__ == "django.db.utils"


@pytest.mark.django_db
def test_in_an_event_loop_it_refuses_as_the_orm_does(world):
    prepared = PreparedQuery(lambda user: Objection.objects.filter(subject=user), 0)
    prepared.rows(world.alice.pk)

    async def read():
        prepared.rows(1)

    with pytest.raises(SynchronousOnlyOperation):
        asyncio.run(read())


@pytest.mark.django_db
def test_it_reads_nothing_when_nothing_matches(world):
    prepared = PreparedQuery(lambda user: LearnerProfile.objects.filter(user=user), 0)
    assert prepared.rows(world.gina.pk) == []
    assert prepared.first(world.gina.pk) is None


@pytest.mark.django_db
def test_encrypted_values_are_decrypted_as_the_orm_decrypts_them(world):
    profile = PreparedQuery(lambda user: LearnerProfile.objects.filter(user=user), 0).first(
        world.alice.pk
    )
    assert (profile.first_name, profile.city, profile.birth_date) == (
        "Alice",
        "Gand",
        datetime.date(1990, 4, 1),
    )
    # Stored encrypted: the column itself is not the name.
    stored = LearnerProfile.objects.filter(pk=profile.pk).values_list("first_name", flat=True)
    assert "Alice" not in str(stored.query)


@pytest.mark.django_db
def test_none_is_read_as_the_orm_reads_it_is_null():
    prepared = PreparedQuery(
        lambda subject: AuditEntry.objects.filter(subject=subject), uuid.UUID(int=1)
    )
    AuditEntry.objects.create(at=timezone.now(), action="system.test")
    assert _snapshot(prepared.rows(None)) == _snapshot(
        list(AuditEntry.objects.filter(subject=None))
    )
    assert prepared.rows(None)


@pytest.mark.django_db(transaction=True)
def test_each_thread_reads_through_its_own_connection(alice, bob):
    profile_create(user=alice, data={"first_name": "Alice", "last_name": "L"})
    profile_create(user=bob, data={"first_name": "Bob", "last_name": "L"})
    prepared = PreparedQuery(lambda user: LearnerProfile.objects.filter(user=user), 0)
    here = prepared.first(alice.pk)
    there = {}

    def read():
        try:
            there["connection"] = weakref.ref(connections["default"])
            there["alice"], there["bob"] = prepared.first(alice.pk), prepared.first(bob.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert _snapshot([there["alice"]]) == _snapshot([here])
    assert _snapshot([there["bob"]]) == _snapshot([LearnerProfile.objects.get(user=bob)])
    # The thread's connection (its own, not this one) is gone with the thread: what was built
    # for it does not keep it.
    gc.collect()
    assert there["connection"]() is None


REFUSED = {
    "select_related": lambda u: LearnerProfile.objects.select_related("user").filter(user=u),
    "prefetch_related": lambda u: User.objects.prefetch_related("objections").filter(pk=u),
    "values()": lambda u: Objection.objects.filter(subject=u).values("purpose"),
    "an argument used twice": lambda u: Objection.objects.filter(Q(subject=u) | Q(pk=u)),
    "a sample equal to a constant": lambda u: ExportJob.objects.filter(subject=u, progress=0),
    "an argument changed by the query": lambda u: Objection.objects.filter(subject=u + 1),
    "an argument not a parameter": (lambda year: User.objects.filter(date_joined__year=year), 2026),
    "a sample equal to a selected value": lambda u: Objection.objects.filter(subject=u).annotate(
        zero=Value(0)
    ),
    "an argument in a list": lambda u: Objection.objects.filter(subject__in=[u, 7]),
    "the time, frozen at the first build": lambda u: ExportJob.objects.filter(
        subject=u, created_at__lte=timezone.now()
    ),
    "a query reading nothing": lambda u: Objection.objects.filter(subject=u, pk__in=[]),
    "a union": lambda u: Objection.objects.filter(subject=u).union(Objection.objects.all()),
    "not a QuerySet": lambda u: [u],
}


@pytest.mark.django_db
@pytest.mark.parametrize("build", REFUSED.values(), ids=REFUSED.keys())
def test_it_refuses_what_it_cannot_read_as_the_orm_does(build):
    build, sample = build if isinstance(build, tuple) else (build, 0)
    with pytest.raises(ValueError, match=r"not supported|argument|changes|nothing|QuerySet"):
        PreparedQuery(build, sample).rows(2027)


# -- The reads of the profile and privacy pages ---------------------------------------------


@pytest.mark.django_db
def test_the_profile_pages_reads_answer_as_their_querysets(world):
    for user in [world.alice, world.bob, world.gina]:
        assert _snapshot([account_selectors.profile_get_for(user=user)]) == _snapshot(
            [LearnerProfile.objects.filter(user=user).first()]
        )
        assert account_selectors.profile_history_latest_for(user) == list(
            account_selectors.profile_history_for(user).values_list("at", "fields")[:50]
        )
        assert _snapshot(account_selectors.children_list_of(user)) == _snapshot(children_of(user))
        assert _snapshot(account_selectors.social_accounts_of(user)) == _snapshot(
            SocialAccount.objects.filter(user=user).order_by("provider", "pk")
        )
    assert [c.email for c in account_selectors.children_list_of(world.gina)] == [
        "c1@example.org",
        "c2@example.org",
    ]
    assert len(account_selectors.profile_history_latest_for(world.alice)) == 4
    assert [a.uid for a in account_selectors.social_accounts_of(world.alice)] == ["3", "9", "1"]


@pytest.mark.django_db
def test_the_profile_page_reads_the_lists_only_of_whoever_has_them(world, django_user_model):
    # Dora has a profile and neither list; Erin's only child was handed over (not active).
    dora, erin = (
        django_user_model.objects.create_user(email=f"{name}@example.org", password="x")
        for name in ("dora", "erin")
    )
    for user in (dora, erin):
        profile_create(user=user, data={"first_name": user.email[:4], "last_name": "L"})
    Guardianship.objects.create(
        guardian=erin, child=world.older, policy_version="1", status=Guardianship.Status.HANDED_OVER
    )
    # alice: linked accounts; bob: a child; gina: children, no profile (then nothing says
    # what else exists: both lists are read).
    for user, reads in [(dora, 1), (erin, 1), (world.alice, 2), (world.bob, 2), (world.gina, 3)]:
        shown, sql = _run(lambda user=user: account_selectors.profile_page_for(user=user))
        # Not counted: the data keys' reads (a key made in a transaction never committed, as
        # here, is not kept by the key cache, cll/core/encryption.py).
        assert len([q for q in sql if '"privacy_datakey"' not in q]) == reads, user.email
        profile = LearnerProfile.objects.filter(user=user).first()
        assert shown.values == (
            {name: getattr(profile, name) for name in PROFILE_FIELDS} if profile else None
        )
        assert _snapshot(shown.social_accounts) == _snapshot(
            SocialAccount.objects.filter(user=user).order_by("provider", "pk")
        )
        assert _snapshot(shown.children) == _snapshot(children_of(user))
    assert [
        a.uid for a in account_selectors.profile_page_for(user=world.alice).social_accounts
    ] == [
        "3",
        "9",
        "1",
    ]
    assert [c.email for c in account_selectors.profile_page_for(user=world.bob).children] == [
        "c3@ex.org"
    ]


@pytest.mark.django_db
def test_the_privacy_pages_reads_answer_as_their_querysets(world):
    for user in [world.alice, world.bob, world.gina]:
        assert _snapshot([rights_selectors.restriction_for(user=user)]) == _snapshot(
            [Restriction.objects.filter(subject=user).first()]
        )
        assert rights_selectors.objections_of(user=user) == set(
            Objection.objects.filter(subject=user).values_list("purpose", flat=True)
        )
        assert _snapshot([rights_selectors.export_latest_for(user=user)]) == _snapshot(
            [ExportJob.objects.filter(subject=user).order_by("-created_at").first()]
        )
    assert rights_selectors.objections_of(user=world.alice) == {"marketing", "analytics"}
    assert rights_selectors.restriction_for(user=world.bob).reason == "Contesting accuracy"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("build", "sample", "argument", "as_is"),
    [
        # A foreign key to an integer key, an integer key, a text key: the value as it is.
        (lambda v: LearnerProfile.objects.filter(user=v), 0, 7, int),
        (lambda v: User.objects.filter(pk=v), 0, 7, int),
        (lambda v: SocialAccount.objects.filter(uid=v), "x", "y", str),
        # A UUID (hex on SQLite) and a range lookup: prepared by the lookup every time.
        (lambda v: AuditEntry.objects.filter(subject=v), uuid.UUID(int=1), uuid.uuid4(), None),
        (lambda v: User.objects.filter(pk__gt=v), 0, 7, None),
    ],
)
def test_a_value_the_lookup_would_not_change_is_handed_over_as_it_is(
    build, sample, argument, as_is
):
    query = PreparedQuery(build, sample)
    query.rows(sample)
    plan = connections["default"].__dict__["cll_prepared_plans"][query]
    assert plan.arguments[0][-1] is as_is
    with CaptureQueriesContext(connection) as ours:
        query.rows(argument)
    with CaptureQueriesContext(connection) as theirs:
        list(build(argument))
    # The SQL as run, with its parameters written in.
    assert ours.captured_queries[0]["sql"] == theirs.captured_queries[0]["sql"]
