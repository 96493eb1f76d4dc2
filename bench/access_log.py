"""Access-log benchmark: our ingestion + aggregation against GoAccess on the same events, and the
log middleware's cost on the home page (DESIGN.md §6).

Run (from the repository root):

    .venv/bin/python bench/access_log.py

It needs ``goaccess`` and ``wrk`` (Debian: ``apt-get install -y goaccess wrk``; without them the
script says so and exits with status 2) and the project's ``.venv``. In one run it:

1. builds a throw-away production environment in a temporary directory (bench/pages.py's:
   fresh SQLite database, fresh secrets), and migrates it;
2. generates N access events (default 1,000,000; seeded, so every run sees the same events:
   30 days, ~6,000 client addresses, 40 User-Agents of which 15 % bot traffic, 250 paths, 40 %
   of the visitors consenting to analytics) and writes the same events as a combined log;
3. **ours**: a child process (Django set up, nothing else running) first writes the events to
   the spool as the web workers' writer threads do (``spool.segment_write``, files of
   ``CLL_LOG_FLUSH_EVENTS``, the production default; not timed, its cost per event is
   reported), then, timed, ingests the spool as the task worker does (``spool.ingest``: read,
   check, store as compressed blocks, one transaction per file) and runs ``aggregates_compute``
   for every day. Peak memory: the child's maximum RSS (``getrusage``), Django and the event
   generator included;
4. **GoAccess**: ``goaccess access.log --log-format=COMBINED -o report.json`` on the same
   events; time and maximum RSS from ``wait4`` on that process;
5. **middleware cost**: ``load_demo``, then two granian servers as in production side by side,
   one with the access-log middleware (and its writer threads) and one with ``CLL_ACCESS_LOG=0``
   (middleware not used), and the ingester running all along (``manage.py access_log_ingest
   --watch 1``, the task worker's job); wrk (50 connections) on the home page ``/fr/``
   alternates between them, ``--pairs`` pairs of ``--duration`` seconds, the order swapped
   every pair. The slowdown is 1 - the median of the pairs' req/s ratios; the CPU cost adds
   the ingester's CPU per logged request to the server's CPU per request;
6. prints both rates (events/s), both peak memories, the ratio, the pairs and the slowdown,
   and writes them to ``bench/results/access_log-<UTC time>.json``.

Targets: ours ≥ 2x GoAccess, our peak < 500 MB, middleware < 5 % slower. Exit status 0 when the
benchmark ran (targets met or not: the figures say), 2 when it could not run. Options:
``--events 100000`` (a quicker run), ``--skip-pages`` (no middleware measurement),
``--skip-ingest`` (only the middleware), ``--pairs 6``, ``--duration 5``, ``--warmup 3``,
``--keep``; developer aids: ``CLL_BENCH_PROFILE=<file>`` (cProfile of our child),
``CLL_BENCH_NO_WRITER=1`` (servers without the writer thread).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages

REPO = pages.REPO
PYTHON = pages.PYTHON
TARGET_RATIO = 2.0
TARGET_PEAK_MIB = 500
TARGET_SLOWDOWN_PCT = 5.0
SEED = 20261125
BATCH = 5000
START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
DAYS = 30

_BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.{v} Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel {v}) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0",
]
_BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "curl/8.5.0",
    "python-requests/2.32.3",
]
_LANGUAGES = ["fr-BE,fr;q=0.9,en;q=0.8", "nl-BE,nl;q=0.9", "en-GB,en;q=0.9", "de-DE,de;q=0.9"]
_REFERRERS = [
    "",
    "",
    "",
    "https://www.google.com/",
    "https://www.google.be/search?q=cours+anglais",
    "https://www.bing.com/",
    "https://www.facebook.com/",
    "https://www.uclouvain.be/fr/etudier",
    "https://duckduckgo.com/",
    "https://www.linkedin.com/feed/",
]


def _paths() -> list[str]:
    paths = []
    for language in ("fr", "en", "nl"):
        paths += [f"/{language}/", f"/{language}/courses/", f"/{language}/news/"]
        paths += [f"/{language}/courses/session-{n}/" for n in range(60)]
        paths += [f"/{language}/news/article-{n}/" for n in range(15)]
    return paths


def generate(count: int):
    """Yield batches of ``cll.analytics.logbuffer.Event`` fields (plain tuples), seeded."""
    rng = random.Random(SEED)
    user_agents = [template.format(v=v) for template in _BROWSERS for v in range(120, 126)]
    ips = [
        f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        for _ in range(6000)
    ]
    paths = _paths()
    start = START.timestamp()
    span = DAYS * 86400
    batch = []
    for index in range(count):
        client = rng.randrange(len(ips))
        bot = rng.random() < 0.15
        user_agent = rng.choice(_BOTS) if bot else user_agents[client % len(user_agents)]
        consent = not bot and client % 5 < 2
        roll = rng.random()
        status, method = (404, "GET") if roll < 0.03 else (200, "GET")
        if 0.03 <= roll < 0.05:
            method = "POST"
        path = (
            paths[min(len(paths) - 1, int(rng.paretovariate(1.2)) - 1)]
            if status == 200
            else (f"/wp-admin/{rng.randrange(1000)}.php")
        )
        timestamp = start + span * index / count
        batch.append(
            (
                timestamp,
                method,
                path,
                status,
                ips[client],
                user_agent,
                _LANGUAGES[client % len(_LANGUAGES)],
                _REFERRERS[rng.randrange(len(_REFERRERS))],
                rng.randrange(2, 40),
                consent,
                f"session-{client}-{index // 50_000}" if consent else None,
                "",
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def write_combined_log(path: Path, count: int) -> None:
    """The same events as an Apache/nginx combined log (what GoAccess reads)."""
    with path.open("w", encoding="utf-8") as output:
        for batch in generate(count):
            lines = []
            for ts, method, url, status, ip, ua, _lang, referrer, ms, *_rest in batch:
                moment = time.gmtime(ts)
                stamp = (
                    f"{moment.tm_mday:02d}/{_MONTHS[moment.tm_mon - 1]}/{moment.tm_year}:"
                    f"{moment.tm_hour:02d}:{moment.tm_min:02d}:{moment.tm_sec:02d} +0000"
                )
                lines.append(
                    f'{ip} - - [{stamp}] "{method} {url} HTTP/1.1" {status} {ms * 300} '
                    f'"{referrer or "-"}" "{ua}"\n'
                )
            output.writelines(lines)


# -- Ours: a child process ---------------------------------------------------------------------


def ours_child(count: int) -> None:
    """Runs in the child: ingest and aggregate, print one JSON line of figures."""
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings

    from cll.analytics import parsing, services, spool
    from cll.analytics.events import Event
    from cll.analytics.models import DailyAggregate, VisitorSalt
    from cll.analytics.services import aggregates_compute

    # Each day's salt, as the writer of that day created it (a past day without one gets no
    # visitor hashes: salts are never re-created).
    VisitorSalt.objects.bulk_create(
        VisitorSalt(day=START.date() + dt.timedelta(days=offset), salt=os.urandom(32))
        for offset in range(-1, DAYS + 2)
    )
    # Process start-up, not work per event (a running writer or task process has done it
    # long before): ua-parser compiles its regexes, and the funnel's URL names need the
    # URLconf, which imports every app's views. Measured separately.
    started = time.perf_counter()
    parsing.user_agent_facts("warm-up")
    services._funnel_prefixes()
    startup_seconds = time.perf_counter() - started

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    # The web workers' share, not timed as ingestion: their writer threads leave the events
    # in the spool as files of ACCESS_LOG_FLUSH_EVENTS (the production default, 1,000).
    spool_seconds = 0.0
    size = settings.ACCESS_LOG_FLUSH_EVENTS
    for batch in generate(count):
        events = [Event(*fields) for fields in batch]
        started = time.perf_counter()
        for start in range(0, len(events), size):
            if spool.segment_write(events=events[start : start + size]) is None:
                raise RuntimeError("the spool could not be written")
        spool_seconds += time.perf_counter() - started
    # Ours: the task worker's ingestion of those files (read, check, store as blocks, one
    # transaction per file), then the aggregation of every day.
    started, started_cpu = time.perf_counter(), cpu()
    written = spool.ingest()
    ingest_seconds = time.perf_counter() - started
    cpu_seconds = cpu() - started_cpu
    started, started_cpu = time.perf_counter(), cpu()
    days = services.days_with_log()
    aggregate_rows = sum(aggregates_compute(day=day) for day in days)
    aggregate_seconds = time.perf_counter() - started
    cpu_seconds += cpu() - started_cpu

    def total(key: str) -> int:
        rows = DailyAggregate.objects.filter(dimension="total", key=key)
        return sum(rows.values_list("count", flat=True))

    page_views, visitors, visits = total("page_views"), total("visitors"), total("visits")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "events": written,
                "ingest_seconds": round(ingest_seconds, 2),
                "spool_write_us_per_event_not_counted": round(1e6 * spool_seconds / count, 2),
                "aggregate_seconds": round(aggregate_seconds, 2),
                "startup_seconds_not_counted": round(startup_seconds, 2),
                "cpu_seconds": round(cpu_seconds, 2),
                "days": len(days),
                "aggregate_rows": aggregate_rows,
                "page_views": page_views,
                "visitor_days": visitors,
                "visits": visits,
                "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            }
        )
    )


def run_measured(command: list[str], *, env: dict[str, str] | None = None, stdout=None):
    """Run ``command``; (exit status, wall seconds, max RSS MiB, output, errors, CPU seconds)
    from wait4."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    errors = process.stderr.read().decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu_seconds = usage.ru_utime + usage.ru_stime
    return (
        process.returncode,
        seconds,
        round(usage.ru_maxrss / 1024, 1),
        output,
        errors,
        cpu_seconds,
    )


# -- The run ------------------------------------------------------------------------------------


def _logged(env) -> int:
    return int(
        pages.django_eval(
            env,
            "from django.db.models import Sum; from cll.analytics.models import AccessLogBlock; "
            "print(AccessLogBlock.objects.aggregate(n=Sum('events'))['n'] or 0)",
        )
    )


def _spooled(env) -> int:
    return len(list(Path(env["CLL_VAR_DIR"], "access-log-spool").glob("*.batch")))


def measure_middleware(env, workdir, *, duration: int, warmup: int, pairs: int) -> dict:
    """Home page req/s with the access-log middleware on and off, in the same run.

    Both servers run side by side (granian as in production, 2 workers, 4 threads) and wrk
    alternates between them: ``pairs`` pairs of runs, the order swapped every pair, so that a
    drift of the machine's speed falls on both. The task worker's ingester runs all along
    (``manage.py access_log_ingest --watch 1``) as in production; its CPU is measured too and
    added to the cost of logging.
    """
    cores = os.cpu_count() or 1
    rows_before = _logged(env)
    servers = {
        label: pages.Granian(
            {**env, "CLL_ACCESS_LOG": flag}, workdir, workers=2, blocking_threads=4, extra_args=[]
        )
        for label, flag in (("with", "1"), ("without", "0"))
    }
    ingester = subprocess.Popen(
        [PYTHON, str(REPO / "manage.py"), "access_log_ingest", "--watch", "1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    phases: list[dict] = []
    try:
        for label, server in servers.items():
            server.start()
            url = server.base_url + "/fr/"
            probe = pages.probe(url)
            if probe.status != 200:
                raise pages.HarnessError(f"/fr/ answered {probe.status} ({label})")
            pages.run_wrk(url, duration=warmup, connections=50, threads=2, headers={})
        ingest_ticks = pages._process_ticks(ingester.pid)
        for pair in range(pairs):
            order = ("with", "without") if pair % 2 == 0 else ("without", "with")
            for label in order:
                server = servers[label]
                with pages.CpuMeter(server.pids) as meter:
                    result = pages.run_wrk(
                        server.base_url + "/fr/",
                        duration=duration,
                        connections=50,
                        threads=2,
                        headers={},
                    )
                server_seconds = meter.usage["server_pct"] / 100 * cores * result.seconds
                phases.append(
                    {
                        "pair": pair,
                        "label": label,
                        "requests": result.requests,
                        "requests_per_second": result.requests_per_second,
                        "server_cpu_us_per_request": round(
                            1e6 * server_seconds / max(1, result.requests), 1
                        ),
                        "p99_ms": result.latency_ms.get("p99"),
                        "cpu": meter.usage,
                    }
                )
                pages.log(
                    f"pair {pair + 1}, middleware {label}: {result.requests_per_second:,.0f} req/s"
                )
    finally:
        for server in servers.values():
            server.stop()  # the log's server spools what it still holds when it exits
    # Let the ingester store what is left, then stop it.
    deadline = time.monotonic() + 60
    while _spooled(env) and time.monotonic() < deadline and ingester.poll() is None:
        time.sleep(0.5)
    ingest_ticks = pages._process_ticks(ingester.pid) - ingest_ticks
    ingester.send_signal(signal.SIGTERM)
    try:
        ingester.wait(timeout=30)
    except subprocess.TimeoutExpired:
        ingester.kill()
        ingester.wait()
    rows = _logged(env) - rows_before
    with_requests = sum(phase["requests"] for phase in phases if phase["label"] == "with")
    ratios = []
    for pair in range(pairs):
        rate = {
            phase["label"]: phase["requests_per_second"]
            for phase in phases
            if phase["pair"] == pair
        }
        ratios.append(rate["with"] / rate["without"])

    def median(label: str, key: str) -> float:
        return statistics.median(phase[key] for phase in phases if phase["label"] == label)

    ingest_us = 1e6 * ingest_ticks / os.sysconf("SC_CLK_TCK") / max(1, rows)
    cpu_with = median("with", "server_cpu_us_per_request")
    cpu_without = median("without", "server_cpu_us_per_request")
    return {
        "pairs": pairs,
        "duration_s": duration,
        "phases": phases,
        "rows_written": rows,
        "requests_with_middleware": with_requests,
        "requests_per_second_with": round(median("with", "requests_per_second")),
        "requests_per_second_without": round(median("without", "requests_per_second")),
        "pair_ratios": [round(ratio, 3) for ratio in ratios],
        # Slower by: 1 - the median of the pairs' ratios (with / without).
        "slowdown_pct": round(100 * (1 - statistics.median(ratios)), 1),
        "server_cpu_us_per_request_with": round(cpu_with, 1),
        "server_cpu_us_per_request_without": round(cpu_without, 1),
        "ingest_cpu_us_per_request": round(ingest_us, 1),
        "cpu_cost_pct": round(100 * (cpu_with + ingest_us - cpu_without) / cpu_without, 1),
        "ingester_errors": (ingester.stderr.read().decode() if ingester.stderr else "")[-2000:],
    }


def print_comparison(report: dict, events: int) -> None:
    ours, goaccess = report["ours"], report["goaccess"]
    print(f"\n{events:,} access events ({ours['days']} days)")
    print(f"{'':12} {'seconds':>8} {'events/s':>10} {'peak RSS':>10}")
    print(
        f"{'ours':12} {ours['seconds']:>8.2f} {ours['events_per_second']:>10,} "
        f"{ours['peak_rss_mib']:>7.0f} MiB   (ingest {ours['ingest_seconds']:.2f} s, "
        f"aggregate {ours['aggregate_seconds']:.2f} s)"
    )
    print(
        f"{'GoAccess':12} {goaccess['seconds']:>8.2f} {goaccess['events_per_second']:>10,} "
        f"{goaccess['peak_rss_mib']:>7.0f} MiB"
    )
    print(
        f"CPU seconds: ours {ours['cpu_seconds']:.2f}, GoAccess {goaccess['cpu_seconds']:.2f} "
        f"(ratio per CPU-second {report['cpu_ratio']:.2f}x)"
    )
    met = report["ratio"] >= TARGET_RATIO and ours["peak_rss_mib"] < TARGET_PEAK_MIB
    print(
        f"ratio ours / GoAccess: {report['ratio']:.2f}x (target ≥ {TARGET_RATIO}x, peak < "
        f"{TARGET_PEAK_MIB} MiB): {'met' if met else 'MISSED'}"
    )


def print_middleware(middleware: dict) -> None:
    print(
        f"access-log rows stored by the ingester: {middleware['rows_written']:,} for "
        f"{middleware['requests_with_middleware']:,} measured requests (plus warm-ups)"
    )
    print(f"{'pair':>4} {'with':>10} {'without':>10} {'ratio':>7}")
    for pair, ratio in enumerate(middleware["pair_ratios"]):
        rate = {
            phase["label"]: phase["requests_per_second"]
            for phase in middleware["phases"]
            if phase["pair"] == pair
        }
        print(f"{pair + 1:>4} {rate['with']:>10,.0f} {rate['without']:>10,.0f} {ratio:>7.3f}")
    print(
        f"home page /fr/: {middleware['requests_per_second_with']:,} req/s with the middleware, "
        f"{middleware['requests_per_second_without']:,} without (medians): "
        f"{middleware['slowdown_pct']} % slower by the median pair "
        f"(target < {TARGET_SLOWDOWN_PCT} %)"
    )
    print(
        f"CPU per request: server {middleware['server_cpu_us_per_request_with']} µs with, "
        f"{middleware['server_cpu_us_per_request_without']} µs without, plus the ingester's "
        f"{middleware['ingest_cpu_us_per_request']} µs per logged request: "
        f"{middleware['cpu_cost_pct']} % more CPU per request in all"
    )
    disturbed = [
        f"pair {phase['pair'] + 1} {phase['label']}"
        for phase in middleware["phases"]
        if phase["cpu"]["steal_pct"] > pages.NOISE_WARNING_PCT
    ]
    if disturbed:
        print(f"WARNING: CPU stolen by the hypervisor during {', '.join(disturbed)}")
    if middleware["ingester_errors"].strip():
        print("ingester said:\n" + middleware["ingester_errors"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument(
        "--skip-ingest", action="store_true", help="only the middleware measurement"
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if profile := os.environ.get("CLL_BENCH_PROFILE"):
            # Developer aid: cProfile of the child (the figures are then not comparable).
            import cProfile

            cProfile.runctx("ours_child(args.child)", globals(), locals(), profile)
        else:
            ours_child(args.child)
        return 0

    missing = [tool for tool in ("goaccess", "wrk") if not shutil.which(tool)]
    if args.skip_pages and "wrk" in missing:
        missing.remove("wrk")
    if missing:
        print(
            f"missing: {', '.join(missing)} (Debian: apt-get install -y {' '.join(missing)})",
            file=sys.stderr,
        )
        return 2

    started_at = dt.datetime.now(dt.UTC)
    facts = pages.machine_facts()
    goaccess_version = subprocess.run(
        ["goaccess", "--version"], capture_output=True, text=True, check=False
    ).stdout.split("\n", 1)[0]
    workdir = Path(tempfile.mkdtemp(prefix="cll-bench-log-"))
    env = pages.production_environment(workdir)
    # The servers of the middleware measurement run the background writer, as in production.
    env["CLL_LOG_WRITER"] = "1"
    if os.environ.get("CLL_BENCH_NO_WRITER"):
        # Developer aid: the request side alone (events are buffered, then dropped and
        # counted once the buffer is full; no writer thread). Not the production set-up.
        env["CLL_LOG_WRITER"] = "0"
        env["CLL_LOG_BUFFER_EVENTS"] = "1000000"
    report: dict = {
        "benchmark": "access_log",
        "started_at": started_at.isoformat(timespec="seconds"),
    }
    try:
        pages.log("migrate")
        pages.manage(env, "migrate", "--no-input", "--verbosity", "0")

        if not args.skip_ingest:
            log_path = workdir / "access.log"
            pages.log(f"writing {args.events:,} events as a combined log")
            write_combined_log(log_path, args.events)

            pages.log("ours: ingest + aggregate")
            child_env = env
            if profile := os.environ.get("CLL_BENCH_PROFILE"):
                child_env = {**env, "CLL_BENCH_PROFILE": profile}
            status, wall, _rss, output, errors, _cpu = run_measured(
                [PYTHON, __file__, "--child", str(args.events)], env=child_env
            )
            if status != 0:
                raise pages.HarnessError(f"our ingestion failed:\n{errors[-3000:]}")
            ours = json.loads(output.strip().splitlines()[-1])
            ours["seconds"] = round(ours["ingest_seconds"] + ours["aggregate_seconds"], 2)
            ours["events_per_second"] = round(ours["events"] / ours["seconds"])
            ours["process_wall_seconds"] = round(wall, 2)

            pages.log("GoAccess")
            status, seconds, goaccess_rss, _out, errors, goaccess_cpu = run_measured(
                [
                    "goaccess",
                    str(log_path),
                    "--log-format=COMBINED",
                    "--no-progress",
                    "--no-global-config",
                    "-o",
                    str(workdir / "report.json"),
                ]
            )
            if status != 0:
                raise pages.HarnessError(f"goaccess failed (exit {status}):\n{errors[-2000:]}")
            goaccess = {
                "version": goaccess_version,
                "seconds": round(seconds, 2),
                "events_per_second": round(args.events / seconds),
                "peak_rss_mib": goaccess_rss,
                "cpu_seconds": round(goaccess_cpu, 2),
            }
            report.update(events=args.events, ours=ours, goaccess=goaccess)
            report["ratio"] = round(ours["events_per_second"] / goaccess["events_per_second"], 2)
            # Both are single-threaded: events per CPU-second stays comparable on a busy machine.
            report["cpu_ratio"] = round(goaccess["cpu_seconds"] / ours["cpu_seconds"], 2)

        if not args.skip_pages:
            pages.log("collectstatic + load_demo for the middleware measurement")
            pages.prepare(env, sessions=500)
            report["middleware"] = measure_middleware(
                env, workdir, duration=args.duration, warmup=args.warmup, pairs=args.pairs
            )
    except pages.HarnessError as exc:
        print(f"\nbenchmark could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        pages.workdir_done(workdir, keep=args.keep)

    report["machine"] = {**facts, "goaccess": goaccess_version}
    report["revision"] = pages.git_revision()
    if "ours" in report:
        print_comparison(report, args.events)
    if "middleware" in report:
        print_middleware(report["middleware"])
    pages.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = pages.RESULTS_DIR / f"access_log-{started_at:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"results written to {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
