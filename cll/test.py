"""Settings for the test suite: the normal settings in ``test`` mode.

Tests run on SQLite by default and on PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("CLL_ENV", "test")

# Parallel test workers (pytest-xdist) share the Redis server: each gets its own database
# (the cache is cleared between tests, and a FLUSHDB must not empty another worker's keys).
# PostgreSQL test databases are per worker already (pytest-django adds the worker's suffix).
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    _url = urlsplit(os.environ["REDIS_URL"])
    _base = int(_url.path.strip("/") or 0)
    _database = (_base - int(_worker[2:])) % 16
    os.environ["REDIS_URL"] = urlunsplit(_url._replace(path=f"/{_database}"))

# After the environment above: the settings read it when imported.
from cll.settings import *  # noqa: E402, F403
from cll.settings import PASSWORD_HASHERS  # noqa: E402

# Hashing passwords with Argon2 in every fixture would dominate the suite's time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# A test-only app whose models exercise the encrypted fields (tests/testapp/).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405

# A real OpenID Connect provider for the social sign-in test (tests/oidc/): django-oauth-toolkit,
# a development dependency, served by the live server under a test-only URLconf.
INSTALLED_APPS = [*INSTALLED_APPS, "oauth2_provider"]

# Any response setting a cookie missing from the cookie registry (cll/consent/registry.py) fails
# the test that caused it. First in the list: it sees the cookies every other middleware set.
MIDDLEWARE = ["cll.consent.testing.UndeclaredCookieMiddleware", *MIDDLEWARE]  # noqa: F405

# Erasures made by the tests are journaled in a throw-away directory of this run, never in var/
# (cll/erasure/tests point each test at its own file).
_JOURNAL_DIR = tempfile.mkdtemp(prefix="cll-test-journal-")
atexit.register(shutil.rmtree, _JOURNAL_DIR, ignore_errors=True)
ERASURE_JOURNAL = Path(_JOURNAL_DIR) / "erasure-journal.jsonl"

# Signed checkpoints of the audit ledger written by the tests (cll/privacy/ledger.py) go to a
# throw-away directory of this run, never var/; the ledger tests use one per test.
_CHECKPOINT_DIR = tempfile.mkdtemp(prefix="cll-test-checkpoints-")
atexit.register(shutil.rmtree, _CHECKPOINT_DIR, ignore_errors=True)
AUDIT_CHECKPOINT_DIR = Path(_CHECKPOINT_DIR)

# The access-log spool of this run (cll/analytics/spool.py), never var/; removed at exit.
_SPOOL_DIR = tempfile.mkdtemp(prefix="cll-test-spool-")
atexit.register(shutil.rmtree, _SPOOL_DIR, ignore_errors=True)
ACCESS_LOG_SPOOL_DIR = Path(_SPOOL_DIR)

# Uploaded files of this run (cll/core/uploads.py), never var/; removed at exit.
_UPLOAD_DIR = tempfile.mkdtemp(prefix="cll-test-uploads-")
atexit.register(shutil.rmtree, _UPLOAD_DIR, ignore_errors=True)
UPLOAD_DIR = Path(_UPLOAD_DIR)

# A developer's own offline GeoIP files never reach the tests (they build their own).
GEOIP_COUNTRY_DB = GEOIP_ASN_DB = GEOIP_ATTRIBUTION = ""
