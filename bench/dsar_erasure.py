"""Erasure benchmark: ``erasure_execute`` on a learner with 10,000 related records.

Run (from the repository root):

    .venv/bin/python bench/dsar_erasure.py            # --records 10000 by default

What it does, without touching var/ or your database:

1. builds a throw-away production-mode environment in a temporary directory (fresh SQLite
   database, freshly generated keyring and blind-index key, erasure journal in the same
   directory) and migrates it;
2. seeds three identical learners, each with a profile, a verified e-mail address and
   ``--records`` related rows: 70% outbox e-mails (encrypted with the learner's key), 20%
   audit-ledger entries about them (kept under legal hold: counted, not changed) and 10%
   sign-in session rows;
3. erases a small learner first (warm-up: a worker has imported its modules before a job
   runs), then times ``erasure_execute`` on the first learner: one transaction over the whole
   data map, the audit entry, the key destruction and the journal append with fsync;
4. times the baseline on the second: a plain ``QuerySet.delete()`` of the same deletable rows
   (no data-map walk, no audit, no journal), and prints the ratio;
5. erases the third under ``tracemalloc`` and prints the peak of Python allocations during the
   erasure, and the process's peak RSS;
6. prints a table and writes the figures with the machine's facts to
   bench/results/dsar-erasure-<UTC timestamp>.json (git-ignored).

Exit status: 0 when the erasure took less than the 1 s target (DESIGN.md §6), 1 otherwise,
2 when the harness failed. See docs/benchmarks.md for recorded figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import secrets
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
sys.path.insert(0, str(REPO / "bench"))

from pages import production_environment  # noqa: E402

TARGET_SECONDS = 1.0


def _environment(workdir: Path) -> None:
    """The page benchmark's production-mode configuration living entirely in ``workdir``, plus
    the erasure journal there too (set in this process, before Django starts)."""
    env = production_environment(workdir)
    env.update(
        {"CLL_ERASURE_JOURNAL": str(workdir / "erasure-journal.jsonl"), "LOG_LEVEL": "WARNING"}
    )
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(REPO))


def _seed(n: int, index: int):
    """A learner with a profile, an address and ``n`` related rows; returns the user."""
    from allauth.account.models import EmailAddress
    from allauth.usersessions.models import UserSession
    from django.db import transaction
    from django.utils import timezone

    from cll.accounts.models import LearnerProfile, User
    from cll.core.models import OutboxEmail
    from cll.privacy.services import audit_record

    emails, ledger = int(n * 0.7), int(n * 0.2)
    sessions = n - emails - ledger
    with transaction.atomic():
        user = User.objects.create_user(
            email=f"learner{index}@example.org", password=secrets.token_urlsafe()
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        LearnerProfile.objects.create(
            user=user,
            first_name="Nadia",
            last_name=f"Verhoeven {index}",
            street="Rue des Wallons 12",
            postcode="1348",
            city="Louvain-la-Neuve",
            phone="+3210470000",
        )
        OutboxEmail.objects.bulk_create(
            (
                OutboxEmail(
                    to_address=user.email,
                    subject=f"Your course #{i}",
                    text_body="Dear Nadia, your session starts on Monday. " * 4,
                    person=user.public_id,
                    kind="bench",
                    message_id=f"<bench-{index}-{i}@bench.invalid>",
                    status=OutboxEmail.Status.SENT,
                    sent_at=timezone.now(),
                    next_attempt_at=None,
                )
                for i in range(emails)
            ),
            batch_size=1000,
        )
        UserSession.objects.bulk_create(
            (
                UserSession(
                    user=user,
                    ip="192.0.2.1",
                    session_key=secrets.token_hex(16),
                    user_agent="Mozilla/5.0 (bench)",
                    data={},
                )
                for _ in range(sessions)
            ),
            batch_size=1000,
        )
    for _ in range(ledger):
        with transaction.atomic():
            audit_record(actor=user, subject=user, action="profile.read", target=user)
    return user


def _baseline(user) -> float:
    """The same deletable rows removed with plain QuerySet.delete(): the floor."""
    from allauth.account.models import EmailAddress
    from allauth.usersessions.models import UserSession
    from django.db import transaction

    from cll.accounts.models import LearnerProfile
    from cll.core.models import OutboxEmail

    started = time.perf_counter()
    with transaction.atomic():
        OutboxEmail.objects.filter(person=user.public_id).delete()
        UserSession.objects.filter(user=user).delete()
        EmailAddress.objects.filter(user=user).delete()
        LearnerProfile.objects.filter(user=user).delete()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="related rows per learner")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="cll-bench-erasure-") as tmp:
        workdir = Path(tmp)
        _environment(workdir)
        import django

        django.setup()
        from django.core.management import call_command

        from cll.erasure.services import erasure_execute
        from cll.privacy.models import AuditEntry

        call_command("migrate", verbosity=0, interactive=False)
        print(f"[bench] seeding 3 learners x {args.records} related records", file=sys.stderr)
        seed_started = time.perf_counter()
        timed, base, measured = (_seed(args.records, i) for i in range(3))
        seed_seconds = time.perf_counter() - seed_started

        # Warm-up: a worker has its modules imported and connection open before a job runs.
        erasure_execute(subject=_seed(10, 99), reason="bench")

        started = time.perf_counter()
        report = erasure_execute(subject=timed, reason="bench")
        erasure_seconds = time.perf_counter() - started
        baseline_seconds = _baseline(base)

        tracemalloc.start()
        erasure_execute(subject=measured, reason="bench")
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        rows = sum(sum(c.values()) for c in report.counts.values())
        journal_lines = len((workdir / "erasure-journal.jsonl").read_text().splitlines())
        result = {
            "benchmark": "dsar_erasure",
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "records": args.records,
            "rows_handled": rows,
            "counts": report.counts,
            "erasure_seconds": round(erasure_seconds, 4),
            "baseline_delete_seconds": round(baseline_seconds, 4),
            "ratio_to_baseline": round(erasure_seconds / baseline_seconds, 2),
            "peak_python_alloc_mib": round(peak / 2**20, 2),
            "peak_rss_mib": round(rss_kib / 1024, 1),
            "journal_lines": journal_lines,
            "ledger_entries": AuditEntry.objects.count(),
            "seed_seconds": round(seed_seconds, 1),
            "target_seconds": TARGET_SECONDS,
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "processor": platform.processor() or platform.machine(),
                "cpus": os.cpu_count(),
            },
        }

    print(f"{'erasure_execute':<28}{result['erasure_seconds'] * 1000:>10.1f} ms")
    print(f"{'baseline QuerySet.delete()':<28}{result['baseline_delete_seconds'] * 1000:>10.1f} ms")
    print(f"{'ratio to baseline':<28}{result['ratio_to_baseline']:>10.2f} x")
    print(f"{'peak Python allocations':<28}{result['peak_python_alloc_mib']:>10.2f} MiB")
    print(f"{'peak RSS (process)':<28}{result['peak_rss_mib']:>10.1f} MiB")
    print(f"{'rows handled':<28}{rows:>10}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS_DIR / f"dsar-erasure-{stamp}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"[bench] figures written to {out.relative_to(REPO)}", file=sys.stderr)
    if erasure_seconds >= TARGET_SECONDS:
        print(f"[bench] FAIL: above the {TARGET_SECONDS:.0f} s target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # the harness itself failed
        print(f"[bench] harness error: {exc!r}", file=sys.stderr)
        sys.exit(2)
