"""Ledger benchmark: audited writes against the same writes without audit, 16 concurrent
writers on PostgreSQL, in the same run (DESIGN.md §6: audited ≥ 0.8 of plain).

Run (from the repository root; PostgreSQL on 127.0.0.1:5432 with trust authentication, as in
the development set-up), about three and a half minutes:

    .venv/bin/python bench/ledger.py

What it does, without touching var/ or any existing database:

1. builds the page benchmark's throw-away production-mode environment (``bench/pages.py``:
   fresh secrets, ``CLL_AUDIT_KEY`` and ``CLL_AUDIT_SIGNING_KEY`` included) in a temporary
   directory, pointed at a PostgreSQL database it creates for the run
   (``cll_bench_ledger_<pid>``, dropped at the end; ``--server`` names another server), migrates
   it and creates one account per writer;
2. runs ``--writers`` processes (16), each with its own database connection, running short
   transactions in a loop for ``--duration`` seconds, for two business writes (``--workload``):

   - ``update``: one ``UPDATE`` of the writer's own account row (``last_login``);
   - ``service``: the same change as this code base's services make it: the row read with
     ``select_for_update()``, changed, ``save(update_fields=...)``;

   and four variants of each, ``--rounds`` times in turn:

   - ``plain``: the business write alone;
   - ``entry-only``: plus one ``audit_record`` in the same transaction, the entry never placed
     in the chain (placed by the harness after the round): what writing the evidence in the
     caller's transaction costs by itself, whatever the chaining;
   - ``audited``: the real thing: plus one ``audit_record``, and after the commit the process's
     sequencer thread places the entry in the keyed chain;
   - ``global-lock``, for reference: the ledger before the sequencer (revision 5456dfc): the
     ledger's advisory lock taken inside the transaction, the entry placed there (head read,
     keyed hash, insert), so every audited write of the site waits for the others' commits;

3. times every transaction from BEGIN to the end of its commit (after-commit hooks included),
   keeps the median round of each variant, and prints writes/s, p50 and p99, the ratio to
   ``plain``, and how the CPU was shared (writers, PostgreSQL, other processes: a round where
   others took more than 5 % is flagged as disturbed);
4. places whatever the sequencer threads left (there should be nothing), verifies the whole
   chain as ``manage.py audit_verify`` does, and checks that it holds exactly one entry per
   audited write;
5. writes the figures with the machine's facts to ``bench/results/ledger-<UTC time>.json``
   (git-ignored).

Exit status: 0 when audited/plain ≥ 0.8 for every workload and the chain verified, 1
otherwise, 2 when the harness could not run. Options: ``--workload update|service|both``,
``--writers 16``, ``--duration 8``, ``--rounds 3``, ``--server postgres://user@host:port``,
``--no-save``. See docs/benchmarks.md for the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
sys.path.insert(0, str(REPO / "bench"))

from pages import (  # noqa: E402
    NOISE_WARNING_PCT,
    HarnessError,
    _process_ticks,
    _system_ticks,
    children_ticks,
    cpu_shares,
    git_revision,
    log,
    machine_facts,
    production_environment,
    workdir_done,
)

TARGET_RATIO = 0.8
VARIANTS = ("plain", "entry-only", "audited", "global-lock")
WORKLOADS = ("update", "service")


# -- Set-up ------------------------------------------------------------------------------------


def _server_sql(server: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(statement)


def _environment(workdir: Path, database_url: str) -> None:
    """The page benchmark's production-mode configuration, on PostgreSQL (set in this process,
    before Django starts)."""
    env = production_environment(workdir)
    env.update({"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"})
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(REPO))


def _accounts(writers: int) -> list[tuple[int, str]]:
    from cll.accounts.models import User

    users = [
        User.objects.create_user(email=f"writer{index}@bench.invalid", password=None)
        for index in range(writers)
    ]
    return [(user.pk, str(user.public_id)) for user in users]


# -- The writers -------------------------------------------------------------------------------


def _change_update(user_pk: int) -> None:
    """The smallest business write: one UPDATE of one row."""
    from django.utils import timezone

    from cll.accounts.models import User

    User.objects.filter(pk=user_pk).update(last_login=timezone.now())


def _change_service(user_pk: int) -> None:
    """A business write as this code base's services make them: the row read under a lock,
    changed, saved."""
    from django.utils import timezone

    from cll.accounts.models import User

    user = User.objects.select_for_update().get(pk=user_pk)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])


_CHANGES = {"update": _change_update, "service": _change_service}


def _audit(public_id: uuid.UUID) -> None:
    from cll.privacy.services import audit_record

    audit_record(
        subject=public_id,
        action="bench.update",
        target=f"accounts.User:{public_id}",
        fields=["last_login"],
        route="bench",
    )


def _audit_as_before(public_id: uuid.UUID) -> None:
    """``audit_record`` as it was before the sequencer (revision 5456dfc): the ledger lock taken
    in the caller's transaction and held until it ends, the entry placed at once (keyed hash,
    as today)."""
    from django.conf import settings
    from django.db import connection
    from django.db.models import F
    from django.utils import timezone

    from cll.privacy.ledger import CHAIN_LOCK_KEY, GENESIS_HASH, audit_entry_hash
    from cll.privacy.models import AuditEntry

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    head = (
        AuditEntry.objects.filter(seq__isnull=False)
        .order_by(F("seq").desc())
        .values_list("seq", "hash")
        .first()
    )
    entry = AuditEntry(
        subject=public_id,
        action="bench.update",
        target=f"accounts.User:{public_id}",
        fields=["last_login"],
        route="bench",
        key_id=settings.AUDIT_KEYRING.active_id,
    )
    entry.seq, entry.prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
    entry.at = timezone.now()
    entry.hash = audit_entry_hash(entry)
    entry.save(force_insert=True)


_AUDITS = {
    "plain": None,
    "entry-only": _audit,
    "audited": _audit,
    "global-lock": _audit_as_before,
}


def _write(workload: str, variant: str, user_pk: int, public_id: uuid.UUID) -> None:
    from django.db import transaction

    with transaction.atomic():
        _CHANGES[workload](user_pk)
        if _AUDITS[variant] is not None:
            _AUDITS[variant](public_id)


def _writer(
    workload: str, variant: str, account: tuple[int, str], start, duration: float, results
) -> None:
    """One writer process: its own connection, transactions in a loop until the time is up."""
    from django.db import connections

    # The parent's connection must not be shared with it (closed before the fork anyway).
    connections.close_all()
    if variant == "entry-only":
        from cll.privacy import services

        # The entry is written, never placed (the parent places them after the round).
        services.chain_after_commit = lambda entry, using: None
    user_pk, public_id = account[0], uuid.UUID(account[1])
    # Connect and warm up outside the measured window.
    _write(workload, variant, user_pk, public_id)
    latencies: list[float] = []
    errors = 0
    start.wait()
    deadline = time.perf_counter() + duration
    while (started := time.perf_counter()) < deadline:
        try:
            _write(workload, variant, user_pk, public_id)
        except Exception:
            errors += 1
            continue
        latencies.append(time.perf_counter() - started)
    connections.close_all()
    results.put((latencies, errors))


class _CpuShare:
    """How the machine's CPU was shared during a round: the writer processes, PostgreSQL (the
    backends serving them and the server's own processes), and everyone else. Another job on
    the machine lowers the figures: a round where others took more than NOISE_WARNING_PCT is
    flagged as disturbed."""

    def __init__(self, server: str, database: str) -> None:
        self._server, self._database = server, database
        self._stop = threading.Event()
        self._backends: dict[int, list[int]] = {}

    def _sample(self) -> None:
        import psycopg

        with psycopg.connect(f"{self._server}/{self._database}", autocommit=True) as connection:
            while True:
                # Our backends, autovacuum on our database, and the server's own processes
                # (WAL writer, checkpointer...), which work for whoever writes.
                rows = connection.execute(
                    "SELECT pid FROM pg_stat_activity WHERE (datname = %s OR datname IS NULL) "
                    "AND pid <> pg_backend_pid()",
                    [self._database],
                ).fetchall()
                for (pid,) in rows:
                    ticks = _process_ticks(pid)
                    if ticks:
                        self._backends.setdefault(pid, [ticks, ticks])[1] = ticks
                if self._stop.wait(0.25):
                    return

    def __enter__(self) -> _CpuShare:
        self._system = _system_ticks()
        self._children = children_ticks()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        writers = children_ticks() - self._children
        backends = sum(last - first for first, last in self._backends.values())
        self.usage = cpu_shares(
            self._system, _system_ticks(), writers=writers, postgres_backends=backends
        )


def _round(
    workload: str,
    variant: str,
    accounts: list[tuple[int, str]],
    duration: float,
    server: str,
    database: str,
) -> dict:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = context.Barrier(len(accounts) + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_writer, args=(workload, variant, account, start, duration, results))
        for account in accounts
    ]
    for process in processes:
        process.start()
    start.wait(timeout=120)
    with _CpuShare(server, database) as cpu:
        collected = [results.get(timeout=duration + 120) for _ in processes]
        for process in processes:
            process.join(timeout=30)
    latencies = sorted(value for values, _errors in collected for value in values)
    if not latencies:
        raise HarnessError(f"{workload}/{variant}: no transaction completed")
    return {
        "writes": len(latencies),
        "writes_per_second": round(len(latencies) / duration, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
        "errors": sum(errors for _values, errors in collected),
        "cpu": cpu.usage,
        "disturbed": cpu.usage["other_pct"] > NOISE_WARNING_PCT,
    }


# -- The run -----------------------------------------------------------------------------------


def _postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def _print(result: dict) -> None:
    print(
        f"\n{'workload':<9}{'variant':<13}{'writes/s':>9}{'ratio':>7}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'errors':>7}  CPU: writers / postgres / others"
    )
    for workload, variants in result["workloads"].items():
        for variant in VARIANTS:
            figures = variants[variant]
            cpu = figures["cpu"]
            print(
                f"{workload:<9}{variant:<13}{figures['writes_per_second']:>9,.0f}"
                f"{figures['ratio_to_plain']:>7.2f}{figures['p50_ms']:>8.1f}"
                f"{figures['p99_ms']:>8.1f}{figures['errors']:>7}  "
                f"{cpu['writers_pct']:.0f} / {cpu['postgres_backends_pct']:.0f} / "
                f"{cpu['other_pct']:.0f} %{'  DISTURBED' if figures['disturbed'] else ''}"
            )
    chain = result["chain"]
    print(
        f"\nchain: {chain['entries']} entries for {chain['audited_writes']} audited writes, "
        f"{chain['left_for_the_periodic_job']} left for the periodic job, verified "
        f"{'intact' if chain['intact'] else 'BROKEN'}"
    )


def _measure(args, accounts: list[tuple[int, str]], database: str) -> tuple[dict, int, int]:
    """Every workload and variant, ``args.rounds`` times in turn; the median round of each,
    the number of audited writes (one entry each) and of entries the after-commit runs left."""
    from cll.privacy.ledger import ledger_chain
    from cll.privacy.models import AuditEntry

    rounds = {(w, v): [] for w in args.workloads for v in VARIANTS}
    audited_writes = left = 0
    for number in range(1, args.rounds + 1):
        for workload in args.workloads:
            for variant in VARIANTS:
                log(f"round {number}/{args.rounds}: {workload} {variant}, {args.writers} writers")
                figures = _round(workload, variant, accounts, args.duration, args.server, database)
                rounds[workload, variant].append(figures)
                if variant != "plain":
                    # The warm-up write of each writer leaves an entry too.
                    audited_writes += figures["writes"] + args.writers
                if variant == "audited":
                    # Let the sequencer threads finish (they place within a second), count
                    # what they left, and place it: never the next round's work.
                    time.sleep(1)
                    left += AuditEntry.objects.filter(seq__isnull=True).count()
                if variant in ("entry-only", "audited"):
                    ledger_chain()
    workloads: dict[str, dict] = {}
    for workload in args.workloads:
        variants = workloads.setdefault(workload, {})
        for variant in VARIANTS:
            by_rate = sorted(rounds[workload, variant], key=lambda r: r["writes_per_second"])
            variants[variant] = {**by_rate[len(by_rate) // 2], "rounds": by_rate}
        plain_rate = variants["plain"]["writes_per_second"]
        for figures in variants.values():
            figures["ratio_to_plain"] = round(figures["writes_per_second"] / plain_rate, 3)
    return workloads, audited_writes, left


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per variant (median kept)")
    parser.add_argument(
        "--workload", choices=[*WORKLOADS, "both"], default="both", help="the business write"
    )
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    args.workloads = WORKLOADS if args.workload == "both" else (args.workload,)

    database = f"cll_bench_ledger_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="cll-bench-ledger-"))
    try:
        _server_sql(args.server, f'CREATE DATABASE "{database}"')
    except Exception as exc:
        raise HarnessError(f"cannot create a database on {args.server}: {exc}") from exc
    try:
        _environment(workdir, f"{args.server}/{database}")
        import django

        django.setup()
        from django.core.management import call_command

        from cll.privacy.ledger import ledger_chain
        from cll.privacy.models import AuditEntry
        from cll.privacy.selectors import audit_chain_verify

        log("migrate")
        call_command("migrate", verbosity=0, interactive=False)
        accounts = _accounts(args.writers)
        postgres = _postgres_version()
        facts = machine_facts()
        workloads, audited_writes, left = _measure(args, accounts, database)

        log("verifying the chain")
        ledger_chain()
        report = audit_chain_verify()
        entries = AuditEntry.objects.count()
        result = {
            "benchmark": "ledger",
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "revision": git_revision(),
            "writers": args.writers,
            "duration_seconds": args.duration,
            "rounds": args.rounds,
            "workloads": workloads,
            "chain": {
                "entries": report.checked,
                "audited_writes": audited_writes,
                "left_for_the_periodic_job": left,
                "intact": report.intact and report.checked == entries == audited_writes,
            },
            "target_ratio": TARGET_RATIO,
            "machine": {
                **facts,
                "postgresql": postgres,
                "load_average_after": [round(value, 2) for value in os.getloadavg()],
            },
        }
    finally:
        from django.db import connections

        connections.close_all()
        _server_sql(args.server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        workdir_done(workdir, keep=False)

    _print(result)
    if not args.no_save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS_DIR / f"ledger-{stamp}.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        log(f"figures written to {out.relative_to(REPO)}")
    if not result["chain"]["intact"]:
        log("FAIL: the chain did not verify, or lost or duplicated entries")
        return 1
    status = 0
    for workload, variants in result["workloads"].items():
        ratio = variants["audited"]["ratio_to_plain"]
        met = ratio >= TARGET_RATIO
        status = status or (0 if met else 1)
        log(
            f"{workload}: audited/plain {ratio:.2f} ({'meets' if met else 'below'} the target of "
            f"{TARGET_RATIO})"
        )
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as exc:
        print(f"[bench] {exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # the harness itself failed
        print(f"[bench] harness error: {exc!r}", file=sys.stderr)
        sys.exit(2)
