"""Reads whose SQL is built once per database connection: for the reads every request makes.

Through the ORM each read builds its query again (``filter()``, the compiler, the SQL text:
about 0.3 ms of CPU each, more than the database takes to answer,
``bench/profile_page.py --signed-in /bench/hello``). ``PreparedQuery`` builds a QuerySet from
sample arguments once per connection, finds the SQL parameter each argument became, and then
only runs that SQL with the new arguments, prepared for the database by the same lookup objects
the ORM uses, and turns the rows into what iterating the QuerySet gives: model instances made
by ``Model.from_db`` with the columns converted (encrypted fields included), or the values of
``values_list()``. ``RowReader`` (the session and user reads) is its one-column case.

When nothing logs or wraps queries (``connection.queries_logged``, ``execute_wrappers``: DEBUG,
``CaptureQueriesContext``, a profiler), the SQL runs on the driver's own cursor, converted once
to the driver's style; otherwise through Django's cursor like any query, so that what counts
queries counts these.

Everything the QuerySet holds besides its arguments is compiled in once: a value that changes
(the time, a setting) must be an argument, never computed inside ``build``.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.db.models.lookups import Lookup
from django.db.models.query import FlatValuesListIterable, ModelIterable, ValuesListIterable
from django.db.models.sql.where import WhereNode
from django.utils.asyncio import async_unsafe

# Each connection keeps its own plans (its converters and compiler are bound to it), in an
# attribute of the connection: a weak-keyed dictionary holding them would keep every thread's
# connection alive, since the plans refer to it.
_PLANS = "cll_prepared_plans"
_SHAPES = {ModelIterable: "model", ValuesListIterable: "tuples", FlatValuesListIterable: "flat"}


class PreparedQuery:
    """The rows of ``build(*args)``, a QuerySet, with its SQL built once per connection.

    ``samples``: one value per argument, of its type, to build the query with (never run).
    Each argument must be the value of exactly one lookup of the query's filters
    (``filter(subject=subject)``), and its sample must equal no other value of the query;
    otherwise, and for what the rows cannot be rebuilt from (``select_related``,
    ``prefetch_related``, ``values()``, ...), building refuses with ValueError.
    """

    def __init__(self, build: Callable[..., models.QuerySet], *samples: Any):
        self.build = build
        self.samples = samples
        self._lock = threading.Lock()
        self._first: PreparedQuery | None = None
        self._default_db: str | None = None

    def rows(self, *args: Any, using: str | None = None) -> list:
        """``list(build(*args))``: model instances, values_list() tuples or flat values."""
        if len(args) != len(self.samples):
            raise TypeError(f"{len(self.samples)} arguments expected, {len(args)} given.")
        alias = using or self._default_db or self._learn_default_db()
        connection = connections[alias]
        plans = connection.__dict__.get(_PLANS)
        plan = plans.get(self) if plans is not None else None
        if plan is None:
            plan = self._plan(connection, alias)
        params = plan.params_for(args)
        if params is None:  # None, or a value changing the SQL: the ORM decides what it means
            return list(self.build(*args).using(alias))
        return plan.run(connection, params)

    def first(self, *args: Any, using: str | None = None) -> Any:
        """``build(*args).first()``: the first row (by primary key if unordered) or None."""
        if self._first is None:
            with self._lock:
                if self._first is None:
                    build = self.build
                    self._first = PreparedQuery(lambda *a: _first_of(build(*a)), *self.samples)
        rows = self._first.rows(*args, using=using)
        return rows[0] if rows else None

    def _learn_default_db(self) -> str:
        # As the QuerySet's ``db`` for reading (the routers' choice), learnt once.
        self._default_db = _built(self.build, self.samples).db
        return self._default_db

    def _plan(self, connection, alias: str) -> _Plan:
        with self._lock:
            plans = connection.__dict__.setdefault(_PLANS, weakref.WeakKeyDictionary())
            plan = plans.get(self)
            if plan is None:
                plan = plans[self] = _Plan(self.build, self.samples, connection, alias)
        return plan


class RowReader:
    """The row whose ``column`` is a value (the first, if several), as
    ``Model._default_manager.filter(<column>=value)`` reads it, or None."""

    def __init__(self, model: type[models.Model], column: str, *, sample: Any):
        # ``sample``: a value of the column's type, to build the query with (never run).
        self.model = model
        self.column = column
        manager = model._default_manager
        self._query = PreparedQuery(lambda value: manager.filter(**{column: value})[:1], sample)

    def get(self, value, *, using: str | None = None) -> models.Model | None:
        rows = self._query.rows(value, using=using)
        return rows[0] if rows else None


def _first_of(queryset: models.QuerySet) -> models.QuerySet:
    # The query QuerySet.first() runs: ordered by primary key unless ordered (or its ordering
    # cleared), one row.
    if not queryset.ordered and queryset.query.default_ordering:
        queryset = queryset.order_by("pk")
    return queryset[:1]


class _Plan:
    """One query built for one connection: its SQL, where each argument goes, how rows read."""

    def __init__(self, build, samples: tuple, connection, alias: str):
        queryset = _built(build, samples)
        name = f"QuerySet of {queryset.model.__name__}"
        _refuse_unsupported(queryset, name, alias)
        self.alias = alias
        self.compiler = compiler = queryset.query.get_compiler(connection=connection)
        sql, params = _as_sql(compiler, name)
        # Built twice, the query must be the same: else something in it changes (the time...)
        # and would be frozen at its first value.
        again = _as_sql(build(*samples).query.get_compiler(connection=connection), name)
        if again[0] != sql or not _same_params(again[1], params):
            raise ValueError(
                f"{name}: the query changes from one build to the next; pass what changes "
                "(the time, ...) as an argument."
            )
        self.sql, self.params = sql, tuple(params)
        self.arguments = [
            _argument(compiler, queryset.query.where, index, sample, params, name)
            for index, sample in enumerate(samples)
        ]
        if len({argument[1] for argument in self.arguments}) != len(samples):
            raise ValueError(f"{name}: two arguments are the same parameter; use other samples.")
        self._read_rows_as(queryset, compiler, name)
        self.driver_sql, self.driver_execute = _driver_for(connection, sql)

    def params_for(self, args: tuple) -> list | None:
        """The query's parameters with ``args`` in their places, prepared by their lookups as
        the ORM prepares them; None when an argument would change the SQL itself (None is IS
        NULL, an expression...): the ORM must build that query."""
        params = list(self.params)
        compiler, connection = self.compiler, self.compiler.connection
        for index, position, lookup_class, lhs, rhs_sql, as_is in self.arguments:
            value = args[index]
            if value.__class__ is as_is:
                params[position] = value  # what the lookup would hand over (_passed_as_is)
                continue
            if value is None or hasattr(value, "resolve_expression"):
                return None
            # The lookup's right-hand side, as its as_sql() compiles it (checked when built).
            sql, prepared = lookup_class(lhs, value).process_rhs(compiler, connection)
            if sql != rhs_sql or len(prepared) != 1:
                return None
            params[position] = prepared[0]
        return params

    def run(self, connection, params: list) -> list:
        if self.driver_execute is None or connection.queries_logged or connection.execute_wrappers:
            # Through Django's cursor: what logs and wraps queries (tests counting them, a
            # profiler's execute_wrapper) sees this one as any other.
            with connection.cursor() as cursor:
                cursor.execute(self.sql, params)
                rows = cursor.fetchall()
        else:
            rows = self._run_on_driver(connection, params)
        if self.extra_columns:
            rows = [row[: self.col_count] for row in rows]
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        return self.shape(rows)

    @async_unsafe
    def _run_on_driver(self, connection, params: list) -> list:
        # What connection.cursor() and CursorWrapper.execute() do around the driver's execute,
        # in the same order, without a wrapper per query and with the SQL already in the
        # driver's style (Django's SQLite cursor converts it with a regular expression on every
        # execute: a quarter of a short read's time).
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        connection.validate_thread_sharing()
        connection.validate_no_broken_transaction()
        with connection.wrap_database_errors:
            cursor = connection.create_cursor()
            try:
                self.driver_execute(cursor, self.driver_sql, params)
                return cursor.fetchall()
            finally:
                cursor.close()

    def _read_rows_as(self, queryset, compiler, name: str) -> None:
        # What iterating the QuerySet does with the rows (ModelIterable, ValuesListIterable,
        # FlatValuesListIterable), from the compiler's own description of its columns.
        columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ValueError(f"{name}: not supported: composite fields.")
        self.col_count = compiler.col_count
        self.extra_columns = compiler.has_extra_select
        self.converters = compiler.get_converters(columns)
        shape = _SHAPES[queryset._iterable_class]
        if shape == "flat":
            self.shape = lambda rows: [row[0] for row in rows]
        elif shape == "tuples":
            self.shape = lambda rows: [tuple(row) for row in rows]
        else:
            self.shape = self._model_reader(queryset, compiler, name)

    def _model_reader(self, queryset, compiler, name: str) -> Callable[[Iterator], list]:
        klass_info = compiler.klass_info
        if klass_info.get("related_klass_infos"):
            raise ValueError(f"{name}: not supported: select_related().")
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column.target.attname for column, _sql, _alias in compiler.select[start:end]]
        annotations = list((compiler.annotation_col_map or {}).items())
        fetch_mode = queryset._fetch_mode
        from_db = model.from_db
        alias = self.alias

        def instances(rows) -> list:
            objects = []
            for row in rows:
                instance = from_db(alias, names, row[start:end], fetch_mode=fetch_mode)
                for attribute, position in annotations:
                    setattr(instance, attribute, row[position])
                objects.append(instance)
            if fetch_mode.track_peers:
                peers = [weakref.ref(instance) for instance in objects]
                for instance in objects:
                    instance._state.peers = peers
            return objects

        return instances


def _driver_for(connection, sql: str) -> tuple[str, Callable | None]:
    """The query as the database driver takes it, and the execute of the driver's cursor class
    that Django's cursor would call, on the backends whose cursor does nothing else to a query:
    SQLite (Django's cursor converts ``%s`` to ``?``: done here, once, by that cursor's own
    method) and PostgreSQL (psycopg takes Django's SQL as it is). None on other backends: the
    query then always goes through Django's cursor."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return sql, None
    connection.ensure_connection()
    cursor = connection.create_cursor()
    try:
        if connection.vendor == "sqlite":
            # SQLiteCursorWrapper: convert_query(), then the sqlite3 cursor's execute.
            return cursor.convert_query(sql), sqlite3.Cursor.execute
        return sql, type(cursor).execute
    finally:
        cursor.close()


def _built(build, samples: tuple) -> models.QuerySet:
    queryset = build(*samples)
    if not isinstance(queryset, models.QuerySet):
        raise ValueError(f"{build!r} must return a QuerySet, not {type(queryset).__name__}.")
    return queryset


def _refuse_unsupported(queryset, name: str, alias: str) -> None:
    query = queryset.query
    refused = [
        (queryset._iterable_class not in _SHAPES, "values() and named values_list()"),
        (bool(query.select_related), "select_related()"),
        (bool(queryset._prefetch_related_lookups), "prefetch_related()"),
        (bool(queryset._known_related_objects), "a related manager's objects"),
        (bool(query.combinator), "union(), intersection() and difference()"),
        (bool(query.select_for_update), "select_for_update()"),
        (queryset._db not in (None, alias), f"another database than {alias!r}"),
    ]
    for is_refused, what in refused:
        if is_refused:
            raise ValueError(f"{name}: not supported: {what}.")


def _as_sql(compiler, name: str) -> tuple[str, tuple]:
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        sql = ""
    if not sql:
        raise ValueError(f"{name}: the query reads nothing whatever its arguments.")
    return sql, tuple(params)


def _argument(compiler, where: WhereNode, index: int, sample, params: tuple, name: str) -> tuple:
    """Where argument ``index`` goes: (index, its position among the query's parameters, its
    lookup's class, left-hand side and right-hand side's SQL)."""
    lookups = [lookup for lookup in _lookups(where) if _matches(lookup.rhs, sample)]
    if len(lookups) != 1:
        raise ValueError(
            f"{name}: argument {index + 1} (sample {sample!r}) is the value of "
            f"{len(lookups)} of the query's filters, not of exactly one; use another sample, or "
            "make it the value of one filter (filter(column=argument))."
        )
    lookup = lookups[0]
    lookup_sql, lookup_params = compiler.compile(lookup)
    rhs_sql, rhs_params = lookup.process_rhs(compiler, compiler.connection)
    # Its one parameter, the last of the lookup's (after the left-hand side's), found once in
    # the query's.
    positions = []
    if (
        len(rhs_params) == 1
        and rhs_sql in lookup_sql
        and lookup_params
        and _matches(lookup_params[-1], rhs_params[0])
    ):
        positions = [i for i, param in enumerate(params) if _matches(param, rhs_params[0])]
    if len(positions) != 1:
        raise ValueError(
            f"{name}: argument {index + 1} (sample {sample!r}) is not exactly one parameter of "
            f"the query {params!r}; use another sample, or another lookup."
        )
    return index, positions[0], type(lookup), lookup.lhs, rhs_sql, _passed_as_is(lookup)


# An auto primary key's (AutoFieldMixin): validates the value, hands it on as it is.
_AUTO_DB_PREP = models.AutoField.get_db_prep_value


def _passed_as_is(lookup: Lookup) -> type | None:
    """``int`` or ``str`` when an exact lookup hands any value of that type to the database as
    it is (Django's own integer and text fields, or a foreign key to one: ``get_prep_value`` is
    ``int()``/``str()`` and the backends pass the result on), so the argument needs no lookup
    object per call; None otherwise."""
    if lookup.lookup_name != "exact":
        return None
    field = lookup.lhs.output_field
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    kind = type(field)
    for python_type, base in ((int, models.IntegerField), (str, models.CharField)):
        if (
            isinstance(field, base)
            and kind.get_prep_value is base.get_prep_value
            and kind.get_db_prep_value in (base.get_db_prep_value, _AUTO_DB_PREP)
            and kind.to_python is base.to_python
        ):
            return python_type
    return None


def _lookups(node: WhereNode) -> Iterator[Lookup]:
    for child in node.children:
        if isinstance(child, WhereNode):
            yield from _lookups(child)
        elif isinstance(child, Lookup):
            yield child


def _matches(value, sample) -> bool:
    if value is sample:
        return True
    if hasattr(value, "resolve_expression"):
        return False
    try:
        return bool(value == sample)
    except Exception:  # a value that cannot be compared is not the sample
        return False


def _same_params(first: tuple, second: tuple) -> bool:
    # Parameters wrapped for the database driver (JSON...) may not compare equal: their repr does.
    return len(first) == len(second) and all(
        a == b or (type(a) is type(b) and repr(a) == repr(b))
        for a, b in zip(first, second, strict=True)
    )
