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
4. runs sqlmap (``--batch --level 2 --risk 1``, Django's ``csrfmiddlewaretoken`` as the CSRF
   token, the site's own address as Referer because Django's CSRF check requires one over
   HTTPS): a crawl of the French home page (``--forms --crawl=2``), then targeted runs on the
   login, signup, privacy-request (DSAR) and contact forms and on the catalogue's query
   parameters;
5. runs wapiti3 (``-m common,-ssrf``: ssrf needs an internet endpoint) with ``--scope domain``,
   ``--flush-session`` and ``--max-scan-time`` (600 s by default), JSON output: once anonymous,
   once signed in as the demo learner (its log-out, account-deletion and erasure pages
   excluded, so the crawler does not end its own session or delete the account);
6. writes every output under ``bench/results/dast-<UTC time>/`` (git-ignored) with a
   ``summary.json``, prints per tool what was tested and the findings by category, and stops the
   server and removes the temporary directory, always, even on failure.

No request leaves loopback: the server binds 127.0.0.1 and both scanners are given only
``https://localhost:<port>`` (``localhost`` is 127.0.0.1 in /etc/hosts; checked before the scan).

Exit status: 0 when neither scanner reports a vulnerability, 1 when one does, 2 when the scan
could not run (scanner missing and not installable, set-up failed, server did not start).
Options: ``--max-scan-time S`` (per wapiti run), ``--skip-sqlmap``, ``--skip-wapiti``,
``--no-auth`` (no signed-in wapiti run), ``--keep`` (keep the temporary directory).
See docs/security.md ("DAST (sqlmap and wapiti)") for the last result and its reading.
"""

from __future__ import annotations

import argparse
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
SQLMAP_COMMON = ["--batch", "--level", "2", "--risk", "1", "--disable-coloring", "--threads", "1"]

# French pages, by URL name (the addresses come from Django itself, so a moved route follows).
_URL_NAMES = {
    "home": "content:home",
    "login": "account_login",
    "logout": "account_logout",
    "signup": "account_signup",
    "privacy_request": "dsar:request_new",
    "contact": "content:contact",
    "catalogue": "courses:session_list",
}
# Pages the signed-in crawler must not submit: they end the session or the account.
_AUTH_EXCLUDED = ("logout", "accounts:deactivate", "accounts:delete", "erasure:request")


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


def run_logged(command: list[str], *, output: Path, timeout: float) -> int:
    """Run a scanner with its output in ``output``; its exit status (timeouts are errors)."""
    log(" ".join(command))
    with output.open("w") as stream:
        try:
            # Fixed argument lists built in this file, never a shell: nothing untrusted.
            return subprocess.run(  # noqa: S603
                command,
                cwd=output.parent,
                stdin=subprocess.DEVNULL,
                stdout=stream,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
                start_new_session=True,
            ).returncode
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(f"{command[0]} took more than {timeout:.0f} s") from exc


# -- sqlmap --------------------------------------------------------------------------------------

_SQLMAP_TESTED = re.compile(r"(\w+) parameter '([^']+)' does not seem to be injectable")
_SQLMAP_INJECTABLE = re.compile(
    r"(\w+) parameter '([^']+)' (?:is|appears to be) '?([^']*)'? injectable"
)
_SQLMAP_FORM = re.compile(r"\[#\d+\] form:\n(\w+) (\S+)")
_SQLMAP_URL = re.compile(r"testing URL '([^']+)'")


def sqlmap_targets(base: str, paths: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(name, sqlmap arguments) for every run: the crawl, the four forms, the catalogue."""
    # sqlmap skips every target that lacks the --csrf-token field: the crawl (GET links, the
    # token-less consent form) and the catalogue run without it, the four forms with it.
    targets = [("crawl-home", ["-u", base + paths["home"], "--forms", "--crawl=2"])]
    for name in ("login", "signup", "privacy_request", "contact"):
        targets.append((name, ["-u", base + paths[name], "--forms", "--csrf-token", CSRF_FIELD]))
    query = "language=fr&level=B1&format=online&site=1&page=1"
    targets.append(
        (
            "catalogue",
            ["-u", f"{base}{paths['catalogue']}?{query}", "-p", "language,level,format,site,page"],
        )
    )
    return targets


def run_sqlmap(sqlmap: str, *, base: str, paths: dict[str, str], outdir: Path) -> dict:
    """Every sqlmap run; per run the parameters tested and any injection point found."""
    outdir.mkdir(parents=True, exist_ok=True)
    runs = []
    for name, target in sqlmap_targets(base, paths):
        rundir = outdir / name
        rundir.mkdir()
        command = [
            sqlmap,
            *target,
            *SQLMAP_COMMON,
            "--referer",
            base + paths["home"],
            "--output-dir",
            str(rundir),
            # The multiple-target CSV (--forms, --crawl) goes to the run's folder, not ~/.
            "--results-file",
            str(rundir / "results.csv"),
        ]
        started = time.monotonic()
        status = run_logged(command, output=rundir / "sqlmap.log", timeout=1800)
        text = (rundir / "sqlmap.log").read_text(errors="replace")
        injectable = sorted({f"{p} {n}: {k}" for p, n, k in _SQLMAP_INJECTABLE.findall(text)})
        if "identified the following injection point" in text and not injectable:
            injectable = ["injection point reported (see sqlmap.log)"]
        runs.append(
            {
                "name": name,
                "command": command[1:],
                "exit_status": status,
                "seconds": round(time.monotonic() - started, 1),
                "urls": sorted(set(_SQLMAP_URL.findall(text))),
                "forms": sorted({f"{m} {u}" for m, u in _SQLMAP_FORM.findall(text)}),
                "parameters_not_injectable": sorted(
                    {f"{p} {n}" for p, n in _SQLMAP_TESTED.findall(text)}
                ),
                "injectable": injectable,
                # Parameters sqlmap went through, injectable or not: none means it never ran.
                "tested": bool(injectable or _SQLMAP_TESTED.search(text)),
                "errors": sorted(
                    {line.split("] ", 2)[-1] for line in text.splitlines() if "[CRITICAL]" in line}
                ),
            }
        )
    return {"tool": "sqlmap", "version": _version([sqlmap, "--version"]), "runs": runs}


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
        "--scope",
        "domain",
        "--flush-session",
        "--max-scan-time",
        str(limit),
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
        "--no-bugreport",
    ]
    if signed_in:
        command += [
            *("--form-url", base + paths["login"]),
            *("--form-user", LEARNER[0], "--form-password", LEARNER[1]),
        ]
        for excluded in paths["auth_excluded"]:
            command += ["-x", f"{base}{excluded}*"]
    started = time.monotonic()
    # The scan stops itself after ``limit``; the margin covers its attack phase and the report.
    status = run_logged(command, output=outdir / f"{name}.log", timeout=limit * 3 + 600)
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
        "seconds": seconds,
        "crawled_pages": infos.get("crawled_pages_nbr"),
        "crawled": sorted(
            {
                p.get("url", str(p)) if isinstance(p, dict) else str(p)
                for p in infos.get("crawled_pages", [])
            }
        ),
        "modules": WAPITI_MODULES,
        "login_failed": signed_in and "Login failed" in log_text,
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
    names = {**_URL_NAMES, **{n: n for n in _AUTH_EXCLUDED if ":" in n}}
    code = (
        "import json; from django.urls import reverse; from django.utils import translation\n"
        f"names = {names!r}\n"
        "with translation.override('fr'): print(json.dumps({k: reverse(v) "
        "for k, v in names.items()}))"
    )
    paths = json.loads(pages.django_eval(env, code))
    paths["auth_excluded"] = [paths[n if ":" in n else "logout"] for n in _AUTH_EXCLUDED]
    return paths


def loopback_only() -> None:
    """Refuse to scan unless ``localhost`` is loopback only: no request may leave the machine."""
    addresses = {info[4][0] for info in socket.getaddrinfo(HOSTNAME, None, socket.AF_INET)}
    if addresses != {observatory.HOST}:
        raise HarnessError(f"{HOSTNAME} resolves to {sorted(addresses)}, not only 127.0.0.1")


def print_summary(results: dict) -> None:
    sqlmap, wapiti = results.get("sqlmap"), results.get("wapiti", [])
    if sqlmap:
        print(f"\nsqlmap ({sqlmap['version']}): --level 2 --risk 1, CSRF token {CSRF_FIELD}")
        for run in sqlmap["runs"]:
            verdict = "INJECTABLE " + "; ".join(run["injectable"]) if run["injectable"] else "clean"
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
                    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="sqlmap and wapiti3 against the site on loopback.")
    parser.add_argument("--max-scan-time", type=int, default=600, help="per wapiti run (s)")
    parser.add_argument("--sessions", type=int, default=20, help="sessions loaded by load_demo")
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
    if pages.has_command(env, "load_demo_accounts"):
        # Refused in production by design: run it alone in development mode, same database/keys.
        pages.manage({**env, "CLL_ENV": "development", "DEBUG": "0"}, "load_demo_accounts")
    paths = resolve_paths(env)
    server = observatory.Server(env, workdir, port=port, tls=(cert, key), ca=ca)
    base = server.base_url
    results: dict = {"target": base, "paths": paths}
    try:
        server.start()
        if sqlmap:
            results["sqlmap"] = run_sqlmap(sqlmap, base=base, paths=paths, outdir=outdir / "sqlmap")
            broken = [r["name"] for r in results["sqlmap"]["runs"] if not r["tested"]]
            if broken:
                raise HarnessError(f"sqlmap tested nothing in {', '.join(broken)} (see its log)")
        if wapiti:
            results["wapiti"] = [
                run_wapiti(
                    wapiti,
                    base=base,
                    paths=paths,
                    outdir=outdir,
                    workdir=workdir,
                    signed_in=signed_in,
                    limit=args.max_scan_time,
                )
                for signed_in in ((False,) if args.no_auth else (False, True))
            ]
    except HarnessError as exc:
        raise HarnessError(f"{exc}\n--- granian\n{server.tail(20)}") from exc
    finally:
        server.stop()
        shutil.copy(server.log_path, outdir / "granian.log")
    return results


def findings(results: dict) -> int:
    """How many vulnerabilities the scanners reported (anomalies are printed, not counted)."""
    count = sum(len(run["injectable"]) for run in results.get("sqlmap", {}).get("runs", []))
    for scan_result in results.get("wapiti", []):
        count += sum(len(items) for items in scan_result["vulnerabilities"].values())
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
