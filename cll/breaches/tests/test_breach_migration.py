"""The register moved from the privacy app to its own without touching its tables: the
migrations change the apps' state only (the tables, their columns, index and constraint keep their
names), so every row recorded before the move is there after it.

Read from the migration files, without a database: migrating the test database back and forth
to prove it with rows costs seconds of state rendering (that was checked by hand when the register
moved, issue 10, on a copy of a database holding a breach, a notice and a notification).
"""

from __future__ import annotations

import pytest
from django.db import migrations
from django.db.migrations.loader import MigrationLoader

TABLES = {
    "breach": "privacy_breach",
    "breachnotice": "privacy_breachnotice",
    "breachnotification": "privacy_breachnotification",
}


def _state(loader: MigrationLoader, nodes):
    return loader.project_state(nodes).apps


def _columns(model) -> list[tuple[str, str, bool]]:
    return [(f.column, f.get_internal_type(), f.null) for f in model._meta.fields]


def test_it_moves_the_models_without_touching_the_tables():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    old = _state(loader, [("privacy", "0005_datakey_to_core")])
    new = _state(loader, loader.graph.leaf_nodes())
    for model, table in TABLES.items():
        before, after = old.get_model("privacy", model), new.get_model("breaches", model)
        assert before._meta.db_table == after._meta.db_table == table
        assert _columns(before) == _columns(after)
        assert [i.name for i in before._meta.indexes] == [i.name for i in after._meta.indexes]
        assert [c.name for c in before._meta.constraints] == [
            c.name for c in after._meta.constraints
        ]
    with pytest.raises(LookupError):
        new.get_model("privacy", "breach")
    # Both migrations change the state only (and relabel the content types): no schema change.
    for label, name in (("breaches", "0001_initial"), ("privacy", "0006_breaches_to_own_app")):
        for operation in loader.get_migration(label, name).operations:
            if isinstance(operation, migrations.SeparateDatabaseAndState):
                assert operation.database_operations == []
            else:
                assert isinstance(operation, migrations.RunPython), operation
