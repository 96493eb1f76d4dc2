"""Page benchmark: the production serving layout under wrk, with the figures of DESIGN.md §6.

Run (from the repository root, after scripts/run.sh or scripts/test.sh has installed .venv):

    .venv/bin/python bench/pages.py

What it does, end to end, without touching var/ or your database (only the git-ignored
staticfiles/ is refreshed by collectstatic):

1. builds a throw-away production environment in a temporary directory: a fresh SQLite
   database, freshly generated secrets (SECRET_KEY, keyring, blind-index key), CLL_ENV=production
   over plain http on loopback (CLL_SSL_REDIRECT=0), the bare hello route switched on
   (CLL_BENCHMARK_HELLO=1); then ``migrate``, ``collectstatic`` and ``load_demo --sessions 500``;
2. starts granian exactly as in production (WSGI interface, 2 workers) on a free loopback port;
3. for each page (the bare hello view, the home page, the catalogue) runs a wrk warm-up, then a
   measured run (50 connections, 2 threads), and fails if any response is not a 2xx or any
   socket error or timeout occurs; every page must also answer exactly 200 before and after.
   Home and catalogue are measured twice: as an anonymous visitor gets them (from the page
   cache once warm) and as "-uncached": with a session cookie, which the page cache never
   answers, so every request renders the page (plus one session lookup). Then the pages of a
   signed-in learner (``me-catalogue``, ``me-profile`` which decrypts the profile, ``me-privacy``),
   with a real session of the demo learner of ``manage.py load_demo_accounts`` and the CSRF
   cookie a browser keeps (``signed_in_cookies``);
4. samples the resident memory of each granian worker during every run (/proc, no psutil);
5. accounts for the CPU during every run (granian, wrk, any other process), so a run disturbed
   by another job on the machine is flagged rather than silently reported low;
6. prints a table (req/s, p50, p99, ratio to hello, the server's CPU ms per request, peak RSS
   per worker, CPU shares), says whether every rendered page is at ≥ 0.2 of hello with a p99
   under 100 ms (issue 12's target for rendered pages), and writes
   the same figures with the machine's facts to bench/results/pages-<UTC timestamp>.json.

Exit status: 0 when every page was measured cleanly, 1 when a page failed or is missing,
2 when the harness could not run (wrk not installed, server did not start, set-up failed).

Useful options: ``--duration 30`` (seconds per measured run), ``--blocking-threads 1,2,4``
(a comma list runs the whole set once per value, to tune granian), ``--url /health`` (add a
page), ``--catalogue /fr/...`` (override the catalogue address), ``--keep`` (keep the temporary
environment, e.g. to inspect the database). See docs/benchmarks.md for the figures.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GRANIAN = str(Path(PYTHON).parent / "granian")
RESULTS_DIR = REPO / "bench" / "results"
HOST = "127.0.0.1"

# DESIGN.md §6: anonymous catalogue page, 500 sessions in DB, 50 connections, 2 cores.
TARGET_RPS = 2000
TARGET_P99_MS = 50.0
# Tuned on the reference 2-core machine (docs/benchmarks.md, "Choosing granian's threads"):
# 2 since rendered pages became the cost (4 threads contend for the GIL around each query).
DEFAULT_BLOCKING_THREADS = "2"
# Rendered pages (uncached and signed in): at least this share of hello, p99 under this.
RENDERED_MIN_RATIO = 0.2
RENDERED_MAX_P99_MS = 100.0
# A run during which other processes used more of the CPU than this is flagged as disturbed.
NOISE_WARNING_PCT = 5.0

# Variables of the caller's shell that would leak into the throw-away environment.
_INHERITED_PREFIXES = ("CLL_", "GRANIAN_", "EMAIL_", "DJANGO_")
_INHERITED_NAMES = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DEFAULT_FROM_EMAIL",
    "LOG_LEVEL",
    "PYTHONPATH",
}


class HarnessError(Exception):
    """The benchmark could not be run at all (exit status 2)."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def results_write(name: str, report: dict, started_at: dt.datetime | None = None) -> Path:
    """Write a benchmark's report to ``bench/results/<name>-<UTC time>.json`` (git-ignored:
    docs/benchmarks.md quotes the figures and names the file) and say where; returns the path.

    The file starts with what every report carries: ``benchmark`` (``name``), ``started_at``
    (``started_at``, aware, else now; it also names the file) and the git ``revision``, then
    ``report``. For every benchmark of bench/, so that their files are named, headed and
    encoded alike (UTF-8, indented, non-ASCII kept as is)."""
    stamp = (started_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    header = {
        "benchmark": name,
        "started_at": stamp.isoformat(timespec="seconds"),
        "revision": git_revision(),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{stamp:%Y%m%dT%H%M%SZ}.json"
    text = json.dumps({**header, **report}, indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    print(f"\nresults written to {path.relative_to(REPO)}")
    return path


# -- The throw-away production environment ---------------------------------------------------


def workdir_done(workdir: Path, *, keep: bool) -> None:
    """Remove a run's throw-away directory, or say where it was kept (``--keep``)."""
    if keep:
        log(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def production_environment(workdir: Path) -> dict[str, str]:
    """Environment variables for a production-mode site living entirely inside ``workdir``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in _INHERITED_NAMES and not name.startswith(_INHERITED_PREFIXES)
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cll.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
            "CLL_ENV": "production",
            "CLL_VAR_DIR": str(workdir / "var"),
            "DATABASE_URL": f"sqlite:///{workdir / 'db.sqlite3'}",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "CLL_KEYRING": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "CLL_BLIND_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "CLL_AUDIT_KEY": "a1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "CLL_AUDIT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": HOST,
            # Production insists on https for the public URL; the benchmark itself talks plain
            # http on loopback, so the redirect to https is the one thing switched off.
            "CLL_SITE_URL": "https://bench.invalid",
            "CLL_SSL_REDIRECT": "0",
            "EMAIL_HOST": HOST,
            "CLL_BENCHMARK_HELLO": "1",
            # Production refuses the sandbox payment provider; the pages measured take no
            # payment, so a well-formed (never used) Mollie key lets the site start.
            "CLL_PAYMENT_PROVIDER": "mollie",
            "CLL_MOLLIE_API_KEY": "live_" + secrets.token_hex(15),
        }
    )
    return env


def run(command: list[str], *, cwd: Path, timeout: float, env: dict | None = None) -> str:
    """Run a command; its standard output, or HarnessError with the end of its output."""
    try:
        # Fixed argument lists built by the harness, never a shell: nothing untrusted.
        result = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise HarnessError(f"{command[0]} is not installed") from exc
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"{' '.join(command[:3])} took more than {timeout:.0f} s") from exc
    if result.returncode != 0:
        raise HarnessError(
            f"{' '.join(command)} failed (exit {result.returncode}):\n"
            f"{(result.stdout + result.stderr).strip()[-3000:]}"
        )
    return result.stdout


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> str:
    """Run ``manage.py`` in the benchmark environment; its output, or HarnessError."""
    return run([PYTHON, str(REPO / "manage.py"), *args], cwd=REPO, timeout=timeout, env=env)


def has_command(env: dict[str, str], name: str) -> bool:
    return name in manage(env, "help", "--commands").split()


def django_eval(env: dict[str, str], code: str) -> str:
    """The last line ``code`` prints, run with Django set up in the benchmark environment."""
    lines = manage(env, "shell", "--no-imports", "-c", code, timeout=120).strip().splitlines()
    if not lines:
        raise HarnessError(f"no output from: {code}")
    return lines[-1].strip()


@dataclass
class Preparation:
    demo_loaded: bool
    sessions_in_db: int | None
    session_cookie_name: str
    setup_seconds: float


def prepare(env: dict[str, str], *, sessions: int) -> Preparation:
    """Migrate, collect static files and load the demo content into the fresh database."""
    started = time.monotonic()
    log("migrate")
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    # STATIC_ROOT is the repository's staticfiles/ (git-ignored): the same fingerprinted,
    # compressed files production serves through WhiteNoise.
    log("collectstatic")
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    demo_loaded = has_command(env, "load_demo")
    if demo_loaded:
        log(f"load_demo --sessions {sessions}")
        manage(env, "load_demo", "--sessions", str(sessions))
    else:
        log("WARNING: manage.py load_demo does not exist yet: the database has no content")
    sessions_in_db = None
    with contextlib.suppress(HarnessError, ValueError):
        sessions_in_db = int(
            django_eval(
                env, "from cll.courses.models import Session; print(Session.objects.count())"
            )
        )
    session_cookie_name = django_eval(
        env, "from django.conf import settings; print(settings.SESSION_COOKIE_NAME)"
    )
    return Preparation(
        demo_loaded=demo_loaded,
        sessions_in_db=sessions_in_db,
        session_cookie_name=session_cookie_name,
        setup_seconds=round(time.monotonic() - started, 1),
    )


# The learner of ``manage.py load_demo_accounts`` (its demo password is in scripts/dast.py).
DEMO_LEARNER = "alice@demo.cll.be"


def load_demo_accounts(env: dict[str, str]) -> bool:
    """The demo accounts, in the production database: the command refuses production by
    design, so it alone runs in development mode against the same database and keys."""
    if not has_command(env, "load_demo_accounts"):
        return False
    manage({**env, "CLL_ENV": "development", "DEBUG": "0"}, "load_demo_accounts")
    return True


def signed_in_cookies(env: dict[str, str], email: str = DEMO_LEARNER) -> str:
    """The ``Cookie`` header of a browser signed in as ``email``: a real session (signed in
    through django.contrib.auth.login, as the sign-in form does) and the CSRF cookie the site
    set when it showed its first form, which a browser keeps and sends back, as it does the
    session cookie (without it, every request would draw a new CSRF secret and set it again)."""
    return django_eval(
        env,
        "from django.conf import settings\n"
        "from django.contrib.auth import get_user_model\n"
        "from django.test import Client\n"
        "from django.urls import reverse\n"
        f"user = get_user_model().objects.get(email={email!r})\n"
        "client = Client()\n"
        "client.force_login(user)\n"
        f"page = client.get(reverse('accounts:profile'), HTTP_HOST={HOST!r})\n"
        "assert page.status_code == 200, page.status_code\n"
        "names = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)\n"
        "print('; '.join(f'{name}={client.cookies[name].value}' for name in names))",
    )


# The pages measured by their URL names (the learner's are measured signed in).
PAGE_NAMES = {
    "catalogue": "courses:session_list",
    "me-profile": "accounts:profile",
    "me-privacy": "rights:home",
}


def french_paths(env: dict[str, str], names: dict[str, str]) -> dict[str, str | None]:
    """The French addresses of these URL names, in one Django start; None for a name that does
    not exist (yet)."""
    code = (
        "import json\n"
        "from django.urls import NoReverseMatch, reverse\n"
        "from django.utils import translation\n"
        "def path(name):\n"
        "    try:\n"
        "        return reverse(name)\n"
        "    except NoReverseMatch:\n"
        "        return None\n"
        "with translation.override('fr'):\n"
        f"    print(json.dumps({{key: path(name) for key, name in {names!r}.items()}}))"
    )
    return json.loads(django_eval(env, code))


# -- The server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Direct children of ``pid``, read from /proc (no psutil)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses: fields start after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return children


def _status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _process_ticks(pid: int) -> int:
    """User + system CPU time of ``pid`` in clock ticks (0 once it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def _system_ticks() -> tuple[int, int, int]:
    """Machine-wide (busy, idle, stolen) clock ticks since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = values
    return user + nice + system + irq + softirq, idle + iowait, steal


def children_ticks() -> float:
    """CPU time, in clock ticks, used so far by the children this process waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK")


def cpu_shares(
    system_before: tuple[int, int, int], system_after: tuple[int, int, int], **parts: float
) -> dict[str, float]:
    """Each part's share of the machine's CPU between two ``_system_ticks()`` readings, in %
    (``<part>_pct``), with what nobody named as ``other_pct``, plus ``steal_pct``, ``idle_pct``."""
    busy, idle, steal = (b - a for a, b in zip(system_before, system_after, strict=True))
    total = max(1, busy + idle + steal)

    def pct(ticks: float) -> float:
        return round(100 * max(0.0, ticks) / total, 1)

    shares = {f"{name}_pct": pct(ticks) for name, ticks in parts.items()}
    shares.update(
        other_pct=pct(busy - sum(parts.values())), steal_pct=pct(steal), idle_pct=pct(idle)
    )
    return shares


class CpuMeter:
    """Who used the machine's CPU during a measured run: the server, wrk, or anyone else.

    Another process's work (a test suite, a build) steals cores from the server and lowers its
    figures; ``other_pct`` says by how much the run was disturbed, so a noisy figure is visible.
    """

    def __init__(self, server_pids: list[int]):
        self.server_pids = server_pids

    def __enter__(self) -> CpuMeter:
        self._system = _system_ticks()
        self._server = sum(_process_ticks(pid) for pid in self.server_pids)
        self._children = children_ticks()
        return self

    def __exit__(self, *exc_info) -> None:
        server = sum(_process_ticks(pid) for pid in self.server_pids) - self._server
        wrk = children_ticks() - self._children
        self.usage = cpu_shares(self._system, _system_ticks(), server=server, wrk=wrk)
        self.server_cpu_seconds = server / os.sysconf("SC_CLK_TCK")


class Granian:
    """granian in the production layout, in its own process group so it always stops cleanly."""

    def __init__(
        self,
        env: dict[str, str],
        workdir: Path,
        *,
        workers: int,
        blocking_threads: int,
        extra_args: list[str],
    ):
        self.port = free_port()
        self.workers = workers
        self.command = [
            GRANIAN,
            "--interface",
            "wsgi",
            "--workers",
            str(workers),
            "--blocking-threads",
            str(blocking_threads),
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--log-level",
            "warning",
            "--no-access-log",
            *extra_args,
            "cll.wsgi:application",
        ]
        self.env = env
        self.log_path = workdir / f"granian-{self.port}.log"
        self.process: subprocess.Popen | None = None
        self.worker_pids: list[int] = []

    @property
    def pids(self) -> list[int]:
        """The master and its workers."""
        assert self.process is not None
        return [self.process.pid, *self.worker_pids]

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, *, timeout: float = 60) -> None:
        log(" ".join(["granian", *self.command[1:]]))
        with self.log_path.open("wb") as output:
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"granian exited with {self.process.returncode}:\n{self.tail()}")
            workers = self._find_workers()
            if len(workers) >= self.workers and self._answers():
                self.worker_pids = workers
                return
            time.sleep(0.2)
        raise HarnessError(f"granian did not answer within {timeout:.0f} s:\n{self.tail()}")

    def _answers(self) -> bool:
        try:
            with _opener.open(self.base_url + "/bench/hello", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def _find_workers(self) -> list[int]:
        """The worker processes: the master's children, less multiprocessing's helpers."""
        assert self.process is not None
        workers = []
        for pid in _children(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in cmdline and b"forkserver" not in cmdline:
                workers.append(pid)
        return sorted(workers)

    def tail(self, lines: int = 40, *, width: int = 800) -> str:
        """The end of the server's log, long lines (JSON tracebacks) cut in their middle."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(
            line if len(line) <= width else f"{line[: width // 4]} [...] {line[-width * 3 // 4 :]}"
            for line in text.splitlines()[-lines:]
        )

    def stop(self, *, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # The master forwards SIGTERM to its workers; the group kill is the fallback.
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log("granian did not stop on SIGTERM: killing its process group")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)
        # Workers orphaned by a crashed master are in our group too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


class RssSampler:
    """Samples VmRSS of the workers every ``interval`` seconds in a thread, per phase."""

    def __init__(self, pids: list[int], interval: float = 0.2):
        self.pids = pids
        self.interval = interval
        self.peaks: dict[str, dict[int, int]] = {}
        self.phase = "idle"
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def set_phase(self, phase: str) -> None:
        with self._lock:
            self.phase = phase
        self.sample()

    def sample(self) -> None:
        with self._lock:
            peaks = self.peaks.setdefault(self.phase, {})
            for pid in self.pids:
                rss = _status_kib(pid, "VmRSS")
                if rss is not None:
                    peaks[pid] = max(peaks.get(pid, 0), rss)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def peak_mib(self, phase: str) -> list[float]:
        with self._lock:
            peaks = self.peaks.get(phase, {})
            return [round(peaks.get(pid, 0) / 1024, 1) for pid in self.pids]

    def high_water_mib(self) -> list[float | None]:
        """VmHWM: the kernel's own peak RSS of each worker since it started."""
        values = (_status_kib(pid, "VmHWM") for pid in self.pids)
        return [None if kib is None else round(kib / 1024, 1) for kib in values]


# -- The load generator ----------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY = re.compile(r"^\s+(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    latency_ms: dict[str, float]
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        problems = [f"{self.non_2xx_3xx} non-2xx/3xx responses"] if self.non_2xx_3xx else []
        problems += [f"{count} socket {kind} errors" for kind, count in self.socket_errors.items()]
        if self.requests == 0:
            problems.append("no request completed")
        return problems


def parse_wrk(output: str) -> WrkResult:
    """Read wrk's report (``--latency``); raises ValueError if it is not one."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", output, re.MULTILINE)
    if not rps or not total:
        raise ValueError(f"not a wrk report:\n{output}")
    latency = {
        f"p{percent}": round(float(value) * _UNITS_MS[unit], 3)
        for percent, value, unit in _LATENCY.findall(output)
    }
    if "p50" not in latency or "p99" not in latency:
        raise ValueError(f"no latency distribution (was --latency passed?):\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = {}
    if errors:
        socket_errors = {
            kind: int(count)
            for kind, count in zip(
                ("connect", "read", "write", "timeout"), errors.groups(), strict=True
            )
            if int(count)
        }
    return WrkResult(
        requests=int(total.group(1)),
        seconds=round(float(total.group(2)) * _UNITS_MS[total.group(3)] / 1000, 2),
        requests_per_second=round(float(rps.group(1)), 1),
        latency_ms=latency,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
    )


def run_wrk(
    url: str, *, duration: int, connections: int, threads: int, headers: dict[str, str]
) -> WrkResult:
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--timeout=5s",
        "--latency",
        *(f"--header={name}: {value}" for name, value in headers.items()),
        url,
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"wrk did not finish in time: {' '.join(command)}") from exc
    if result.returncode != 0:
        raise HarnessError(f"wrk failed (exit {result.returncode}): {result.stderr.strip()}")
    try:
        return parse_wrk(result.stdout)
    except ValueError as exc:
        raise HarnessError(str(exc)) from exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass
class Probe:
    status: int
    bytes: int
    content_type: str
    cookies_set: list[str]
    cache_control: str
    vary: str


def probe(url: str, headers: dict[str, str] | None = None) -> Probe:
    """One plain GET, redirects not followed: what a first-time visitor receives."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (http://127.0.0.1)
    try:
        response = _opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    except OSError as exc:
        raise HarnessError(f"GET {url} failed: {exc}") from exc
    with response:
        body = response.read()
        headers = response.headers
        return Probe(
            status=response.status,
            bytes=len(body),
            content_type=headers.get("Content-Type", ""),
            cookies_set=sorted(
                cookie.split("=", 1)[0].strip() for cookie in headers.get_all("Set-Cookie") or []
            ),
            cache_control=headers.get("Cache-Control", ""),
            vary=headers.get("Vary", ""),
        )


# -- Machine facts ---------------------------------------------------------------------------


def machine_facts() -> dict:
    cpu_model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    memory_mib = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_mib = int(line.split()[1]) // 1024
    try:
        wrk_version = subprocess.run(
            ["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.split("\n", 1)[0]
    except (OSError, subprocess.TimeoutExpired):
        wrk_version = None
    import sqlite3

    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    return {
        "cpu_model": cpu_model,
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)),
        "memory_mib": memory_mib,
        "kernel": platform.release(),
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "django": version("django"),
        "granian": version("granian"),
        "whitenoise": version("whitenoise"),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk_version,
    }


def git_revision() -> str | None:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


# -- The run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    # Sent with every request; a session cookie keeps the page cache from answering.
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def uncached(self) -> bool:
        return bool(self.headers)


@dataclass
class PageResult:
    name: str
    path: str
    uncached: bool
    status: str  # "ok", "failed" or "missing"
    problems: list[str] = field(default_factory=list)
    wrk: WrkResult | None = None
    runs_requests_per_second: list[float] = field(default_factory=list)
    probe: Probe | None = None
    ratio_to_hello: float | None = None
    peak_rss_mib_per_worker: list[float] = field(default_factory=list)


def measure_page(
    server: Granian, sampler: RssSampler, page: Page, args: argparse.Namespace
) -> PageResult:
    name, path = page.name, page.path
    url = server.base_url + path
    headers = dict(page.headers)
    first = probe(url, headers)
    if first.status != 200:
        status = "missing" if first.status == 404 else "failed"
        log(f"{name} {path}: answered {first.status}, not 200: not measured")
        if first.status >= 500:
            log(f"the server's log ends with:\n{server.tail(10)}")
        return PageResult(
            name, path, page.uncached, status, [f"answered {first.status}"], probe=first
        )
    phase = f"{name} {path}"
    if args.warmup:
        log(f"{name} {path}: warm-up {args.warmup} s")
        sampler.set_phase(f"warm-up {phase}")
        run_wrk(
            url,
            duration=args.warmup,
            connections=args.connections,
            threads=args.threads,
            headers=headers,
        )
    sampler.set_phase(phase)
    runs = []
    for run in range(1, args.repeat + 1):
        log(f"{name} {path}: measuring {args.duration} s ({run}/{args.repeat})")
        with CpuMeter(server.pids) as meter:
            result = run_wrk(
                url,
                duration=args.duration,
                connections=args.connections,
                threads=args.threads,
                headers=headers,
            )
        result.cpu = meter.usage
        if result.requests:
            result.cpu["server_ms_per_request"] = round(
                1000 * meter.server_cpu_seconds / result.requests, 3
            )
        runs.append(result)
        if meter.usage["other_pct"] + meter.usage["steal_pct"] > NOISE_WARNING_PCT:
            log(
                f"WARNING: other processes took {meter.usage['other_pct']}% of the CPU "
                f"(+{meter.usage['steal_pct']}% stolen by the hypervisor) during this run"
            )
    sampler.set_phase("idle")
    # With repeats, the run of median throughput stands for the page (robust to one noisy run).
    result = sorted(runs, key=lambda run: run.requests_per_second)[(len(runs) - 1) // 2]
    problems = sorted({problem for run in runs for problem in run.problems})
    after = probe(url, headers)
    if after.status != 200:
        problems.append(f"answered {after.status} after the run")
    return PageResult(
        name,
        path,
        page.uncached,
        "failed" if problems else "ok",
        problems,
        wrk=result,
        runs_requests_per_second=[run.requests_per_second for run in runs],
        probe=first,
        peak_rss_mib_per_worker=sampler.peak_mib(phase),
    )


def run_configuration(
    env: dict[str, str],
    workdir: Path,
    pages: list[Page],
    blocking_threads: int,
    args: argparse.Namespace,
) -> dict:
    server = Granian(
        env,
        workdir,
        workers=args.workers,
        blocking_threads=blocking_threads,
        extra_args=args.granian_arg,
    )
    try:
        server.start()
        log(f"granian answers on {server.base_url}; workers {server.worker_pids}")
        results = []
        with RssSampler(server.worker_pids) as sampler:
            idle_rss = sampler.peak_mib("idle")
            for page in pages:
                results.append(measure_page(server, sampler, page, args))
            high_water = sampler.high_water_mib()
        if server.process is not None and server.process.poll() is not None:
            raise HarnessError(f"granian died during the run:\n{server.tail()}")
    finally:
        server.stop()
    hello = next((r for r in results if r.name == "hello" and r.wrk), None)
    for result in results:
        if hello and result.wrk:
            result.ratio_to_hello = round(
                result.wrk.requests_per_second / hello.wrk.requests_per_second, 3
            )
    return {
        "granian": {
            "command": " ".join(["granian", *server.command[1:]]).replace(
                f"--port {server.port}", "--port <free port>"
            ),
            "workers": args.workers,
            "blocking_threads": blocking_threads,
        },
        "target_met": target_met(results),
        "rendered_targets_met": rendered_targets(results),
        "idle_rss_mib_per_worker": idle_rss,
        "high_water_rss_mib_per_worker": high_water,
        "pages": [asdict(result) for result in results],
        "_results": results,
    }


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def print_table(configuration: dict) -> None:
    granian = configuration["granian"]
    print()
    print(
        f"granian WSGI, {granian['workers']} workers, "
        f"{granian['blocking_threads']} blocking thread(s) per worker"
    )
    header = (
        f"{'page':<18} {'URL':<22} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} "
        f"{'bytes':>7} {'CPU ms/req':>10}  {'RSS/worker MiB':<14}  CPU % server/wrk/other"
    )
    print(header)
    print("-" * len(header))
    for result in configuration["_results"]:
        wrk = result.wrk
        if wrk is None:
            print(f"{result.name:<18} {result.path:<22} {result.status.upper()}: {result.problems}")
            continue
        size = _fmt(result.probe.bytes if result.probe else None, ",d")
        rss = " / ".join(f"{mib:.0f}" for mib in result.peak_rss_mib_per_worker) or "-"
        cpu = wrk.cpu
        print(
            f"{result.name:<18} {result.path:<22} {wrk.requests_per_second:>8,.0f} "
            f"{wrk.latency_ms['p50']:>7.2f} {wrk.latency_ms['p99']:>7.2f} "
            f"{_fmt(result.ratio_to_hello, '.3f'):>6} {size:>7} "
            f"{_fmt(cpu.get('server_ms_per_request'), '.2f'):>10}  {rss:<14}  "
            f"{cpu['server_pct']:.0f}/{cpu['wrk_pct']:.0f}/"
            f"{cpu['other_pct'] + cpu['steal_pct']:.0f}"
            + (f"   FAILED: {'; '.join(result.problems)}" if result.problems else "")
        )
    idle = " / ".join(f"{mib:.0f}" for mib in configuration["idle_rss_mib_per_worker"])
    hwm = " / ".join(f"{mib:.0f}" for mib in configuration["high_water_rss_mib_per_worker"] if mib)
    print(f"worker RSS: {idle} MiB idle after start-up, {hwm} MiB high-water mark (VmHWM)")
    rendered = rendered_targets(configuration["_results"])
    if rendered:
        missed = [name for name, met in rendered.items() if not met]
        print(
            f"rendered pages ≥ {RENDERED_MIN_RATIO} of hello, p99 < {RENDERED_MAX_P99_MS:g} ms: "
            + (f"NOT MET ({', '.join(missed)})" if missed else "MET")
        )
    met = configuration["target_met"]
    if met is not None:
        catalogue = next(r for r in configuration["_results"] if r.name == "catalogue")
        print(
            f"target (catalogue ≥ {TARGET_RPS:,} req/s, p99 < {TARGET_P99_MS:g} ms, "
            f"as served to anonymous visitors): {'MET' if met else 'NOT MET'}"
            + (" (run disturbed by other processes: measure again)" if disturbed(catalogue) else "")
        )


def rendered_targets(results: list[PageResult]) -> dict[str, bool]:
    """Per rendered page (uncached or signed in): ≥ 0.2 of hello with a p99 under 100 ms."""
    return {
        result.name: result.ratio_to_hello is not None
        and result.ratio_to_hello >= RENDERED_MIN_RATIO
        and result.wrk.latency_ms["p99"] < RENDERED_MAX_P99_MS
        for result in results
        if result.wrk and result.uncached
    }


def disturbed(result: PageResult) -> bool:
    """Whether other processes took a noticeable share of the CPU during the kept run."""
    cpu = result.wrk.cpu if result.wrk else {}
    return bool(cpu) and cpu["other_pct"] + cpu["steal_pct"] > NOISE_WARNING_PCT


def target_met(results: list[PageResult]) -> bool | None:
    """Whether the catalogue, as served, meets DESIGN.md §6; None when it was not measured."""
    catalogue = next((r for r in results if r.name == "catalogue" and r.wrk), None)
    if catalogue is None:
        return None
    return (
        catalogue.wrk.requests_per_second >= TARGET_RPS
        and catalogue.wrk.latency_ms["p99"] < TARGET_P99_MS
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the site's pages in the production serving layout (granian WSGI)."
    )
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per page")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up seconds per page (0: none)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="measured runs per page; the median one is kept"
    )
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument(
        "--blocking-threads",
        default=DEFAULT_BLOCKING_THREADS,
        help="granian threads per worker; a comma list runs every page once per value",
    )
    parser.add_argument(
        "--granian-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for granian (repeat for several, e.g. --granian-arg=--backlog=2048)",
    )
    parser.add_argument("--sessions", type=int, default=500, help="sessions loaded by load_demo")
    parser.add_argument("--home", default="/fr/", help="the home page's path")
    parser.add_argument(
        "--catalogue", help="the catalogue's path (default: reverse('courses:session_list'))"
    )
    parser.add_argument(
        "--url", action="append", default=[], metavar="PATH", help="another path to measure"
    )
    parser.add_argument(
        "--no-uncached",
        action="store_true",
        help="skip the uncached runs (home and catalogue with a session cookie)",
    )
    parser.add_argument(
        "--no-signed-in",
        action="store_true",
        help="skip the demo learner's pages (catalogue, profile, privacy page, signed in)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary environment")
    parser.add_argument(
        "--no-save", action="store_true", help="do not write a JSON file to bench/results/"
    )
    args = parser.parse_args(argv)
    try:
        args.blocking_threads = [int(v) for v in str(args.blocking_threads).split(",") if v]
    except ValueError:
        parser.error("--blocking-threads takes integers separated by commas")
    if not args.blocking_threads or min(args.blocking_threads) < 1:
        parser.error("--blocking-threads must be at least 1")
    if args.duration < 1 or args.warmup < 0 or args.repeat < 1:
        parser.error("--duration must be at least 1 s, --warmup ≥ 0 and --repeat ≥ 1")
    return args


def _exit_on_signal(signum, frame) -> None:
    # SIGTERM/SIGHUP would end Python without running ``finally``: granian (in its own session)
    # would outlive the benchmark. Turn them into SystemExit so the server is always stopped.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    if shutil.which("wrk") is None:
        print(
            "wrk is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`) "
            "and run this benchmark again.",
            file=sys.stderr,
        )
        return 2
    if not Path(GRANIAN).exists():
        print(f"granian is not installed next to {PYTHON} (expected {GRANIAN}).", file=sys.stderr)
        return 2

    started_at = dt.datetime.now(dt.UTC)
    facts = machine_facts()
    if facts["load_average_before"][0] > 0.5 * facts["cores_available"]:
        log(
            f"WARNING: the machine is busy (load {facts['load_average_before'][0]} on "
            f"{facts['cores_available']} cores): the figures will be lower than on a quiet one"
        )
    workdir = Path(tempfile.mkdtemp(prefix="cll-bench-pages-"))
    try:
        env = production_environment(workdir)
        log(f"throw-away production environment in {workdir}")
        preparation = prepare(env, sessions=args.sessions)
        paths = french_paths(env, PAGE_NAMES)
        catalogue = args.catalogue or paths["catalogue"]
        pages = [Page("hello", "/bench/hello"), Page("home", args.home)]
        if catalogue:
            pages.append(Page("catalogue", catalogue))
        else:
            log("WARNING: no catalogue page: reverse('courses:session_list') failed")
        if not args.no_uncached:
            # A session key that exists nowhere: the visitor is anonymous, but the page cache
            # (which answers only requests without a session cookie) renders every response.
            cookie = (("Cookie", f"{preparation.session_cookie_name}=benchmark-uncached"),)
            pages += [Page(f"{page.name}-uncached", page.path, cookie) for page in pages[1:]]
        if not args.no_signed_in:
            if load_demo_accounts(env):
                cookie = (("Cookie", signed_in_cookies(env)),)
                signed_in = [("me-catalogue", catalogue)] if catalogue else []
                for name in ("me-profile", "me-privacy"):
                    if paths[name] is None:
                        raise HarnessError(f"no {PAGE_NAMES[name]} URL: {name} not measured")
                    signed_in.append((name, paths[name]))
                pages += [Page(name, path, cookie) for name, path in signed_in]
            else:
                log("WARNING: no load_demo_accounts command: signed-in pages not measured")
        pages += [Page(f"extra{n}", path) for n, path in enumerate(args.url, 1)]
        configurations = [
            run_configuration(env, workdir, pages, threads, args)
            for threads in args.blocking_threads
        ]
    except HarnessError as exc:
        print(f"\nbenchmark could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        workdir_done(workdir, keep=args.keep)

    for configuration in configurations:
        print_table(configuration)

    problems = []
    if not catalogue:
        problems.append("catalogue: no courses:session_list URL")
    if not preparation.demo_loaded:
        problems.append("load_demo: command missing, pages measured on an empty database")
    for configuration in configurations:
        for result in configuration["_results"]:
            if result.status != "ok":
                problems.append(f"{result.name} {result.path}: {'; '.join(result.problems)}")

    warnings = []
    for configuration in configurations:
        for result in configuration["_results"]:
            if disturbed(result):
                cpu = result.wrk.cpu
                warnings.append(
                    f"{result.name} {result.path} (blocking threads "
                    f"{configuration['granian']['blocking_threads']}): other processes took "
                    f"{cpu['other_pct'] + cpu['steal_pct']:.0f}% of the CPU"
                )
    if warnings:
        print(
            f"\n{len(warnings)} run(s) disturbed by other processes (figures may be low; "
            "run again on a quiet machine):"
        )
        for warning in warnings:
            print(f"  - {warning}")

    report = {
        "machine": facts,
        "load": {
            "tool": "wrk",
            "connections": args.connections,
            "threads": args.threads,
            "warmup_seconds": args.warmup,
            "duration_seconds": args.duration,
            "repeat": args.repeat,
        },
        "database": {
            "engine": "sqlite",
            "demo_loaded": preparation.demo_loaded,
            "sessions": preparation.sessions_in_db,
            "setup_seconds": preparation.setup_seconds,
        },
        "target": {"page": "catalogue", "min_rps": TARGET_RPS, "max_p99_ms": TARGET_P99_MS},
        "configurations": [
            {key: value for key, value in c.items() if not key.startswith("_")}
            for c in configurations
        ],
        "problems": problems,
        "warnings": warnings,
    }
    if not args.no_save:
        results_write("pages", report, started_at)
    if problems:
        print("\nFAILED:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
