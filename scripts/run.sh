#!/usr/bin/env bash
# First README command: install everything and run the site on http://127.0.0.1:8000
# (embedded SQLite, web server + task worker + scheduler; no other server needed).
source "$(dirname "$0")/bootstrap.sh"

log "Preparing the database and static files"
"$PY" manage.py migrate --no-input -v0
"$PY" manage.py collectstatic --no-input -v0
"$PY" manage.py load_demo
cat <<MSG

  CLL is running at http://127.0.0.1:8000/
  Staff back office: http://127.0.0.1:8000/admin/
  E-mails are written to var/mail/ (no SMTP server configured).

  Demo accounts:
MSG
"$PY" manage.py load_demo_accounts
echo
exec "$PY" manage.py serve --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}"
