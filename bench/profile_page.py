"""Where one page's time goes: a single-process cProfile of the production request path.

Run (from the repository root):

    .venv/bin/python bench/profile_page.py /fr/courses/

It prepares the same throw-away production environment as bench/pages.py (fresh SQLite
database, ``load_demo --sessions 500``, collected static files), then calls the WSGI application
directly — the whole middleware stack, no server, no network — and reports for each page:

- the time per request without the profiler, both as served (from the page cache once warm)
  and rendered (the cache emptied before each request): wall clock and CPU time of this process
  (``time.process_time``). The CPU time is the figure to compare between runs: on a shared
  machine the wall clock also counts the time other processes held the core, and 1000 / CPU ms
  is one core's ceiling; everything below is for rendered requests, or as served with
  ``--warm``;
- the SQL queries per request and the time spent in them;
- the rendering time of every template it uses (includes and form widgets too);
- the profiler's time by phase and by area (templates, database, translation, ...) and the
  functions that cost the most.

Options: ``--signed-in`` (as the demo learner of ``load_demo_accounts``, with a real session
and the CSRF cookie a browser keeps),
``--timing-only`` (only the times per request, for before/after comparisons),
``--requests 300`` (profiled requests per page), ``--limit 25`` (functions listed),
``--stats FILE`` (save the raw pstats of the last page, e.g. for snakeviz), ``--keep``.
Several paths may be given; ``/bench/hello`` is always measured first as the baseline.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # the sibling harness: same environment, same set-up

# Time is attributed to the first area whose marker appears in a function's file name.
AREAS = [
    ("templates", ("/django/template/", "/templatetags/")),
    ("database", ("/django/db/", "sqlite3", "_sqlite")),
    ("translation", ("/django/utils/translation/", "gettext")),
    ("urls", ("/django/urls/",)),
    ("middleware", ("/django/middleware/", "/whitenoise/", "/contrib/sessions/")),
    ("auth/messages", ("/contrib/auth/", "/contrib/messages/")),
    ("request/response", ("/django/http/", "/django/core/handlers/")),
    ("project code", ("/cll/",)),
    ("django (other)", ("/django/",)),
    ("python stdlib", ("/lib/python3",)),
]


def area_of(filename: str) -> str:
    for area, markers in AREAS:
        if any(marker in filename for marker in markers):
            return area
    return "builtins/C" if filename.startswith("~") or filename == "" else "other"


# Phases of a request: (label, file name ending, function name); cumulative time of each.
PHASES = [
    ("page rendering (Jinja2)", "cll/core/jinja.py", "render"),
    ("template rendering (Django)", "django/template/backends/django.py", "render"),
    ("SQL: run queries", "django/db/backends/utils.py", "_execute_with_wrappers"),
    ("SQL: open connection", "django/db/backends/base/base.py", "connect"),
    ("SQL: close connection", "django/db/backends/base/base.py", "close"),
    ("URL reversing ({% url %}...)", "django/urls/base.py", "reverse"),
    ("translation (gettext)", "django/utils/translation/__init__.py", "gettext"),
    ("date formatting", "django/utils/dateformat.py", "format"),
    ("CSP header", "django/middleware/csp.py", "process_response"),
]


def phases(stats: pstats.Stats) -> dict[str, float]:
    found = {}
    for label, file_end, function in PHASES:
        found[label] = sum(
            row[3]
            for (filename, _line, name), row in stats.stats.items()
            if name == function and filename.endswith(file_end)
        )
    return found


# "name=value" of the session cookie sent with every request (``--signed-in``), or None.
COOKIE: str | None = None


def wsgi_environ(path: str) -> dict:
    from wsgiref.util import setup_testing_defaults

    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "HTTP_HOST": pages.HOST,
        "SERVER_NAME": pages.HOST,
        "SERVER_PORT": "80",
        "HTTP_ACCEPT": "text/html",
        "HTTP_USER_AGENT": "cll-profile",
    }
    if COOKIE:
        environ["HTTP_COOKIE"] = COOKIE
    setup_testing_defaults(environ)
    return environ


def request(application, path: str, *, cold: bool = False) -> tuple[str, int]:
    """One GET through the whole WSGI application; ``cold`` empties the cache first, so a
    page-cached view renders again (the cost of a cache miss)."""
    if cold:
        from django.core.cache import cache

        cache.clear()
    status_line = []

    def start_response(status, headers, exc_info=None):
        status_line.append(status)

    body = application(wsgi_environ(path), start_response)
    try:
        size = sum(len(chunk) for chunk in body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return status_line[0], size


def time_templates(
    application, path: str, requests: int, *, cold: bool
) -> dict[str, tuple[float, float]]:
    """Inclusive rendering time and renders per request of every template the page uses.

    Pages (Jinja2, ``cll/core/jinja.py``) count as the template a view renders, with what it
    extends and includes; Django's templates (allauth's pages, e-mails, and the form templates
    the form renderer does not write in Python) each count on their own.
    """
    from django.template import base

    from cll.core import jinja

    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    originals = {base.Template: base.Template._render, jinja.Template: jinja.Template._render}

    def timer(original):
        def timed(template, context):
            begin = time.perf_counter()
            try:
                return original(template, context)
            finally:
                entry = totals[template.origin.template_name or template.origin.name]
                entry[0] += time.perf_counter() - begin
                entry[1] += 1

        return timed

    for kind, original in originals.items():
        kind._render = timer(original)
    try:
        for _ in range(requests):
            request(application, path, cold=cold)
    finally:
        for kind, original in originals.items():
            kind._render = original
    rows = sorted(totals.items(), key=lambda item: -item[1][0])
    return {name: (1000 * seconds / requests, calls / requests) for name, (seconds, calls) in rows}


def profile_path(application, path: str, args: argparse.Namespace) -> None:
    from django.db import connection

    status, size = request(application, path)
    print(f"\n=== {path}: {status}, {size:,} bytes")
    if not status.startswith("200"):
        print("    not a 200 page: skipped")
        return
    for _ in range(args.warmup):
        request(application, path)

    def time_requests(*, cold: bool) -> tuple[float, float]:
        """Wall-clock and CPU milliseconds per request (the CPU time is this process's: on a
        busy machine the wall clock also counts the time other processes held the core)."""
        started, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            request(application, path, cold=cold)
        wall = (time.perf_counter() - started) * 1000 / args.requests
        return wall, (time.process_time() - started_cpu) * 1000 / args.requests

    served, rendered = time_requests(cold=False), time_requests(cold=True)
    for label, (ms, cpu_ms) in (
        ("as served", served),
        ("rendered (cache emptied first)", rendered),
    ):
        print(
            f"    {label}: {ms:.2f} ms per request on one thread, {cpu_ms:.2f} ms of CPU "
            f"(≈ {1000 / cpu_ms:,.0f} req/s per core, before server and network)"
        )
    if args.timing_only:
        return
    cold = not args.warm
    print(f"    what follows is for requests {'as served' if args.warm else 'rendered'}:")

    queries: list[tuple[str, float]] = []

    def record(execute, sql, params, many, context):
        begin = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((sql, time.perf_counter() - begin))

    started = time.perf_counter()
    with connection.execute_wrapper(record):
        for _ in range(args.requests):
            request(application, path, cold=cold)
    wrapped_ms = (time.perf_counter() - started) * 1000 / args.requests
    sql_ms = sum(seconds for _, seconds in queries) * 1000 / args.requests

    print(
        f"    {len(queries) / args.requests:.1f} SQL queries per request, "
        f"{sql_ms:.2f} ms in them ({100 * sql_ms / wrapped_ms:.0f}%)"
    )
    distinct = defaultdict(int)
    for sql, _ in queries[: len(queries) // args.requests or 0]:
        distinct[sql[:110]] += 1
    for sql, count in distinct.items():
        print(f"      {count} x {sql}")

    by_template = time_templates(application, path, args.requests, cold=cold)
    print("    time by template (inclusive of what it includes or extends; ms per request):")
    for name, (ms, calls) in list(by_template.items())[: args.limit or 12]:
        print(f"      {ms:6.2f} ms  {calls:5.1f}x  {name}")

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        request(application, path, cold=cold)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())  # tottime of every function
    by_area: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in stats.stats.items():
        by_area[area_of(filename)] += row[2]
    print("    profiled time by phase (cumulative; phases may nest, e.g. SQL run by a template):")
    for phase, seconds in phases(stats).items():
        print(f"      {phase:<28} {100 * seconds / total:5.1f}%")
    print("    profiled time by area (own time of the functions in it):")
    for area, seconds in sorted(by_area.items(), key=lambda item: -item[1]):
        print(f"      {area:<18} {100 * seconds / total:5.1f}%")
    for key in ("tottime", "cumulative"):
        output = io.StringIO()
        pstats.Stats(profiler, stream=output).strip_dirs().sort_stats(key).print_stats(args.limit)
        lines = output.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
        print(f"    top {args.limit} by {key} ({args.requests} requests):")
        print("\n".join("      " + line for line in lines[start:] if line.strip()))
    if args.stats:
        stats.dump_stats(args.stats)
        print(f"    raw statistics saved to {args.stats}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("paths", nargs="*", default=["/fr/"], metavar="PATH")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--limit", type=int, default=25)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument(
        "--warm",
        action="store_true",
        help="profile requests as served (page cache warm) instead of rendered ones",
    )
    parser.add_argument(
        "--signed-in",
        action="store_true",
        help="as the demo learner of load_demo_accounts, with a real session and CSRF cookie",
    )
    parser.add_argument(
        "--timing-only",
        action="store_true",
        help="only the time per request (wall clock and CPU): no queries, templates or profile",
    )
    parser.add_argument("--stats", help="write the last page's raw pstats to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary environment")
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error("--requests must be at least 1")

    workdir = Path(tempfile.mkdtemp(prefix="cll-bench-profile-"))
    try:
        env = pages.production_environment(workdir)
        pages.log(f"throw-away production environment in {workdir}")
        pages.prepare(env, sessions=args.sessions)
        if args.signed_in:
            global COOKIE
            if not pages.load_demo_accounts(env):
                raise pages.HarnessError("no load_demo_accounts command: cannot sign in")
            COOKIE = pages.signed_in_cookies(env)
        # The settings are read from the environment: switch this process over, then load the
        # application exactly as granian does.
        os.environ.clear()
        os.environ.update(env)
        sys.path.insert(0, str(pages.REPO))
        from cll.wsgi import application

        for path in ["/bench/hello", *[p for p in args.paths if p != "/bench/hello"]]:
            profile_path(application, path, args)
    except pages.HarnessError as exc:
        print(f"profile could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        pages.workdir_done(workdir, keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
