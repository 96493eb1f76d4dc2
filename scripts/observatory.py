"""MDN HTTP Observatory scan of the site in the production layout, over local HTTPS: one command.

Run (from the repository root, as root: it binds ports 80 and 443 on loopback):

    .venv/bin/python scripts/observatory.py

This is an operations check, not a test: it needs ports 80/443, Node and npm, so it stays out of
the pytest suite. What it does, end to end, without touching var/ or your database (only the
git-ignored staticfiles/ is refreshed by collectstatic, as the benchmarks do):

1. installs the scanner into ``.tools/observatory/`` (git-ignored) when it is missing:
   ``npm install --ignore-scripts @mdn/mdn-http-observatory@1.4.8`` (the only version the registry
   offers for Node 20; its postinstall downloads the HSTS preload list and CA bundles, which
   fails offline, hence ``--ignore-scripts``), and writes the ``conf/hsts-preload.json`` the
   postinstall would have downloaded as ``{}`` (the scanner stops with ENOENT without it; the
   preload bonus concerns real domains, never ``localhost``);
2. builds bench/pages.py's throw-away production environment in a temporary directory (fresh
   SQLite database, fresh secrets), but public at ``https://localhost`` with the HTTP to HTTPS
   redirect on and the benchmark-only hello route off, so the scanned site is production's; then
   ``migrate``, ``collectstatic`` and ``load_demo``;
3. makes a throw-away certificate authority and a ``localhost`` certificate (SAN DNS:localhost)
   with openssl in that directory; nothing is added to the system's trust store;
4. serves the site with granian as in production (WSGI) twice: over TLS on 127.0.0.1:443
   (granian terminates TLS itself and sets ``wsgi.url_scheme`` to https, so
   ``request.is_secure()`` holds without trusting any proxy header) and over plain HTTP on
   127.0.0.1:80, where Django's SSL redirect sends every request to https://localhost/;
5. checks those two facts itself (the redirect's target, and HSTS on the HTTPS answer, which
   Django only sends on a secure request), so a broken set-up is reported as such rather than
   as a bad grade;
6. runs ``node .../src/scan.js localhost`` with ``NODE_EXTRA_CA_CERTS`` naming the throw-away CA
   (``src/scan.js`` directly: the package's ``bin/wrapper.js`` overwrites that variable), prints
   the grade, the score and every test's result, and writes the scanner's JSON with the
   pre-flight checks and the machine's facts to ``bench/results/observatory-<UTC time>.json``;
7. stops both servers and removes the temporary directory, always, even on failure.

Exit status: 0 when the grade is A+, 1 when it is lower, 2 when the scan could not run (no
root, port taken, Node or npm missing, install failed, server did not start, scanner error).
Options: ``--keep`` (keep the temporary directory), ``--no-save`` (no JSON file),
``--sessions N`` (sessions created by load_demo). See docs/security.md for the last result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import pages  # bench/pages.py: the benchmarks' production environment and server

REPO = pages.REPO
SCANNER_PACKAGE = "@mdn/mdn-http-observatory"
# 1.5 and later need Node ≥ 24; 1.4.8 is the newest release that runs on Node 20.
SCANNER_VERSION = "1.4.8"
TOOLS_DIR = REPO / ".tools" / "observatory"
PACKAGE_DIR = TOOLS_DIR / "node_modules" / "@mdn" / "mdn-http-observatory"
SCAN_JS = PACKAGE_DIR / "src" / "scan.js"
HSTS_PRELOAD = PACKAGE_DIR / "conf" / "hsts-preload.json"
HOSTNAME = "localhost"
HOST = "127.0.0.1"
HTTPS_PORT = 443
HTTP_PORT = 80
PASSING_GRADE = "A+"

HarnessError = pages.HarnessError


def log(message: str) -> None:
    print(f"[observatory] {message}", file=sys.stderr, flush=True)


# Running a fixed command, with its failure as HarnessError: bench/pages.py's (dast.py too).
run = pages.run


# -- The scanner ---------------------------------------------------------------------------------


def installed_version() -> str | None:
    try:
        return json.loads((PACKAGE_DIR / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_scanner() -> None:
    """Install the pinned scanner into .tools/observatory/ unless it is already there."""
    for tool in ("node", "npm", "openssl"):
        if shutil.which(tool) is None:
            raise HarnessError(f"{tool} is not installed (Debian: apt-get install -y nodejs npm)")
    major = run(["node", "--version"], cwd=REPO, timeout=30).strip().lstrip("v").split(".")[0]
    if not major.isdigit() or int(major) < 20:
        raise HarnessError(f"{SCANNER_PACKAGE}@{SCANNER_VERSION} needs Node ≥ 20, not {major}")
    if installed_version() != SCANNER_VERSION:
        log(f"installing {SCANNER_PACKAGE}@{SCANNER_VERSION} into {TOOLS_DIR.relative_to(REPO)}")
        TOOLS_DIR.mkdir(parents=True, exist_ok=True)
        run(
            [
                "npm",
                "install",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--save-exact",
                f"{SCANNER_PACKAGE}@{SCANNER_VERSION}",
            ],
            cwd=TOOLS_DIR,
            timeout=900,
        )
        if installed_version() != SCANNER_VERSION or not SCAN_JS.exists():
            raise HarnessError(f"npm did not install {SCANNER_PACKAGE}@{SCANNER_VERSION}")
    if not HSTS_PRELOAD.exists():
        # What the skipped postinstall would have downloaded; empty: no domain is preloaded.
        HSTS_PRELOAD.write_text("{}\n")


# -- Certificates --------------------------------------------------------------------------------

_CA_CONFIG = """\
[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = CLL throw-away Observatory CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

_SERVER_EXTENSIONS = """\
subjectAltName = DNS:localhost
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a localhost certificate signed by it: (CA, certificate, key).

    The keys are PKCS#8 (what ``openssl genpkey`` writes), the only format granian reads.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_pem = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = (
        directory / "localhost.key",
        directory / "localhost.csr",
        directory / "localhost.pem",
    )
    (directory / "ca.cnf").write_text(_CA_CONFIG)
    (directory / "server.ext").write_text(_SERVER_EXTENSIONS)
    curve = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    steps = [
        ["openssl", "genpkey", *curve, "-out", str(ca_key)],
        [
            *("openssl", "req", "-x509", "-new", "-config", "ca.cnf", "-key", str(ca_key)),
            *("-sha256", "-days", "2", "-out", str(ca_pem)),
        ],
        ["openssl", "genpkey", *curve, "-out", str(key)],
        ["openssl", "req", "-new", "-key", str(key), "-subj", f"/CN={HOSTNAME}", "-out", str(csr)],
        [
            *(
                "openssl",
                "x509",
                "-req",
                "-in",
                str(csr),
                "-CA",
                str(ca_pem),
                "-CAkey",
                str(ca_key),
            ),
            *("-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-sha256", "-days", "2"),
            *("-extfile", "server.ext", "-out", str(cert)),
        ],
    ]
    for step in steps:
        run(step, cwd=directory, timeout=60)
    return ca_pem, cert, key


# -- The servers ---------------------------------------------------------------------------------


def check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except PermissionError as exc:
            raise HarnessError(
                f"cannot bind {HOST}:{port}: run as root (or give Python CAP_NET_BIND_SERVICE)"
            ) from exc
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise HarnessError(f"{HOST}:{port} is already in use: stop that server") from exc
            raise HarnessError(f"cannot bind {HOST}:{port}: {exc}") from exc


class Server(pages.Granian):
    """bench/pages.py's granian (production flags, own process group) on a fixed port.

    With ``tls`` granian terminates TLS itself, as production's nginx would; it then reports the
    request's scheme as https to Django, so no X-Forwarded-Proto (CLL_BEHIND_PROXY) is involved.
    """

    def __init__(
        self,
        env: dict[str, str],
        workdir: Path,
        *,
        port: int,
        tls: tuple[Path, Path] | None,
        ca: Path,
    ):
        extra_args = []
        if tls is not None:
            extra_args = ["--ssl-certificate", str(tls[0]), "--ssl-keyfile", str(tls[1])]
        super().__init__(env, workdir, workers=1, blocking_threads=2, extra_args=extra_args)
        self.port = port
        self.command[self.command.index("--port") + 1] = str(port)
        self.log_path = workdir / f"granian-{port}.log"
        self.scheme = "https" if tls is not None else "http"
        self.ca = ca

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{HOSTNAME}:{self.port}"

    def _answers(self) -> bool:
        # Any HTTP answer will do (a redirect included): the application is loaded.
        try:
            return fetch(self.base_url + "/", ca=self.ca).status < 500
        except (OSError, http.client.HTTPException):
            return False


class Answer:
    """One HTTP answer, redirects not followed; every header kept (Set-Cookie repeats)."""

    def __init__(self, url: str, status: int, headers: list[tuple[str, str]]):
        self.url = url
        self.status = status
        self.headers = headers

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def as_dict(self) -> dict:
        return {"url": self.url, "status": self.status, "headers": self.headers}


def fetch(url: str, *, ca: Path) -> Answer:
    """GET ``url`` as the scanner would, the certificate checked against the throw-away CA."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=str(ca))
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port or HTTPS_PORT, context=context, timeout=10
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port or HTTP_PORT, timeout=10)
    try:
        connection.request("GET", parts.path or "/")
        response = connection.getresponse()
        response.read()
        return Answer(url, response.status, response.getheaders())
    finally:
        connection.close()


def preflight(*, ca: Path) -> dict:
    """Check the two facts the scan depends on, and keep the answers for the report.

    http://localhost/ must redirect straight to https://localhost/, and the HTTPS answer must
    carry HSTS: Django's SecurityMiddleware sends it only when ``request.is_secure()``, so its
    absence means Django does not see TLS (and the SSL redirect would then loop on 443).
    """
    plain = fetch(f"http://{HOSTNAME}/", ca=ca)
    location = plain.header("Location") or ""
    if plain.status not in (301, 302, 307, 308) or not location.startswith(f"https://{HOSTNAME}/"):
        raise HarnessError(
            f"http://{HOSTNAME}/ answered {plain.status} Location {location!r}, "
            f"not a redirect to https://{HOSTNAME}/"
        )
    chain = [plain]
    url = f"https://{HOSTNAME}/"
    for _ in range(5):
        answer = fetch(url, ca=ca)
        chain.append(answer)
        if answer.status not in (301, 302, 303, 307, 308):
            break
        target = answer.header("Location") or ""
        if target.startswith("/"):
            target = f"https://{HOSTNAME}{target}"
        if not target.startswith(f"https://{HOSTNAME}/") or target == url:
            raise HarnessError(f"{url} redirects to {target!r}: Django does not see TLS")
        url = target
    else:
        raise HarnessError(f"https://{HOSTNAME}/ redirects more than 5 times")
    final = chain[-1]
    if final.status != 200:
        raise HarnessError(f"{final.url} answered {final.status}")
    if not chain[1].header("Strict-Transport-Security"):
        raise HarnessError(
            f"https://{HOSTNAME}/ carries no Strict-Transport-Security header: Django does not "
            "see the request as secure"
        )
    return {"redirect": location, "chain": [answer.as_dict() for answer in chain]}


# -- The scan ------------------------------------------------------------------------------------


def scan(*, ca: Path) -> dict:
    """The scanner's JSON for https://localhost/ (its ``scan`` and ``tests``)."""
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(ca)}
    try:
        result = subprocess.run(  # noqa: S603  (fixed arguments, no shell)
            [shutil.which("node") or "node", str(SCAN_JS), HOSTNAME],
            cwd=PACKAGE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise HarnessError("the scanner took more than 300 s") from exc
    try:
        report = json.loads(result.stdout)
    except ValueError as exc:
        raise HarnessError(
            f"the scanner printed no JSON (exit {result.returncode}):\n"
            f"{(result.stdout + result.stderr).strip()[-3000:]}"
        ) from exc
    if "error" in report or result.returncode != 0 or "scan" not in report:
        raise HarnessError(f"the scanner failed (exit {result.returncode}): {report.get('error')}")
    if report["scan"].get("error"):
        raise HarnessError(f"the scanner could not scan {HOSTNAME}: {report['scan']['error']}")
    return report


def print_report(report: dict) -> None:
    summary = report["scan"]
    print(
        f"\nMDN HTTP Observatory ({SCANNER_PACKAGE}@{SCANNER_VERSION}) on https://{HOSTNAME}/: "
        f"grade {summary.get('grade')}, score {summary.get('score')}, "
        f"{summary.get('testsPassed')}/{summary.get('testsQuantity')} tests passed"
    )
    tests = report.get("tests", {})
    width = max((len(name) for name in tests), default=10)
    for name, test in tests.items():
        modifier = test.get("scoreModifier", 0)
        print(
            f"  {'pass' if test.get('pass') else 'FAIL'}  {name:<{width}}  {modifier:+4d}  "
            f"{test.get('result')}"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="MDN HTTP Observatory scan of the site in production mode over local HTTPS."
    )
    parser.add_argument("--sessions", type=int, default=20, help="sessions loaded by load_demo")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--no-save", action="store_true", help="do not write a JSON file to bench/results/"
    )
    return parser.parse_args(argv)


def _exit_on_signal(signum, frame) -> None:
    # SIGTERM/SIGHUP would end Python without running ``finally``: granian (in its own session)
    # would keep ports 80 and 443. Turn them into SystemExit so the servers are always stopped.
    raise SystemExit(128 + signum)


def observe(args: argparse.Namespace, workdir: Path) -> tuple[dict, dict]:
    """Install, build, serve and scan; (scanner report, pre-flight checks)."""
    for port in (HTTPS_PORT, HTTP_PORT):
        check_port_free(port)
    if not Path(pages.GRANIAN).exists():
        raise HarnessError(f"granian is not installed next to {pages.PYTHON}")
    ensure_scanner()
    ca, cert, key = make_certificates(workdir / "tls")
    env = pages.production_environment(workdir)
    env.update(
        {
            "CLL_SITE_URL": f"https://{HOSTNAME}",
            "ALLOWED_HOSTS": HOSTNAME,
            "CLL_SSL_REDIRECT": "1",
            # The scanned site is production's: without the benchmark-only route.
            "CLL_BENCHMARK_HELLO": "0",
        }
    )
    log(f"throw-away production environment in {workdir}")
    pages.prepare(env, sessions=args.sessions)
    servers = [
        Server(env, workdir, port=HTTPS_PORT, tls=(cert, key), ca=ca),
        Server(env, workdir, port=HTTP_PORT, tls=None, ca=ca),
    ]
    try:
        for server in servers:
            server.start()
        log("pre-flight: http → https redirect, HSTS on https")
        checks = preflight(ca=ca)
        log(f"scanning https://{HOSTNAME}/")
        return scan(ca=ca), checks
    except HarnessError as exc:
        logs = "\n".join(f"--- {s.log_path.name}\n{s.tail(20)}" for s in servers)
        raise HarnessError(f"{exc}\n{logs}") from exc
    finally:
        for server in servers:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    started_at = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="cll-observatory-"))
    try:
        report, checks = observe(args, workdir)
    except HarnessError as exc:
        print(f"\nthe Observatory scan could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        pages.workdir_done(workdir, keep=args.keep)

    print_report(report)
    grade = report["scan"].get("grade")
    if not args.no_save:
        saved = {
            "check": "observatory",
            "scanner": f"{SCANNER_PACKAGE}@{SCANNER_VERSION}",
            "target": f"https://{HOSTNAME}/",
            "started_at": started_at.isoformat(timespec="seconds"),
            "duration_seconds": round(time.monotonic() - started, 1),
            "revision": pages.git_revision(),
            "machine": pages.machine_facts(),
            "preflight": checks,
            **report,
        }
        pages.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = pages.RESULTS_DIR / f"observatory-{started_at:%Y%m%dT%H%M%SZ}.json"
        path.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
        print(f"\nresults written to {path.relative_to(REPO)}")
    print(f"took {time.monotonic() - started:.0f} s")
    if grade != PASSING_GRADE:
        print(f"\nFAILED: grade {grade}, {PASSING_GRADE} required", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
