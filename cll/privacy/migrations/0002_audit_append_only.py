"""Make the audit ledger append-only in the database itself, not only in the ORM."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER privacy_auditentry_no_update BEFORE UPDATE ON privacy_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    """CREATE TRIGGER privacy_auditentry_no_delete BEFORE DELETE ON privacy_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_update",
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_delete",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION privacy_auditentry_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER privacy_auditentry_append_only BEFORE UPDATE OR DELETE
       ON privacy_auditentry FOR EACH ROW EXECUTE FUNCTION privacy_auditentry_append_only()""",
    # TRUNCATE skips row triggers; forbid it with a statement trigger.
    """CREATE TRIGGER privacy_auditentry_no_truncate BEFORE TRUNCATE
       ON privacy_auditentry FOR EACH STATEMENT EXECUTE FUNCTION privacy_auditentry_append_only()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_truncate ON privacy_auditentry",
    "DROP TRIGGER IF EXISTS privacy_auditentry_append_only ON privacy_auditentry",
    "DROP FUNCTION IF EXISTS privacy_auditentry_append_only()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
