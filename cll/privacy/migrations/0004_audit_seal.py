"""Seals of the evidence retention: the ledger's oldest entries may be deleted once a seal
covers them, and only then (the append-only triggers of 0002 are narrowed to that)."""

from django.db import migrations, models

# Same trigger names as 0002, so what lifts those triggers (the test suite's flush) lifts these.
SQLITE = [
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_delete",
    """CREATE TRIGGER privacy_auditentry_no_delete BEFORE DELETE ON privacy_auditentry
       WHEN OLD.seq > (SELECT COALESCE(MAX(seq), 0) FROM privacy_auditseal)
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_delete",
    """CREATE TRIGGER privacy_auditentry_no_delete BEFORE DELETE ON privacy_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION privacy_auditentry_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE'
            AND OLD.seq <= (SELECT COALESCE(MAX(seq), 0) FROM privacy_auditseal) THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'audit entries are append-only';
       END; $$ LANGUAGE plpgsql""",
]
POSTGRES_REVERSE = [
    """CREATE OR REPLACE FUNCTION privacy_auditentry_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql""",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("privacy", "0003_retention_breaches")]

    operations = [
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False)),
                ("hash", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField()),
                ("removed", models.PositiveIntegerField()),
            ],
            options={"verbose_name": "audit seal", "verbose_name_plural": "audit seals"},
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
