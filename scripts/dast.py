"""Offline DAST of the site in production mode (sqlmap and wapiti3), on loopback: one command.

Run (from the repository root):

    .venv/bin/python scripts/dast.py

This is an operations check, not a test: it takes minutes and drives external scanners, so it
stays out of the pytest suite. What it does, end to end, without touching var/ or your database
(only the git-ignored staticfiles/ is refreshed by collectstatic, as the benchmarks do):

1. installs the scanners when they are missing, each pinned from PyPI into its own virtual
   environment under ``.tools/`` (git-ignored), built with the machine's Python 3.13
   (``CLL_TOOLS_PYTHON`` overrides it): ``sqlmap`` (Debian's 1.7.2 speaks no TLS 1.3) in
   ``.tools/sqlmap/`` and ``wapiti3`` (Python ≥ 3.12) in ``.tools/wapiti/``. Nothing is
   downloaded at scan time;
2. builds bench/pages.py's throw-away production environment in a temporary directory (fresh
   SQLite database, fresh secrets), ``migrate``, ``collectstatic``, ``load_demo``, then the demo
   accounts of ``manage.py load_demo_accounts``. That command refuses production, so it alone
   runs with ``CLL_ENV=development`` against the same database and keys; the site that is
   scanned runs with ``CLL_ENV=production``;
3. serves that site with granian as in production (WSGI) over TLS on a free loopback port at
   ``https://localhost:<port>``, with scripts/observatory.py's throw-away certificate. Plain HTTP
   is not enough here: production's session and CSRF cookies are ``Secure`` and ``__Host-``
   prefixed, and the scanners' cookie jars (like browsers) never send them over http, so no form
   would pass the CSRF check. The HTTP-to-HTTPS redirect is off (CLL_SSL_REDIRECT=0, as in the
   benchmarks): nothing listens on plain http;
4. runs three lanes at once (each scanner is a separate client with its own cookie jar, and
   none of them changes what another one reads: the signed-in crawler's exclusions below keep
   the learner's account), each run with its own time limit:
   - sqlmap, two targets at a time (``--batch --level 1 --risk 1 --dbms SQLite --technique
     BEU``, Django's ``csrfmiddlewaretoken`` as the CSRF token, the site's own address as
     Referer because Django's CSRF check requires one over HTTPS), one run per target, no
     crawl: the forms of the French home page (the cookie banner), the signup, login and
     privacy-request (DSAR) forms, and the catalogue's query parameters. The
     scanned database is SQLite, so payloads for other database engines and the time-based
     techniques (which sleep 5 s per payload and on SQLite only measure CPU load, which a
     shared machine makes noisy) are left out: boolean-based, error-based and UNION cover
     every parameter. Level 1 tests the GET and POST parameters (level 2 adds the cookies,
     which Django signs or reads as opaque keys, and doubles the run);
   - wapiti3 anonymous and wapiti3 signed in as the demo learner (its log-out, deactivation,
     deletion and erasure pages excluded, so the crawler does not end its own session or
     delete the account; the public pages the anonymous scan covers, catalogue, news,
     contact, accessibility, privacy policy and terms, excluded too): ``-m common,-ssrf``
     (ssrf needs an internet endpoint), the French site only (``--scope folder`` from
     ``/fr/``: the English and Dutch pages are the same views), depth 4, at most 10 pages per
     folder, the demo catalogue loaded with 3 sessions (``--sessions``: every course page is
     the same view), one catalogue URL with every filter instead of each filter link, a
     visitor who has made a cookie choice (a consent cookie signed by the site's own code),
     so that the banner's form, the same on every page but for its ``next``, is attacked
     once (on the cookie settings page; sqlmap attacks it on the home page),
     ``--max-scan-time`` for the crawl (wapiti applies it to the crawl only) and
     ``--max-attack-time`` per attack module;
5. writes every output under ``bench/results/dast-<UTC time>/`` (git-ignored) with a
   ``summary.json``, prints per tool what was tested and the findings by category, and stops the
   server and the scanners and removes the temporary directory, always, even on failure.
   A run that hit a time limit is reported as incomplete (exit 2), never as clean.

No request leaves loopback: the server binds 127.0.0.1 and both scanners are given only
``https://localhost:<port>`` (``localhost`` is 127.0.0.1 in /etc/hosts; checked before the scan).

Exit status: 0 when neither scanner reports a vulnerability, 1 when one does, 2 when the scan
could not run or did not finish (scanner missing and not installable, set-up failed, server did
not start, a run stopped by its time limit). The whole run is meant to finish within 30 minutes
on the reference machine (2 cores).
Options: ``--max-scan-time S`` (per wapiti crawl, 300), ``--max-attack-time S`` (per wapiti
module, 600), ``--sqlmap-time S`` (per sqlmap target, 1200), ``--skip-sqlmap``,
``--skip-wapiti``, ``--no-auth`` (no signed-in wapiti run), ``--keep`` (keep the temporary
directory).
See docs/security.md ("DAST (sqlmap and wapiti)") for the last result and its reading.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import observatory  # scripts/observatory.py: throw-away certificates, granian on a given port
import pages  # bench/pages.py: the benchmarks' production environment and server

REPO = pages.REPO
HOSTNAME = observatory.HOSTNAME
HarnessError = pages.HarnessError
WAPITI_VERSION = "3.3.2"
SQLMAP_VERSION = "1.10.10"
# The scanners' own Python (≥ 3.12, wapiti3's floor): the machine's 3.13 unless told otherwise.
TOOLS_PYTHON = os.environ.get("CLL_TOOLS_PYTHON", "/root/.pyenv/versions/3.13.0/bin/python3.13")
WAPITI_MODULES = "common,-ssrf"  # ssrf (and xxe, not in common) call the wapiti3.ovh endpoint
CSRF_FIELD = "csrfmiddlewaretoken"
LEARNER = ("alice@demo.cll.be", "demo-cll-2026")  # manage.py load_demo_accounts' learner
SQLMAP_COMMON = [
    *("--batch", "--level", "1", "--risk", "1", "--disable-coloring", "--threads", "1"),
    # The scanned database is the throw-away SQLite one; time-based payloads are left out (see
    # the docstring): boolean-based, error-based and UNION.
    *("--dbms", "SQLite", "--technique", "BEU"),
]
# sqlmap targets scanned at once (each its own process and output folder).
SQLMAP_LANES = 2
# wapiti's crawl: French pages only, one course page standing for all (see the docstring).
WAPITI_CRAWL = ["--scope", "folder", "-d", "4", "--max-files-per-dir", "10"]

# French pages, by URL name (the addresses come from Django itself, so a moved route follows).
_URL_NAMES = {
    "home": "content:home",
    "login": "account_login",
    "logout": "account_logout",
    "signup": "account_signup",
    "privacy_request": "dsar:request_new",
    "catalogue": "courses:session_list",
}
# Pages the signed-in crawler must not submit: they end the session or the account.
_AUTH_EXCLUDED = ("logout", "accounts:deactivate", "erasure:account_delete", "erasure:request")
# Public pages (and the folders under them) the anonymous scan covers: the signed-in scan
# leaves them out and spends its time on the account's own pages.
_PUBLIC = (
    "courses:session_list",
    "content:news_list",
    "helpdesk:contact",
    "content:accessibility",
    "policies:privacy_policy",
    "policies:terms",
)


def log(message: str) -> None:
    print(f"[dast] {message}", file=sys.stderr, flush=True)


# -- The scanners --------------------------------------------------------------------------------


class VenvTool:
    """A scanner from PyPI, pinned, in its own virtual environment under .tools/ (git-ignored).

    Both need their own Python ≥ 3.12 (wapiti3's floor; the project's venv may be older), and
    Debian's sqlmap (1.7.2) cannot be used: it offers TLS 1.0 to 1.2 only and granian answers
    TLS 1.3, so every request fails with "can't establish SSL connection".
    """

    def __init__(self, package: str, version: str, executable: str):
        self.package, self.version = package, version
        self.directory = REPO / ".tools" / executable
        self.executable = self.directory / "bin" / executable

    def installed_version(self) -> str | None:
        try:
            out = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
                [str(self.directory / "bin" / "pip"), "show", self.package],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            ).stdout
        except OSError:
            return None
        match = re.search(r"^Version: (\S+)", out, re.MULTILINE)
        return match.group(1) if match and self.executable.exists() else None

    def ensure(self) -> str:
        """The executable, installed first when it is missing or another version."""
        if self.installed_version() == self.version:
            return str(self.executable)
        if not Path(TOOLS_PYTHON).exists():
            raise HarnessError(f"the scanners need Python ≥ 3.12: {TOOLS_PYTHON} is missing")
        log(f"installing {self.package}=={self.version} into {self.directory.relative_to(REPO)}")
        observatory.run([TOOLS_PYTHON, "-m", "venv", str(self.directory)], cwd=REPO, timeout=300)
        observatory.run(
            [
                str(self.directory / "bin" / "pip"),
                "install",
                "-q",
                f"{self.package}=={self.version}",
            ],
            cwd=REPO,
            timeout=1200,
        )
        if self.installed_version() != self.version:
            raise HarnessError(f"pip did not install {self.package}=={self.version}")
        return str(self.executable)


SQLMAP = VenvTool("sqlmap", SQLMAP_VERSION, "sqlmap")
WAPITI = VenvTool("wapiti3", WAPITI_VERSION, "wapiti")


# Scanners still running: stopped (their whole process group) when the run ends, however;
# once it is ending, no lane starts another one.
_RUNNING: set[subprocess.Popen] = set()
_STOPPING = threading.Event()


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def stop_scanners() -> None:
    _STOPPING.set()
    for process in list(_RUNNING):
        _stop(process)


def run_logged(command: list[str], *, output: Path, timeout: float) -> int | None:
    """Run a scanner with its output in ``output``; its exit status, None when it was stopped
    at ``timeout`` (the caller reports the run as incomplete)."""
    log(" ".join(command))
    if _STOPPING.is_set():
        output.write_text("not started: the run was ending\n")
        return None
    with output.open("w") as stream:
        # Fixed argument lists built in this file, never a shell: nothing untrusted.
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=output.parent,
            stdin=subprocess.DEVNULL,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _RUNNING.add(process)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"{Path(command[0]).name} stopped after {timeout:.0f} s: {output}")
            _stop(process)
            return None
        finally:
            _RUNNING.discard(process)


# -- sqlmap --------------------------------------------------------------------------------------

_SQLMAP_TESTED = re.compile(r"(\w+) parameter '([^']+)' does not seem to be injectable")
_SQLMAP_INJECTABLE = re.compile(
    r"(\w+) parameter '([^']+)' (?:is|appears to be) '?([^']*)'? injectable"
)
_SQLMAP_FORM = re.compile(r"\[#\d+\] form:\n(\w+) (\S+)")
_SQLMAP_URL = re.compile(r"testing URL '([^']+)'")


def sqlmap_targets(base: str, paths: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(name, sqlmap arguments) for every run, the longest first (two lanes share them): the
    sign-up form, the home page's forms, the sign-in and privacy-request forms, the catalogue.
    No crawl: wapiti crawls; sqlmap goes deep on the forms that reach the database. (The
    contact page has no form: it shows addresses.)"""

    # sqlmap skips every target that lacks the --csrf-token field: the home page (the
    # token-less consent form) and the catalogue run without it, the three forms with it.
    def form(name: str) -> tuple[str, list[str]]:
        return (name, ["-u", base + paths[name], "--forms", "--csrf-token", CSRF_FIELD])

    targets = [form("signup"), ("home-forms", ["-u", base + paths["home"], "--forms"])]
    targets += [form("login"), form("privacy_request")]
    query = "language=fr&level=B1&format=online&site=1&page=1"
    targets.append(
        (
            "catalogue",
            ["-u", f"{base}{paths['catalogue']}?{query}", "-p", "language,level,format,site,page"],
        )
    )
    return targets


def run_sqlmap(sqlmap: str, *, base: str, paths: dict[str, str], outdir: Path, limit: int) -> dict:
    """Every sqlmap run, two at a time; per run the parameters tested and any injection point
    found."""
    outdir.mkdir(parents=True, exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=SQLMAP_LANES) as lanes:
        runs = list(
            lanes.map(
                lambda item: _sqlmap_run(
                    sqlmap, *item, base=base, home=paths["home"], outdir=outdir, limit=limit
                ),
                sqlmap_targets(base, paths),
            )
        )
    return {"tool": "sqlmap", "version": _version([sqlmap, "--version"]), "runs": runs}


def _sqlmap_run(
    sqlmap: str, name: str, target: list[str], *, base: str, home: str, outdir: Path, limit: int
) -> dict:
    """One sqlmap run (its own output folder and session file)."""
    rundir = outdir / name
    rundir.mkdir()
    command = [
        sqlmap,
        *target,
        *SQLMAP_COMMON,
        "--referer",
        base + home,
        "--output-dir",
        str(rundir),
        # The multiple-target CSV (--forms, --crawl) goes to the run's folder, not ~/.
        "--results-file",
        str(rundir / "results.csv"),
    ]
    started = time.monotonic()
    status = run_logged(command, output=rundir / "sqlmap.log", timeout=limit)
    text = (rundir / "sqlmap.log").read_text(errors="replace")
    injectable = sorted({f"{p} {n}: {k}" for p, n, k in _SQLMAP_INJECTABLE.findall(text)})
    if "identified the following injection point" in text and not injectable:
        injectable = ["injection point reported (see sqlmap.log)"]
    return {
        "name": name,
        "command": command[1:],
        "exit_status": status,
        "timed_out": status is None,
        "seconds": round(time.monotonic() - started, 1),
        "urls": sorted(set(_SQLMAP_URL.findall(text))),
        "forms": sorted({f"{m} {u}" for m, u in _SQLMAP_FORM.findall(text)}),
        "parameters_not_injectable": sorted({f"{p} {n}" for p, n in _SQLMAP_TESTED.findall(text)}),
        "injectable": injectable,
        # Parameters sqlmap went through, injectable or not: none means it never ran.
        "tested": bool(injectable or _SQLMAP_TESTED.search(text)),
        "errors": sorted(
            {line.split("] ", 2)[-1] for line in text.splitlines() if "[CRITICAL]" in line}
        ),
    }


# -- wapiti --------------------------------------------------------------------------------------


def run_wapiti(
    wapiti: str,
    *,
    base: str,
    paths: dict[str, str],
    outdir: Path,
    workdir: Path,
    signed_in: bool,
    limit: int,
    attack_limit: int,
    consent_cookie: str,
) -> dict:
    """One wapiti scan; its JSON report's findings by category."""
    name = "wapiti-learner" if signed_in else "wapiti-anonymous"
    report = outdir / f"{name}.json"
    command = [
        wapiti,
        "-u",
        base + paths["home"],
        "-m",
        WAPITI_MODULES,
        *WAPITI_CRAWL,
        "--flush-session",
        "--max-scan-time",
        str(limit),
        "--max-attack-time",
        str(attack_limit),
        "--store-session",
        str(workdir / name / "session"),
        "--store-config",
        str(workdir / name / "config"),
        "--verify-ssl",
        "0",
        "-f",
        "json",
        "-o",
        str(report),
        "-v",
        "1",
        # The report lists the crawled pages (what was tested).
        "-dr",
        "1",
        "--no-bugreport",
    ]
    # A visitor who made a cookie choice: the banner's form, the same on every page but for its
    # `next`, is attacked once (on the cookie settings page), not once per page. A cookie file
    # (wapiti's JSON), not -C: a Cookie header of its own would replace the session and CSRF
    # cookies of wapiti's jar, and the signed-in scan could not sign in.
    cookie_name, _, cookie_value = consent_cookie.partition("=")
    cookie_file = workdir / f"{name}-cookies.json"
    # wapiti files a host without a dot ("localhost") under ".localhost.local", as cookielib.
    cookie = {"value": cookie_value, "expires": None, "secure": True, "port": None, "version": 0}
    cookie_file.write_text(json.dumps({f".{HOSTNAME}.local": {"/": {cookie_name: cookie}}}))
    command += ["-c", str(cookie_file)]
    # The catalogue's filter links (every language, format and site): one URL with all the
    # filters stands for them (anonymous: the signed-in scan leaves the public pages out).
    catalogue = base + paths["catalogue"]
    if not signed_in:
        command += ["-s", f"{catalogue}?level=B1&language=en&format=group&site=online&page=1"]
        for parameter in ("language", "format", "site", "page"):
            command += ["-x", f"{catalogue}?{parameter}=*"]
    if signed_in:
        command += [
            *("--form-url", base + paths["login"]),
            *("--form-user", LEARNER[0], "--form-password", LEARNER[1]),
        ]
        for excluded in paths["auth_excluded"] + paths["public"]:
            command += ["-x", f"{base}{excluded}*"]
    started = time.monotonic()
    # The crawl stops itself after ``limit``, each attack module after ``attack_limit``; the
    # margin covers the passive modules and the report.
    status = run_logged(
        command, output=outdir / f"{name}.log", timeout=limit + attack_limit * 12 + 300
    )
    seconds = round(time.monotonic() - started, 1)
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError) as exc:
        raise HarnessError(
            f"wapiti wrote no JSON report (exit {status}):\n"
            f"{(outdir / f'{name}.log').read_text(errors='replace')[-3000:]}"
        ) from exc
    infos = data.get("infos", {})

    def by_category(section: str) -> dict[str, list[dict]]:
        return {
            category: [
                {k: item.get(k) for k in ("method", "path", "parameter", "info", "http_request")}
                | {"status": ((item.get("detail") or {}).get("response") or {}).get("status_code")}
                for item in items
            ]
            for category, items in data.get(section, {}).items()
            if items
        }

    log_text = (outdir / f"{name}.log").read_text(errors="replace")
    return {
        "name": name,
        "signed_in": signed_in,
        "exit_status": status,
        # wapiti cut short by --max-scan-time or --max-attack-time says so in its log.
        "timed_out": status is None
        or "Max scan time was reached" in log_text
        or "Max attack time was reached" in log_text,
        "seconds": seconds,
        "crawled_pages": infos.get("crawled_pages_nbr"),
        "crawled": sorted(
            {
                f"{p['request']['method']} {p['request']['url']}"
                if isinstance(p, dict) and "request" in p
                else str(p)
                for p in infos.get("crawled_pages", [])
            }
        ),
        "modules": WAPITI_MODULES,
        "login_failed": signed_in
        and ("Login failed" in log_text or not (infos.get("auth") or {}).get("logged_in")),
        "vulnerabilities": by_category("vulnerabilities"),
        "anomalies": by_category("anomalies"),
        "additionals": by_category("additionals"),
    }


# -- The run -------------------------------------------------------------------------------------


def _version(command: list[str]) -> str | None:
    try:
        result = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
            command, capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return None
    return (result.stdout + result.stderr).strip().splitlines()[-1:][0] if result.stdout else None


def resolve_paths(env: dict[str, str]) -> dict[str, str]:
    """The French addresses of the scanned pages, and the signed-in run's exclusions."""
    names = {**_URL_NAMES, **{n: n for n in _AUTH_EXCLUDED + _PUBLIC if ":" in n}}
    paths = pages.french_paths(env, names)
    missing = sorted(names[key] for key, path in paths.items() if path is None)
    if missing:
        raise pages.HarnessError(f"these URL names do not exist: {', '.join(missing)}")
    paths["auth_excluded"] = [paths[n if ":" in n else "logout"] for n in _AUTH_EXCLUDED]
    paths["public"] = [paths[n] for n in _PUBLIC]
    return paths


def decided_consent_cookie(env: dict[str, str]) -> str:
    """``name=value`` of the consent cookie of a visitor who refused every optional category,
    signed by the scanned site's own code and keys."""
    code = (
        "from cll.consent import registry, services\n"
        "value = services.consent_cookie_value(consent_id=services.consent_id_new(), "
        "categories=[], objection='')\n"
        "print(f'{registry.consent_cookie_name()}={value}')"
    )
    return pages.django_eval(env, code)


def loopback_only() -> None:
    """Refuse to scan unless ``localhost`` is loopback only: no request may leave the machine."""
    addresses = {info[4][0] for info in socket.getaddrinfo(HOSTNAME, None, socket.AF_INET)}
    if addresses != {observatory.HOST}:
        raise HarnessError(f"{HOSTNAME} resolves to {sorted(addresses)}, not only 127.0.0.1")


def print_summary(results: dict) -> None:
    sqlmap, wapiti = results.get("sqlmap"), results.get("wapiti", [])
    if sqlmap:
        print(f"\nsqlmap ({sqlmap['version']}): {' '.join(SQLMAP_COMMON)}, CSRF token {CSRF_FIELD}")
        for run in sqlmap["runs"]:
            verdict = "INJECTABLE " + "; ".join(run["injectable"]) if run["injectable"] else "clean"
            if run["timed_out"]:
                verdict += " (STOPPED BY ITS TIME LIMIT)"
            print(
                f"  {run['name']:<16} {run['seconds']:>6.0f} s  {len(run['forms'])} form(s), "
                f"{len(run['parameters_not_injectable'])} parameter(s) not injectable: {verdict}"
            )
            for parameter in run["parameters_not_injectable"]:
                print(f"      tested {parameter}")
            for error in run["errors"]:
                print(f"      sqlmap: {error}")
    for scan in wapiti:
        print(
            f"\nwapiti3 {WAPITI_VERSION} ({scan['name']}, -m {scan['modules']}): "
            f"{scan['crawled_pages']} pages crawled in {scan['seconds']:.0f} s"
            + ("  LOGIN FAILED: the scan ran anonymous" if scan["login_failed"] else "")
            + ("  (A TIME LIMIT STOPPED PART OF IT)" if scan["timed_out"] else "")
        )
        for section in ("vulnerabilities", "anomalies", "additionals"):
            found = scan[section]
            print(
                f"  {section}: "
                + (", ".join(f"{k} ({len(v)})" for k, v in found.items()) or "none")
            )
            for category, items in found.items():
                for item in items:
                    print(
                        f"      {category}: {item['method']} {item['path']} "
                        f"[{item['parameter']}] {item['info']}"
                        + (
                            " -- REFUTED: the evidence is a CSRF refusal (403), see refuted()"
                            if section == "vulnerabilities" and refuted(item)
                            else ""
                        )
                    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="sqlmap and wapiti3 against the site on loopback.")
    parser.add_argument("--max-scan-time", type=int, default=300, help="per wapiti crawl (s)")
    parser.add_argument(
        "--max-attack-time", type=int, default=600, help="per wapiti module and run (s)"
    )
    parser.add_argument("--sqlmap-time", type=int, default=1200, help="per sqlmap target (s)")
    # Three course sessions: every course page is the same view, and each one (and each of the
    # catalogue's filter links) would be attacked again.
    parser.add_argument("--sessions", type=int, default=3, help="sessions loaded by load_demo")
    parser.add_argument("--skip-sqlmap", action="store_true")
    parser.add_argument("--skip-wapiti", action="store_true")
    parser.add_argument("--no-auth", action="store_true", help="no signed-in wapiti run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


def scan(args: argparse.Namespace, workdir: Path, outdir: Path) -> dict:
    """Install, build, serve and scan; every tool's results."""
    loopback_only()
    if not Path(pages.GRANIAN).exists():
        raise HarnessError(f"granian is not installed next to {pages.PYTHON}")
    sqlmap = None if args.skip_sqlmap else SQLMAP.ensure()
    wapiti = None if args.skip_wapiti else WAPITI.ensure()
    port = pages.free_port()
    ca, cert, key = observatory.make_certificates(workdir / "tls")
    env = pages.production_environment(workdir)
    env.update(
        {
            "CLL_SITE_URL": f"https://{HOSTNAME}:{port}",
            "ALLOWED_HOSTS": HOSTNAME,
            "CLL_SSL_REDIRECT": "0",
            # The scanned site is production's: without the benchmark-only route.
            "CLL_BENCHMARK_HELLO": "0",
            # The privacy-request form's per-IP and per-address limits would answer 429 after a
            # few submissions, and the scanners would then test the limit, not the form.
            "CLL_DSAR_RATE_PER_IP_HOUR": "1000000",
            "CLL_DSAR_RATE_PER_ADDRESS_DAY": "1000000",
            # Likewise the cookie-choice form's per-network limit (sqlmap read its 429s as a
            # boolean-based injection in the consent form's `next`).
            "CLL_CONSENT_RECORDS_PER_MINUTE": "1000000",
        }
    )
    # The sign-in and sign-up rate limits (django-allauth's, in the cache) would answer the
    # scanners' payloads with "too many attempts" after a few requests: sqlmap then backs off for
    # hours and reads the changed page as a boolean-based injection. These scanners test the
    # forms, not the limits (tests/ covers those): a settings overlay in the temporary directory
    # switches only them off, everything else is cll.settings in production mode.
    (workdir / "dast_settings.py").write_text(
        "from cll.settings import *  # noqa: F403\n\nACCOUNT_RATE_LIMITS = False\n"
    )
    env.update({"DJANGO_SETTINGS_MODULE": "dast_settings", "PYTHONPATH": str(workdir)})
    log(f"throw-away production environment in {workdir}")
    pages.prepare(env, sessions=args.sessions)
    pages.load_demo_accounts(env)  # the signed-in scan's learner
    paths = resolve_paths(env)
    consent_cookie = decided_consent_cookie(env)
    server = observatory.Server(env, workdir, port=port, tls=(cert, key), ca=ca)
    base = server.base_url
    results: dict = {"target": base, "paths": paths}
    lanes = None
    try:
        server.start()
        # Three lanes at once (sqlmap's targets, two at a time; each wapiti scan): the
        # scanners wait on the server far more than they compute.
        lanes = concurrent.futures.ThreadPoolExecutor(max_workers=3)
        sqlmap_lane = sqlmap and lanes.submit(
            run_sqlmap,
            sqlmap,
            base=base,
            paths=paths,
            outdir=outdir / "sqlmap",
            limit=args.sqlmap_time,
        )
        wapiti_lanes = [
            lanes.submit(
                run_wapiti,
                wapiti,
                base=base,
                paths=paths,
                outdir=outdir,
                workdir=workdir,
                signed_in=signed_in,
                limit=args.max_scan_time,
                attack_limit=args.max_attack_time,
                consent_cookie=consent_cookie,
            )
            for signed_in in ((False,) if args.no_auth else (False, True))
            if wapiti
        ]
        if sqlmap_lane:
            results["sqlmap"] = sqlmap_lane.result()
        if wapiti_lanes:
            results["wapiti"] = [lane.result() for lane in wapiti_lanes]
        if sqlmap:
            broken = [
                r["name"]
                for r in results["sqlmap"]["runs"]
                if not r["tested"] and not r["timed_out"]
            ]
            if broken:
                raise HarnessError(f"sqlmap tested nothing in {', '.join(broken)} (see its log)")
    except HarnessError as exc:
        raise HarnessError(f"{exc}\n--- granian\n{server.tail(20)}") from exc
    finally:
        # Scanners first (a signal ends the run while lanes still wait on them), then the lanes.
        stop_scanners()
        if lanes is not None:
            lanes.shutdown(wait=True, cancel_futures=True)
        server.stop()
        shutil.copy(server.log_path, outdir / "granian.log")
    return results


def incomplete(results: dict) -> list[str]:
    """The runs a time limit stopped before the end, and a signed-in scan that could not sign
    in (it would have scanned the public pages only)."""
    runs = [r for r in results.get("sqlmap", {}).get("runs", []) if r["timed_out"]]
    scans = [w for w in results.get("wapiti", []) if w["timed_out"] or w["login_failed"]]
    return [r["name"] for r in runs + scans]


def refuted(item: dict) -> bool:
    """A wapiti injection "proved" by a POST that Django's CSRF check refused (403) before any
    view ran: the scanner replays the token of the form it crawled, and once its own session
    changed (its sign-up signed it in and rotated the CSRF cookie), every later POST is a 403.
    Those answers differ from the earlier ones, which its boolean test reads as an injection;
    no query saw the payload (the 403 page is the CSRF failure page)."""
    return item.get("method") == "POST" and item.get("status") == 403


def findings(results: dict) -> int:
    """How many vulnerabilities the scanners reported (anomalies are printed, not counted;
    refuted ones, see ``refuted``, are printed as such and not counted)."""
    count = sum(len(run["injectable"]) for run in results.get("sqlmap", {}).get("runs", []))
    for scan_result in results.get("wapiti", []):
        count += sum(
            not refuted(item) for items in scan_result["vulnerabilities"].values() for item in items
        )
    return count


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, observatory._exit_on_signal)
    started_at = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    outdir = pages.RESULTS_DIR / f"dast-{started_at:%Y%m%dT%H%M%SZ}"
    outdir.mkdir(parents=True)
    workdir = Path(tempfile.mkdtemp(prefix="cll-dast-"))
    try:
        results = scan(args, workdir, outdir)
    except HarnessError as exc:
        print(f"\nthe DAST scan could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        pages.workdir_done(workdir, keep=args.keep)

    print_summary(results)
    count = findings(results)
    summary = {
        "check": "dast",
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_seconds": round(time.monotonic() - started, 1),
        "revision": pages.git_revision(),
        "machine": pages.machine_facts(),
        "vulnerabilities": count,
        "incomplete": incomplete(results),
        **results,
    }
    (outdir / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(f"\nresults written to {outdir.relative_to(REPO)}/")
    print(f"took {time.monotonic() - started:.0f} s")
    if count:
        print(
            f"\nFAILED: {count} vulnerabilit{'y' if count == 1 else 'ies'} reported",
            file=sys.stderr,
        )
        return 1
    if summary["incomplete"]:
        print(
            f"\nINCOMPLETE (a time limit, or no sign-in): {', '.join(summary['incomplete'])}",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
