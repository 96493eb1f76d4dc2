"""Checkout benchmark: learners checking out at once on PostgreSQL through the sandbox provider,
against a bare order insert in the same run (DESIGN.md §6: orders/s and p99 printed, ratio to a
bare order insert, never oversold).

Run (from the repository root; PostgreSQL on 127.0.0.1:5432 with trust authentication, as in
the development set-up), about a minute:

    .venv/bin/python bench/checkout.py

What it does, without touching var/ or any existing database:

1. builds the page benchmark's throw-away environment (``bench/pages.py``: fresh secrets) in a
   temporary directory, pointed at a PostgreSQL database it creates for the run
   (``cll_bench_checkout_<pid>``, dropped at the end), with ``DEBUG`` off. It runs in
   development mode only because production refuses the sandbox provider (it marks orders paid
   without money moving); the code measured is the same. Migrates, creates ``--sessions``
   sessions (500) of 12 places, of which ``--hot`` (5) have only 3 places left, and
   ``--learners`` accounts (200) per round;
2. each round, ``--clients`` concurrent clients (50) share the round's learners, each checking
   its learners out one after the other through a pool of ``--workers`` server processes (8:
   production serves with 2 granian workers of 4 threads), each with its own database
   connection, as web workers have; a checkout's latency includes its wait for a free worker,
   as a browser's would. Every learner checks out one session, a hot one for a quarter of them (so
   the last seats are fought over), any other otherwise. A checkout is what the site does
   between "Confirm and pay" and the confirmation page: ``order_place`` (the sessions' rows
   locked, seats counted, seats held), ``payment_start`` (the payment opened at the provider),
   and the sandbox's signed "paid" webhook through ``webhook_receive`` (event stored, payment
   and order moved forward, enrolment, invoice numbered, confirmation e-mail queued, audit);
3. the same workers and learners then run the baseline: a bare insert of the same order and
   its line in one transaction (no lock, no seat count, no payment);
4. prints, per variant, completed orders/s (over the round's wall time), p50 and p99 of one
   checkout, refusals (a hot session full: the expected answer for the late buyers), and the
   ratio checkout / bare insert; the median round of ``--rounds`` (3) is kept;
5. checks that no session holds more active enrolments than places, that every paid order has
   its enrolment and invoice, and that invoice numbers have no gap;
6. writes the figures with the machine's facts to ``bench/results/checkout-<UTC time>.json``
   (git-ignored).

Exit status: 0 when the run completed and nothing was oversold, 1 when a session was oversold
or a paid order misses its enrolment or invoice, 2 when the harness could not run. Options:
``--learners 200``, ``--clients 50``, ``--workers 8``, ``--sessions 500``, ``--hot 5``,
``--rounds 3``, ``--server postgres://user@host:port``, ``--no-save``. See docs/benchmarks.md
for the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
sys.path.insert(0, str(REPO / "bench"))

from ledger import _server_sql  # noqa: E402
from pages import (  # noqa: E402
    HarnessError,
    git_revision,
    log,
    machine_facts,
    production_environment,
    workdir_done,
)

VARIANTS = ("checkout", "bare-insert")
CAPACITY = 12
HOT_SEATS_LEFT = 3
HOT_SHARE = 0.25


# -- Set-up ------------------------------------------------------------------------------------


def _environment(workdir: Path, database_url: str) -> None:
    env = production_environment(workdir)
    env.update(
        {
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            # Production refuses the sandbox provider; everything else is as in production.
            "CLL_ENV": "development",
            "DEBUG": "0",
            "CLL_PAYMENT_PROVIDER": "sandbox",
        }
    )
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(REPO))


def _catalogue(count: int, hot: int) -> tuple[list[int], list[int]]:
    """``count`` sessions of CAPACITY places starting in a month; the first ``hot`` already have
    all but HOT_SEATS_LEFT places taken (enrolments of filler accounts)."""
    from django.utils import timezone

    from cll.accounts.models import User
    from cll.courses.models import Format, Language, Level, Session, Site
    from cll.shop.models import Enrolment

    language = Language.objects.create(
        code="en", name_fr="Anglais", name_en="English", name_nl="Engels"
    )
    site = Site.objects.create(
        slug="louvain-la-neuve",
        name_fr="Louvain-la-Neuve",
        name_en="Louvain-la-Neuve",
        name_nl="Louvain-la-Neuve",
        address="Place de l'Université 25, 1348 Louvain-la-Neuve",
    )
    first = timezone.localdate() + dt.timedelta(days=30)
    sessions = Session.objects.bulk_create(
        Session(
            title_fr=f"Anglais {number}",
            title_en=f"English {number}",
            title_nl=f"Engels {number}",
            language=language,
            level=Level.values[number % 6],
            format=Format.GROUP,
            site=site,
            starts_on=first + dt.timedelta(days=number % 60),
            ends_on=first + dt.timedelta(days=number % 60 + 70),
            hours=30,
            price_cents=39000 + 500 * (number % 7),
            capacity=CAPACITY,
            is_published=True,
        )
        for number in range(count)
    )
    fillers = User.objects.bulk_create(
        User(email=f"filler{number}@bench.invalid") for number in range(CAPACITY - HOT_SEATS_LEFT)
    )
    Enrolment.objects.bulk_create(
        Enrolment(session=session, learner=filler)
        for session in sessions[:hot]
        for filler in fillers
    )
    ids = [session.pk for session in sessions]
    return ids[:hot], ids[hot:]


def _learners(count: int, round_number: int) -> list[int]:
    from cll.accounts.models import User

    users = User.objects.bulk_create(
        User(email=f"learner{round_number}-{number}@bench.invalid") for number in range(count)
    )
    return [user.pk for user in users]


# -- The clients -------------------------------------------------------------------------------


def _checkout(user_pk: int, session_pk: int, request) -> str:
    """One checkout as the site runs it; returns "paid" or "full"."""
    from cll.accounts.models import User
    from cll.courses.models import Session
    from cll.policies.selectors import policy_version_current
    from cll.shop import services
    from cll.shop.models import OrderStatus, Payment
    from cll.shop.payments import sandbox
    from cll.shop.payments import services as payments

    buyer = User.objects.get(pk=user_pk)
    session = Session.objects.get(pk=session_pk)
    try:
        order = services.order_place(
            buyer=buyer,
            lines=[services.LineRequest(session=session, learner=buyer)],
            language="fr",
            terms_version=policy_version_current("terms"),
            early_start_requested=False,
            billing_name="Learner of the benchmark",
        )
    except services.SeatsUnavailable:
        return "full"
    request.user = buyer
    payments.payment_start(order=order, request=request)
    payment = Payment.objects.filter(order=order).latest("created_at")
    body, headers = sandbox.webhook_build(payment=payment, outcome=sandbox.PAY)
    payments.webhook_receive(provider_name=sandbox.NAME, body=body, headers=headers)
    order.refresh_from_db(fields=["status"])
    if order.status != OrderStatus.PAID:
        raise RuntimeError(f"order {order.reference} is {order.status} after a paid webhook")
    return "paid"


def _bare_insert(user_pk: int, session_pk: int, request) -> str:
    """The baseline: the same order and line inserted in one transaction, nothing else."""
    from django.db import transaction
    from django.utils import timezone

    from cll.courses.models import Session
    from cll.shop.models import Order, OrderLine

    session = Session.objects.get(pk=session_pk)
    now = timezone.now()
    with transaction.atomic():
        order = Order.objects.create(
            reference=f"bare-{user_pk}",
            buyer_id=user_pk,
            billing_name="Learner of the benchmark",
            language="fr",
            subtotal_cents=session.price_cents,
            vat_cents=0,
            total_cents=session.price_cents,
            vat_rate_bp=0,
            terms_version="bench",
            terms_accepted_at=now,
            withdrawal_deadline=now.date() + dt.timedelta(days=14),
            early_start_requested=False,
            hold_until=now,
        )
        OrderLine.objects.create(
            order=order,
            session=session,
            learner_id=user_pk,
            description=str(session.title),
            price_cents=session.price_cents,
        )
    return "paid"


def _warm(user_pk: int, session_pk: int, request) -> str:
    from cll.shop.models import Order

    Order.objects.exists()
    return "paid"


_VARIANTS = {"checkout": _checkout, "bare-insert": _bare_insert, "warm": _warm}


# -- The server's workers and the clients --------------------------------------------------------

_REQUEST = None


def _worker_init() -> None:
    """A worker process of the "server": its own database connection, like a web worker."""
    global _REQUEST
    from django.db import connections
    from django.test import RequestFactory

    connections.close_all()
    _REQUEST = RequestFactory().post("/fr/shop/checkout/", HTTP_HOST="127.0.0.1")


def _serve(variant: str, user_pk: int, session_pk: int) -> tuple[str, str]:
    """One request handled by a worker: (outcome, error)."""
    try:
        return _VARIANTS[variant](user_pk, session_pk, _REQUEST), ""
    except Exception as exc:
        return "", repr(exc)[:300]


def _round(variant: str, work: list[tuple[int, int]], clients: int, workers: int) -> dict:
    """``clients`` threads each check their share of the learners out one after the other,
    through a pool of ``workers`` processes (the web server's workers): a checkout's latency
    includes its wait for a free worker, as a browser's would."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    shares = [work[index::clients] for index in range(clients)]
    latencies: list[float] = []
    outcomes = {"paid": 0, "full": 0}
    errors: list[str] = []
    guard = threading.Lock()
    with context.Pool(processes=workers, initializer=_worker_init) as pool:
        # Connect every worker outside the measured window.
        pool.starmap(_serve, [("warm", 0, 0)] * workers)
        start = threading.Barrier(clients + 1)

        def client(share: list[tuple[int, int]]) -> None:
            start.wait()
            for user_pk, session_pk in share:
                began = time.perf_counter()
                outcome, error = pool.apply(_serve, (variant, user_pk, session_pk))
                took = time.perf_counter() - began
                with guard:
                    if error:
                        errors.append(error)
                    else:
                        latencies.append(took)
                        outcomes[outcome] += 1

        threads = [threading.Thread(target=client, args=(share,)) for share in shares]
        for thread in threads:
            thread.start()
        start.wait(timeout=120)
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    if errors:
        raise HarnessError(f"{variant}: {len(errors)} checkouts failed, e.g. {errors[0]}")
    latencies.sort()
    return {
        "orders": outcomes["paid"],
        "refused_full": outcomes["full"],
        "seconds": round(elapsed, 3),
        "orders_per_second": round(outcomes["paid"] / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
    }


def _integrity() -> dict:
    """Nothing oversold; every paid order enrolled and invoiced; invoice numbers gap-free."""
    from django.db.models import Count, F, Q

    from cll.courses.models import Session
    from cll.shop.models import Enrolment, Invoice, Order, OrderStatus

    oversold = (
        Session.objects.annotate(active=Count("enrolments", filter=Q(enrolments__status="active")))
        .filter(active__gt=F("capacity"))
        .count()
    )
    paid = Order.objects.filter(status=OrderStatus.PAID).exclude(reference__startswith="bare-")
    missing_enrolment = paid.exclude(lines__enrolment__isnull=False).count()
    missing_invoice = paid.exclude(invoices__kind="invoice").count()
    numbers = sorted(Invoice.objects.filter(kind="invoice").values_list("sequence", flat=True))
    return {
        "oversold_sessions": oversold,
        "paid_orders": paid.count(),
        "paid_without_enrolment": missing_enrolment,
        "paid_without_invoice": missing_invoice,
        "enrolments": Enrolment.objects.filter(status="active").count(),
        "invoice_numbers_gap_free": numbers == list(range(1, len(numbers) + 1)),
    }


def _reset_bare_orders() -> None:
    from cll.shop.models import Order

    Order.objects.filter(reference__startswith="bare-").delete()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200, help="checkouts per round")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument(
        "--workers",
        type=int,
        default=8,
        help="server worker processes (production: 2 granian workers x 4 threads)",
    )
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--hot", type=int, default=5, help="sessions with 3 places left")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)

    database = f"cll_bench_checkout_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="cll-bench-checkout-"))
    try:
        _server_sql(args.server, f'CREATE DATABASE "{database}"')
    except Exception as exc:
        raise HarnessError(f"cannot create a database on {args.server}: {exc}") from exc
    try:
        _environment(workdir, f"{args.server}/{database}")
        import django

        django.setup()
        from django.core.management import call_command

        log("migrate")
        call_command("migrate", verbosity=0, interactive=False)
        hot, others = _catalogue(args.sessions, args.hot)
        chooser = random.Random(2026)
        rounds: dict[str, list[dict]] = {variant: [] for variant in VARIANTS}
        for number in range(1, args.rounds + 1):
            learners = _learners(args.learners, number)
            work = [
                (learner, chooser.choice(hot if chooser.random() < HOT_SHARE else others))
                for learner in learners
            ]
            for variant in VARIANTS:
                log(f"round {number}/{args.rounds}: {variant}, {len(work)} learners")
                rounds[variant].append(_round(variant, work, args.clients, args.workers))
            _reset_bare_orders()
        integrity = _integrity()
        variants = {}
        for variant in VARIANTS:
            by_rate = sorted(rounds[variant], key=lambda figures: figures["orders_per_second"])
            variants[variant] = {**by_rate[len(by_rate) // 2], "rounds": by_rate}
        bare = variants["bare-insert"]["orders_per_second"]
        for figures in variants.values():
            figures["ratio_to_bare_insert"] = round(figures["orders_per_second"] / bare, 3)
        result = {
            "benchmark": "checkout",
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "revision": git_revision(),
            "learners_per_round": args.learners,
            "clients": args.clients,
            "workers": args.workers,
            "sessions": args.sessions,
            "hot_sessions": args.hot,
            "rounds": args.rounds,
            "variants": variants,
            "integrity": integrity,
            "machine": {
                **machine_facts(),
                "load_average_after": [round(value, 2) for value in os.getloadavg()],
            },
        }
    finally:
        from django.db import connections

        connections.close_all()
        _server_sql(args.server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        workdir_done(workdir, keep=False)

    print(f"\n{'variant':<13}{'orders/s':>9}{'ratio':>7}{'p50 ms':>8}{'p99 ms':>8}{'full':>6}")
    for variant in VARIANTS:
        figures = variants[variant]
        print(
            f"{variant:<13}{figures['orders_per_second']:>9,.1f}"
            f"{figures['ratio_to_bare_insert']:>7.2f}{figures['p50_ms']:>8.1f}"
            f"{figures['p99_ms']:>8.1f}{figures['refused_full']:>6}"
        )
    print(f"\nintegrity: {json.dumps(integrity)}")
    if not args.no_save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS_DIR / f"checkout-{stamp}.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        log(f"figures written to {out.relative_to(REPO)}")
    sound = (
        integrity["oversold_sessions"] == 0
        and integrity["paid_without_enrolment"] == 0
        and integrity["paid_without_invoice"] == 0
        and integrity["invoice_numbers_gap_free"]
    )
    if not sound:
        log("FAIL: a session was oversold, or a paid order lacks its enrolment or invoice")
    return 0 if sound else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as exc:
        print(f"[bench] {exc}", file=sys.stderr)
        sys.exit(2)
