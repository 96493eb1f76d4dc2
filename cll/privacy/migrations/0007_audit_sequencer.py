"""The ledger's place in the chain is given after commit, by the sequencer (cll/privacy/ledger.py).

- ``id`` becomes the primary key (the order entries were written); existing entries keep their
  number in it, so ``id`` and ``seq`` agree for everything written before this migration.
- ``seq``, ``prev_hash`` and ``hash`` may be NULL: an entry has no place until it is chained.
  ``hash`` is no longer unique (``seq`` is what keeps the chain from forking): its two indexes
  cost a sizeable share of every audited write.
- ``key_id``: the CLL_AUDIT_KEY entry the hash was made with; empty for the entries of before,
  whose plain SHA-256 hashes are kept as they are (re-hashing them would destroy the evidence):
  the keyed chain starts from the last of them.
- The append-only triggers allow exactly one UPDATE more: the sequencer setting seq, prev_hash,
  hash and key_id on an entry that has none, nothing else changing. A DELETE of an entry not
  chained yet is refused too.

No UPDATE of the existing rows is needed (the triggers are never lifted): on PostgreSQL the old
``seq`` column is renamed ``id`` and the new ``seq`` is filled by a generated column that is
then made a plain one; on SQLite the table is rebuilt.
"""

from django.db import migrations, models

# Same trigger names as 0002 and 0004: what lifts those (the test suite's flush) lifts these.
# Each list can be run again after 0002's and 0004's (conftest.py restores them in that order).
SQLITE = [
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_update",
    """CREATE TRIGGER privacy_auditentry_no_update BEFORE UPDATE ON privacy_auditentry
       WHEN NOT (
         OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL AND OLD.key_id = ''
         AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
         AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor
         AND NEW.actor_role IS OLD.actor_role AND NEW.subject IS OLD.subject
         AND NEW.action IS OLD.action AND NEW.target IS OLD.target
         AND NEW.fields IS OLD.fields AND NEW.route IS OLD.route AND NEW.detail IS OLD.detail
       )
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_delete",
    """CREATE TRIGGER privacy_auditentry_no_delete BEFORE DELETE ON privacy_auditentry
       WHEN OLD.seq IS NULL OR OLD.seq > (SELECT COALESCE(MAX(seq), 0) FROM privacy_auditseal)
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION privacy_auditentry_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN
           IF OLD.seq IS NOT NULL
              AND OLD.seq <= (SELECT COALESCE(MAX(seq), 0) FROM privacy_auditseal) THEN
             RETURN OLD;
           END IF;
         ELSIF TG_OP = 'UPDATE' THEN
           IF OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL AND OLD.key_id = ''
              AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
              AND (NEW.id, NEW.at, NEW.actor, NEW.actor_role, NEW.subject, NEW.action,
                   NEW.target, NEW.fields, NEW.route, NEW.detail)
                  IS NOT DISTINCT FROM
                  (OLD.id, OLD.at, OLD.actor, OLD.actor_role, OLD.subject, OLD.action,
                   OLD.target, OLD.fields, OLD.route, OLD.detail) THEN
             RETURN NEW;
           END IF;
         END IF;
         RAISE EXCEPTION 'audit entries are append-only';
       END; $$ LANGUAGE plpgsql""",
]

_SQLITE_COLUMNS = (
    '"at" datetime NOT NULL, "actor" char(32) NULL, "actor_role" varchar(64) NOT NULL, '
    '"subject" char(32) NULL, "action" varchar(64) NOT NULL, "target" varchar(160) NOT NULL, '
    '"fields" text NOT NULL CHECK ((JSON_VALID("fields") OR "fields" IS NULL)), '
    '"route" varchar(200) NOT NULL, '
    '"detail" text NOT NULL CHECK ((JSON_VALID("detail") OR "detail" IS NULL))'
)
_CONTENT = '"at", "actor", "actor_role", "subject", "action", "target", "fields", "route", "detail"'
_INDEXES = [
    'CREATE INDEX "privacy_audit_subject_idx" ON "privacy_auditentry" ("subject", "seq" DESC)',
    'CREATE INDEX "privacy_audit_actor_idx" ON "privacy_auditentry" ("actor", "seq" DESC)',
]
_PENDING_INDEX = (
    'CREATE INDEX "privacy_audit_pending_idx" ON "privacy_auditentry" ("id") WHERE "seq" IS NULL'
)

SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_update",
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_delete",
    'CREATE TABLE "new__privacy_auditentry" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, '
    f'"seq" bigint NULL UNIQUE, {_SQLITE_COLUMNS}, "prev_hash" varchar(64) NULL, '
    '"hash" varchar(64) NULL, "key_id" varchar(16) NOT NULL)',
    f'INSERT INTO "new__privacy_auditentry" ("id", "seq", {_CONTENT}, "prev_hash", "hash", '
    f'"key_id") SELECT "seq", "seq", {_CONTENT}, "prev_hash", "hash", \'\' '
    'FROM "privacy_auditentry"',
    'DROP TABLE "privacy_auditentry"',
    'ALTER TABLE "new__privacy_auditentry" RENAME TO "privacy_auditentry"',
    *_INDEXES,
    _PENDING_INDEX,
    *SQLITE,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_update",
    "DROP TRIGGER IF EXISTS privacy_auditentry_no_delete",
    'CREATE TABLE "new__privacy_auditentry" ("seq" integer NOT NULL PRIMARY KEY AUTOINCREMENT, '
    f'{_SQLITE_COLUMNS}, "prev_hash" varchar(64) NOT NULL, "hash" varchar(64) NOT NULL UNIQUE)',
    f'INSERT INTO "new__privacy_auditentry" ("seq", {_CONTENT}, "prev_hash", "hash") '
    f'SELECT "seq", {_CONTENT}, "prev_hash", "hash" FROM "privacy_auditentry"',
    'DROP TABLE "privacy_auditentry"',
    'ALTER TABLE "new__privacy_auditentry" RENAME TO "privacy_auditentry"',
    *_INDEXES,
    # 0002's update trigger and 0004's delete trigger.
    """CREATE TRIGGER privacy_auditentry_no_update BEFORE UPDATE ON privacy_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
    """CREATE TRIGGER privacy_auditentry_no_delete BEFORE DELETE ON privacy_auditentry
       WHEN OLD.seq > (SELECT COALESCE(MAX(seq), 0) FROM privacy_auditseal)
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END""",
]
POSTGRES_FORWARD = [
    'ALTER TABLE "privacy_auditentry" RENAME COLUMN "seq" TO "id"',
    # The old code numbered entries itself, never through the identity: start it after them.
    """SELECT setval(pg_get_serial_sequence('privacy_auditentry', 'id'),
                     COALESCE((SELECT MAX("id") FROM "privacy_auditentry"), 0) + 1, false)""",
    # Filled from id without an UPDATE (which the triggers refuse), then a plain column.
    'ALTER TABLE "privacy_auditentry" ADD COLUMN "seq" bigint GENERATED ALWAYS AS ("id") STORED',
    'ALTER TABLE "privacy_auditentry" ALTER COLUMN "seq" DROP EXPRESSION',
    'ALTER TABLE "privacy_auditentry" ADD CONSTRAINT "privacy_auditentry_seq_key" UNIQUE ("seq")',
    'ALTER TABLE "privacy_auditentry" ALTER COLUMN "prev_hash" DROP NOT NULL',
    'ALTER TABLE "privacy_auditentry" ALTER COLUMN "hash" DROP NOT NULL',
    'ALTER TABLE "privacy_auditentry" DROP CONSTRAINT "privacy_auditentry_hash_key"',
    'DROP INDEX IF EXISTS "privacy_auditentry_hash_3aa78d1c_like"',
    """ALTER TABLE "privacy_auditentry" ADD COLUMN "key_id" varchar(16) NOT NULL DEFAULT ''""",
    'ALTER TABLE "privacy_auditentry" ALTER COLUMN "key_id" DROP DEFAULT',
    # The renamed column took the old indexes with it: they are about seq.
    'DROP INDEX "privacy_audit_subject_idx"',
    'DROP INDEX "privacy_audit_actor_idx"',
    *_INDEXES,
    _PENDING_INDEX,
    *POSTGRES,
]
POSTGRES_BACKWARD = [
    'DROP INDEX "privacy_audit_pending_idx"',
    'ALTER TABLE "privacy_auditentry" DROP COLUMN "key_id"',
    'ALTER TABLE "privacy_auditentry" ALTER COLUMN "hash" SET NOT NULL',
    'ALTER TABLE "privacy_auditentry" ADD CONSTRAINT "privacy_auditentry_hash_key" UNIQUE ("hash")',
    'CREATE INDEX "privacy_auditentry_hash_3aa78d1c_like" ON "privacy_auditentry" '
    '("hash" varchar_pattern_ops)',
    'ALTER TABLE "privacy_auditentry" ALTER COLUMN "prev_hash" SET NOT NULL',
    'ALTER TABLE "privacy_auditentry" DROP CONSTRAINT "privacy_auditentry_pkey"',
    'ALTER TABLE "privacy_auditentry" DROP COLUMN "id"',
    'ALTER TABLE "privacy_auditentry" DROP CONSTRAINT "privacy_auditentry_seq_key"',
    'ALTER TABLE "privacy_auditentry" ALTER COLUMN "seq" SET NOT NULL',
    'ALTER TABLE "privacy_auditentry" ADD CONSTRAINT "privacy_auditentry_pkey" PRIMARY KEY ("seq")',
    'ALTER TABLE "privacy_auditentry" ALTER COLUMN "seq" ADD GENERATED BY DEFAULT AS IDENTITY',
    # 0004's function.
    """CREATE OR REPLACE FUNCTION privacy_auditentry_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE'
            AND OLD.seq <= (SELECT COALESCE(MAX(seq), 0) FROM privacy_auditseal) THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'audit entries are append-only';
       END; $$ LANGUAGE plpgsql""",
]


def _run(statements_by_vendor, *, refuse_pending=False):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if refuse_pending:
            with connection.cursor() as cursor:
                cursor.execute('SELECT COUNT(*) FROM "privacy_auditentry" WHERE "seq" IS NULL')
                if cursor.fetchone()[0]:
                    raise RuntimeError(
                        "Audit entries not chained yet cannot be kept by the old schema: run "
                        "manage.py audit_verify (which chains them) before migrating back."
                    )
        for statement in statements_by_vendor.get(connection.vendor, []):
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("privacy", "0006_breaches_to_own_app")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="auditentry", name="privacy_audit_subject_idx"),
                migrations.RemoveIndex(model_name="auditentry", name="privacy_audit_actor_idx"),
                migrations.AlterField(
                    model_name="auditentry",
                    name="seq",
                    field=models.BigIntegerField(blank=True, null=True, unique=True),
                ),
                migrations.AddField(
                    model_name="auditentry",
                    name="id",
                    field=models.BigAutoField(primary_key=True, serialize=False),
                    preserve_default=False,
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="prev_hash",
                    field=models.CharField(blank=True, max_length=64, null=True),
                ),
                migrations.AlterField(
                    model_name="auditentry",
                    name="hash",
                    field=models.CharField(blank=True, max_length=64, null=True),
                ),
                migrations.AddField(
                    model_name="auditentry",
                    name="key_id",
                    field=models.CharField(blank=True, max_length=16),
                ),
                migrations.AddIndex(
                    model_name="auditentry",
                    index=models.Index(fields=["subject", "-seq"], name="privacy_audit_subject_idx"),
                ),
                migrations.AddIndex(
                    model_name="auditentry",
                    index=models.Index(fields=["actor", "-seq"], name="privacy_audit_actor_idx"),
                ),
                migrations.AddIndex(
                    model_name="auditentry",
                    index=models.Index(
                        condition=models.Q(("seq__isnull", True)),
                        fields=["id"],
                        name="privacy_audit_pending_idx",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(
                    _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
                    _run(
                        {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD},
                        refuse_pending=True,
                    ),
                ),
            ],
        ),
    ]
