#!/usr/bin/env bash
# Second README command: the whole test suite (lint, checks, unit, integration, browser).
# SQLite by default; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set (see .ci/run).
source "$(dirname "$0")/bootstrap.sh"

# Debian packages the tests use: chromium (browser tests), poppler-utils (pdftotext reads the
# invoices back), clamav-daemon (the upload tests start their own clamd, cll/lib/testing/clamd.py,
# with a signature file they write: freshclam never runs, no signature is downloaded).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftotext ] || [ ! -x /usr/sbin/clamd ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "Installing Debian chromium, poppler-utils and clamav-daemon for the browser, invoice" \
      "and upload tests"
    # The packages' own services (clamd, freshclam) must not start: policy-rc.d answers
    # "forbidden" to the maintainer scripts for the time of the install (when none exists).
    policy=/usr/sbin/policy-rc.d
    own_policy=""
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
    fi
    installed=0
    # chromium with its recommended packages (fonts), as before; clamav-daemon without them.
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
      poppler-utils && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends clamav-daemon) >/dev/null || installed=$?
    if [ -n "$own_policy" ]; then rm -f "$policy"; fi
    if [ "$installed" != 0 ]; then exit "$installed"; fi
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      systemctl disable --now clamav-freshclam.service clamav-daemon.service \
        >/dev/null 2>&1 || true
    fi
  else
    echo "chromium, poppler-utils or clamav-daemon is missing and cannot be installed here:" \
      "browser and invoice tests will fail, upload tests will be skipped." >&2
  fi
fi

log "Lint (ruff)"
"$ROOT/.venv/bin/ruff" format --check --quiet .
"$ROOT/.venv/bin/ruff" check --quiet .

log "Import contracts (import-linter: layers import downward only)"
PYTHONPATH="$ROOT" "$ROOT/.venv/bin/lint-imports" --no-cache --no-logo

log "Django checks"
export DJANGO_SETTINGS_MODULE=cll.test
"$PY" manage.py check --fail-level WARNING
"$PY" manage.py makemigrations --check --dry-run -v0

log "Tests"
# In parallel, one worker per core (at most 8: each PostgreSQL test database and Redis database
# is per worker, and Redis has 16); CLL_TEST_WORKERS=0 runs them in this process.
exec "$ROOT/.venv/bin/pytest" -n "${CLL_TEST_WORKERS:-auto}" --maxprocesses=8 "$@"
