#!/usr/bin/env bash
# Second README command: the whole test suite (lint, checks, unit, integration, browser).
# SQLite by default; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set (see .ci/run).
source "$(dirname "$0")/bootstrap.sh"

# Debian packages the tests use: chromium (browser tests), poppler-utils (pdftotext reads the
# invoices back).
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftotext ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "Installing Debian chromium and poppler-utils for the browser and invoice tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
      poppler-utils) >/dev/null
  else
    echo "chromium or poppler-utils is missing and cannot be installed here: browser and" \
      "invoice tests will fail." >&2
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
