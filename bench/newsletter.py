"""Newsletter benchmark: a campaign to 10,000 and 100,000 recipients, each message rendered for
its recipient (personal unsubscribe token and footer), DKIM-signed and delivered to a local SMTP
sink on loopback, against the bare rate of the same sink fed pre-rendered identical messages, in
the same run (DESIGN.md §6: ≥ 2,000 messages/s on 2 cores, each recipient exactly once, memory
flat as the count grows).

Run (from the repository root; PostgreSQL on 127.0.0.1:5432 with trust authentication, as in
the development set-up):

    .venv/bin/python bench/newsletter.py

What it does, without touching var/ or any existing database:

1. builds the page benchmark's throw-away production-mode environment (``bench/pages.py``) in a
   temporary directory, with a freshly generated 2048-bit RSA DKIM key (so every message goes
   through ``cll.core.mail.DkimEmailBackend``, dkimpy), pointed at a PostgreSQL database it
   creates for the run (``cll_bench_newsletter_<pid>``, dropped at the end) and migrates;
2. starts the SMTP sink in a process of its own: a small asyncio server speaking enough SMTP
   for smtplib (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), counting messages per recipient;
3. bare rate: ``--connections`` smtplib sessions (threads of one process) send the same
   pre-rendered, pre-signed message ``--bare`` times: the ceiling of this sink and client;
4. for each count of ``--recipients`` (10,000 and 100,000): writes that many confirmed
   subscribers (encrypted addresses, one data key each) on one list and a campaign in three
   languages, starts it (``sending.campaign_start``: recipient selection and the delivery rows,
   timed apart), then runs ``--workers`` sending processes (fresh interpreters, each with
   ``--connections`` SMTP sessions, the rate limit set out of the way), and reads from the sink
   how many messages each recipient got. The rate is messages over the time from the first
   worker's start of sending to the last one's end; memory is each worker's RSS high-water
   mark (``ru_maxrss``);
5. checks that every recipient got exactly one message and that a received message's DKIM
   signature verifies against the generated key, prints the figures and writes them with the
   machine's facts (load average included: the machine may be shared) to
   ``bench/results/newsletter-<UTC time>.json`` (git-ignored).

Exit status: 0 when every recipient got exactly one message, the signature verified and the
largest run reached the target, 1 otherwise, 2 when the harness could not run. Options:
``--recipients 10000,100000``, ``--workers 2``, ``--connections 2``, ``--bare 20000``,
``--server postgres://user@host:port``, ``--dkim-rsa openssl|dkimpy`` (the signature computed by
OpenSSL, as shipped, or by dkimpy's pure-Python RSA), ``--no-save``;
``BENCH_NEWSLETTER_PROFILE=<path>`` writes a cProfile of each worker. See docs/benchmarks.md for
the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import resource
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
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

TARGET_RATE = 2000
HOST = "127.0.0.1"
DKIM_DOMAIN = "bench.invalid"
DKIM_SELECTOR = "bench"
SUBSCRIBER_CHUNK = 2000
LANGUAGES = ("fr", "en", "nl")
BODY = """Bonjour,

Les **nouvelles sessions** de janvier sont ouvertes : anglais, néerlandais, allemand,
espagnol et italien, de A1 à C2, à Louvain-la-Neuve et à Woluwe.

- Cours en groupe, en soirée ou le samedi matin
- Cours individuels et en ligne
- Stages pour enfants et adolescents pendant les congés

[Voir les sessions](https://bench.invalid/fr/courses/) et réservez votre place.

À bientôt,
L\u2019équipe du CLL
"""


# -- The SMTP sink (its own process) ---------------------------------------------------------


def _sink_main(port: int, ready, counts_path: str, sample_path: str) -> None:
    """Accept everything on ``port``; on SIGTERM write {recipient: messages} to counts_path."""
    counts: Counter[str] = Counter()
    sample: list[bytes] = []

    async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink.bench.invalid ESMTP\r\n")
        recipients: list[str] = []
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb == b"EHLO":
                    writer.write(b"250-sink.bench.invalid\r\n250-8BITMIME\r\n250 SIZE 52428800\r\n")
                elif verb == b"MAIL":
                    recipients = []
                    writer.write(b"250 OK\r\n")
                elif verb == b"RCPT":
                    address = line.split(b":", 1)[1].strip().split(b" ", 1)[0].strip(b"<>")
                    recipients.append(address.decode())
                    writer.write(b"250 OK\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    await writer.drain()
                    data = await reader.readuntil(b"\r\n.\r\n")
                    if not sample:
                        sample.append(data[:-5].replace(b"\r\n..", b"\r\n."))
                    counts.update(recipients)
                    writer.write(b"250 OK queued\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 Bye\r\n")
                    break
                else:  # HELO, RSET, NOOP
                    writer.write(b"250 OK\r\n")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        server = await asyncio.start_server(session, HOST, port, limit=2**24, backlog=256)
        ready.set()
        async with server:
            await stop.wait()
        Path(counts_path).write_text(json.dumps(counts))
        if sample:
            Path(sample_path).write_bytes(sample[0])

    asyncio.run(main())


class Sink:
    def __init__(self, workdir: Path, name: str) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self.counts_path = workdir / f"sink-{name}.json"
        self.sample_path = workdir / f"sink-{name}.eml"
        context = multiprocessing.get_context("spawn")
        ready = context.Event()
        self.process = context.Process(
            target=_sink_main,
            args=(self.port, ready, str(self.counts_path), str(self.sample_path)),
            daemon=True,
        )
        self.process.start()
        if not ready.wait(30):
            raise HarnessError("the SMTP sink did not start")

    def stop(self) -> tuple[Counter[str], bytes | None]:
        self.process.terminate()
        self.process.join(60)
        counts = Counter(json.loads(self.counts_path.read_text()))
        sample = self.sample_path.read_bytes() if self.sample_path.exists() else None
        return counts, sample


# -- Set-up ------------------------------------------------------------------------------------


def _dkim_key(workdir: Path) -> tuple[Path, bytes]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = workdir / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public


def _environment(workdir: Path, database_url: str, key_path: Path, args) -> None:
    env = production_environment(workdir)
    env.update(
        {
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "EMAIL_HOST": HOST,
            "CLL_DKIM_DOMAIN": DKIM_DOMAIN,
            "CLL_DKIM_SELECTOR": DKIM_SELECTOR,
            "CLL_DKIM_PRIVATE_KEY_FILE": str(key_path),
            "DEFAULT_FROM_EMAIL": f"CLL Centres de Langues <news@{DKIM_DOMAIN}>",
            # Out of the way: the benchmark measures what the engine can do.
            "CLL_NEWSLETTER_RATE_PER_SECOND": "10000000",
            "CLL_NEWSLETTER_SMTP_CONNECTIONS": str(args.connections),
        }
    )
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(REPO))


def _campaign(count: int, tag: str):
    """``count`` confirmed subscribers of a new list and a campaign to it in three languages."""
    from django.db import transaction

    from cll.newsletter.models import (
        Campaign,
        CampaignVersion,
        MailingList,
        Subscriber,
        Subscription,
        SubscriptionStatus,
    )
    from cll.newsletter.unsubscribe import unsubscribe_key_new

    mailing_list = MailingList.objects.create(
        slug=f"news-{tag}",
        name_fr="Nouvelles du CLL",
        name_en="CLL news",
        name_nl="CLL-nieuws",
        description_fr="d",
        description_en="d",
        description_nl="d",
    )
    for start in range(0, count, SUBSCRIBER_CHUNK):
        with transaction.atomic():
            subscribers = Subscriber.objects.bulk_create(
                [
                    Subscriber(
                        email=f"reader{index}.{tag}@example.net",
                        language=LANGUAGES[index % 3],
                        unsubscribe_key=unsubscribe_key_new(),
                    )
                    for index in range(start, min(count, start + SUBSCRIBER_CHUNK))
                ]
            )
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        subscriber=subscriber,
                        mailing_list=mailing_list,
                        status=SubscriptionStatus.CONFIRMED,
                        source="import",
                    )
                    for subscriber in subscribers
                ]
            )
    campaign = Campaign.objects.create(title=f"Bench {tag}")
    campaign.lists.add(mailing_list)
    for language in LANGUAGES:
        CampaignVersion.objects.create(
            campaign=campaign, language=language, subject=f"Nouvelles ({language})", body=BODY
        )
    return campaign


# -- The sending workers -----------------------------------------------------------------------


def dkim_rsa(kind: str) -> None:
    """Which RSA dkimpy uses: OpenSSL as shipped (``cll.core.mail``), or its own Python one."""
    import dkim

    from cll.core import mail

    dkim.RSASSA_PKCS1_v1_5_sign = (
        mail.openssl_rsa_sign if kind == "openssl" else mail.dkimpy_rsa_sign
    )


def _worker_main(public_id: str, connections: int, dkim_rsa_kind: str) -> None:
    """A sending process: fresh interpreter, sends until nothing is left, prints its figures."""
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    dkim_rsa(dkim_rsa_kind)
    from cll.newsletter import sending
    from cll.newsletter.models import Campaign

    campaign = Campaign.objects.get(public_id=public_id)
    cpu = time.process_time()
    started = time.time()
    if os.environ.get("BENCH_NEWSLETTER_PROFILE"):
        import cProfile

        profiler = cProfile.Profile()
        report = profiler.runcall(sending.campaign_send, campaign=campaign, connections=connections)
        profiler.dump_stats(os.environ["BENCH_NEWSLETTER_PROFILE"] + f".{os.getpid()}")
    else:
        report = sending.campaign_send(campaign=campaign, connections=connections)
    ended = time.time()
    print(
        json.dumps(
            {
                "sent": report.sent,
                "failed": report.failed,
                "retried": report.retried,
                "started": started,
                "ended": ended,
                "cpu_seconds": round(time.process_time() - cpu, 2),
                "maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


def _send(public_id: str, args) -> list[dict]:
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                public_id,
                "--connections",
                str(args.connections),
                "--dkim-rsa",
                args.dkim_rsa,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(args.workers)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=3600)
        if worker.returncode != 0:
            raise HarnessError(f"a sending worker failed: {err[-2000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


# -- Bare rate ---------------------------------------------------------------------------------


def _bare(port: int, message: bytes, total: int, connections: int) -> float:
    """Messages/s of ``connections`` smtplib sessions sending the same bytes ``total`` times."""
    share = total // connections
    barrier = threading.Barrier(connections + 1)

    def run(number: int) -> None:
        client = smtplib.SMTP(HOST, port, timeout=30)
        barrier.wait()
        for index in range(share):
            client.sendmail(f"news@{DKIM_DOMAIN}", [f"bare{number}.{index}@example.net"], message)
        client.quit()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return share * connections / (time.perf_counter() - began)


def _prerendered(campaign) -> bytes:
    """One campaign message, rendered and signed as the sender does, as bytes."""
    import email.policy

    from django.conf import settings

    from cll.core.mail import dkim_sign
    from cll.newsletter import campaigns
    from cll.newsletter.message import campaign_message_build
    from cll.newsletter.models import Delivery

    delivery = Delivery.objects.filter(campaign=campaign).select_related("subscriber").first()
    message = campaign_message_build(
        delivery_or_subscriber=delivery,
        campaign_version=campaigns.campaign_version_for(campaign=campaign, language="fr"),
        mailing_list=campaign.lists.get(),
        site_url=settings.SITE_URL,
    )
    data = message.message(policy=email.policy.SMTP).as_bytes()
    key = Path(os.environ["CLL_DKIM_PRIVATE_KEY_FILE"]).read_bytes()
    return dkim_sign(data, domain=DKIM_DOMAIN, selector=DKIM_SELECTOR, private_key=key)


def _dkim_verifies(sample: bytes | None, public_der: bytes) -> bool:
    import base64

    import dkim

    if sample is None:
        return False
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der)

    def dns(name: bytes, timeout: int = 5) -> bytes:
        return record if name == f"{DKIM_SELECTOR}._domainkey.{DKIM_DOMAIN}.".encode() else b""

    return bool(dkim.verify(sample, dnsfunc=dns))


def _dkim_sign_ms(message: bytes) -> float:
    """Milliseconds one dkimpy signature of ``message`` takes (the per-message floor)."""
    from cll.core.mail import dkim_sign

    key = Path(os.environ["CLL_DKIM_PRIVATE_KEY_FILE"]).read_bytes()
    rounds = 200
    began = time.perf_counter()
    for _ in range(rounds):
        dkim_sign(message, domain=DKIM_DOMAIN, selector=DKIM_SELECTOR, private_key=key)
    return (time.perf_counter() - began) / rounds * 1000


# -- Main --------------------------------------------------------------------------------------


def _run_count(count: int, args, workdir: Path, public_der: bytes) -> dict:
    from cll.newsletter import sending

    tag = f"{count}"
    log(f"{count:,} recipients: writing subscribers")
    began = time.perf_counter()
    campaign = _campaign(count, tag)
    setup_seconds = time.perf_counter() - began
    began = time.perf_counter()
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    written = sending.campaign_start(campaign=campaign, by=None)
    start_seconds = time.perf_counter() - began
    sink = Sink(workdir, tag)
    os.environ["EMAIL_PORT"] = str(sink.port)
    try:
        log(f"{count:,} recipients: sending ({args.workers} workers x {args.connections} sessions)")
        workers = _send(str(campaign.public_id), args)
    finally:
        counts, sample = sink.stop()
    first = min(worker["started"] for worker in workers)
    last = max(worker["ended"] for worker in workers)
    sent = sum(worker["sent"] for worker in workers)
    expected = {f"reader{index}.{tag}@example.net" for index in range(count)}
    campaign.refresh_from_db()
    return {
        "recipients": count,
        "deliveries_written": written,
        "subscribers_setup_seconds": round(setup_seconds, 1),
        "campaign_start_seconds": round(start_seconds, 2),
        "campaign_start_parent_maxrss_growth_mib": round(
            (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss) / 1024, 1
        ),
        "sent": sent,
        "seconds": round(last - first, 2),
        "messages_per_second": round(sent / (last - first)),
        "workers": workers,
        "sending_peak_rss_mib": max(worker["maxrss_mib"] for worker in workers),
        "received": sum(counts.values()),
        "exactly_once": set(counts) == expected and set(counts.values()) == {1},
        "duplicates": sum(value - 1 for value in counts.values() if value > 1),
        "missing": len(expected - set(counts)),
        "campaign_status": campaign.status,
        "dkim_verifies": _dkim_verifies(sample, public_der),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", default="10000,100000")
    parser.add_argument("--workers", type=int, default=2, help="sending processes")
    parser.add_argument("--connections", type=int, default=2, help="SMTP sessions per worker")
    parser.add_argument("--bare", type=int, default=20000, help="messages of the bare run")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument(
        "--dkim-rsa",
        choices=("dkimpy", "openssl"),
        default="openssl",
        help="the same signature computed by OpenSSL (as shipped) or by dkimpy's Python RSA",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker_main(args.worker, args.connections, args.dkim_rsa)
        return 0
    counts = [int(value) for value in args.recipients.split(",")]

    database = f"cll_bench_newsletter_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="cll-bench-newsletter-"))
    try:
        _server_sql(args.server, f'CREATE DATABASE "{database}"')
    except Exception as exc:
        raise HarnessError(f"cannot create a database on {args.server}: {exc}") from exc
    try:
        key_path, public_der = _dkim_key(workdir)
        _environment(workdir, f"{args.server}/{database}", key_path, args)
        import django

        django.setup()
        from django.core.management import call_command

        log("migrate")
        call_command("migrate", verbosity=0, interactive=False)
        facts = machine_facts()
        runs = [_run_count(count, args, workdir, public_der) for count in counts]

        from cll.newsletter.models import Campaign

        message = _prerendered(Campaign.objects.order_by("pk").first())
        sink = Sink(workdir, "bare")
        try:
            log(f"bare rate: {args.bare:,} identical pre-rendered messages")
            bare_rate = _bare(sink.port, message, args.bare, args.connections * args.workers)
        finally:
            sink.stop()
        dkim_rsa("dkimpy")
        sign_ms = _dkim_sign_ms(message)
        dkim_rsa("openssl")
        sign_openssl_ms = _dkim_sign_ms(message)
        for run in runs:
            run["ratio_to_bare"] = round(run["messages_per_second"] / bare_rate, 3)
        result = {
            "benchmark": "newsletter",
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "revision": git_revision(),
            "workers": args.workers,
            "connections_per_worker": args.connections,
            "dkim_rsa": args.dkim_rsa,
            "message_bytes": len(message),
            "bare_messages_per_second": round(bare_rate),
            "dkim_sign_ms": round(sign_ms, 2),
            "dkim_sign_openssl_rsa_ms": round(sign_openssl_ms, 2),
            "runs": runs,
            "target_messages_per_second": TARGET_RATE,
            "machine": {
                **facts,
                "load_average_after": [round(value, 2) for value in os.getloadavg()],
            },
        }
    finally:
        from django.db import connections

        connections.close_all()
        _server_sql(args.server, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        workdir_done(workdir, keep=False)

    print(json.dumps(result, indent=2))
    if not args.no_save:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS_DIR / f"newsletter-{stamp}.json"
        out.write_text(json.dumps(result, indent=2) + "\n")
        log(f"figures written to {out.relative_to(REPO)}")
    ok = all(run["exactly_once"] and run["dkim_verifies"] for run in runs)
    if not ok:
        log("FAIL: a recipient got no message or more than one, or a signature did not verify")
        return 1
    return 0 if runs[-1]["messages_per_second"] >= TARGET_RATE else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as exc:
        log(f"harness error: {exc}")
        sys.exit(2)
