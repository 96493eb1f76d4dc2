"""One row by one column, with the query built once: for the reads every request makes.

Every signed-in request reads its session and its user. Through the ORM each read builds its
query again (``filter()``, the compiler, the SQL text: about 0.3 ms of CPU each, more than the
database takes to answer, ``bench/profile_page.py --signed-in /bench/hello``). ``RowReader``
builds the query of ``Model._default_manager.filter(<column>=value)`` once per database and
then only runs it, converting the columns as the ORM does (encrypted fields included), into an
instance made by ``Model.from_db``: the same object the ORM would give.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from django.db import connections, models


class RowReader:
    def __init__(self, model: type[models.Model], column: str, *, sample: Any):
        # ``sample``: a value of the column's type, to build the query with (never run).
        self.model = model
        self.column = column
        self.sample = sample
        # Per connection: the converters are the connection's own (one per thread).
        self._built: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, value, *, using: str = "default") -> models.Model | None:
        """The row whose column is ``value`` (the first, if several), or None."""
        connection = connections[using]
        sql, names, converters = self._built.get(connection) or self._build(connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, (value,))
            row = cursor.fetchone()
        if row is None:
            return None
        if converters:
            row = list(row)
            for position, (functions, expression) in converters.items():
                for convert in functions:
                    row[position] = convert(row[position], expression, connection)
        return self.model.from_db(using, names, row)

    def _build(self, connection) -> tuple:
        with self._lock:
            queryset = self.model._default_manager.using(connection.alias).filter(
                **{self.column: self.sample}
            )
            compiler = queryset.query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            if list(params) != [self.sample]:
                raise ValueError(f"{self.model.__name__}.{self.column}: the query has {params!r}.")
            names = [column.target.attname for column, _sql, _alias in compiler.select]
            converters = compiler.get_converters(
                [column for column, _sql, _alias in compiler.select]
            )
            built = (sql, names, converters)
            self._built[connection] = built
        return built
