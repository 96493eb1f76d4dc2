#!/usr/bin/env bash
# First README command: install everything and run the site on http://127.0.0.1:8000
# (embedded SQLite, web server + task worker + scheduler; no other server needed).
source "$(dirname "$0")/bootstrap.sh"

log "Preparing the database and static files"
"$PY" manage.py migrate --no-input -v0
"$PY" manage.py collectstatic --no-input -v0
"$PY" manage.py load_demo
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
cat <<MSG

  CLL is running at http://$HOST:$PORT/
  Staff back office: http://$HOST:$PORT/admin/
  E-mails are written to var/mail/ (no SMTP server configured).

  Demo accounts:
MSG
"$PY" manage.py load_demo_accounts
echo
exec "$PY" manage.py serve --host "$HOST" --port "$PORT"
