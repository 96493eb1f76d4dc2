#!/usr/bin/env bash
# First README command: install everything and run the site on http://127.0.0.1:8000
# (embedded SQLite, web server + task worker + scheduler; no other server needed).
source "$(dirname "$0")/bootstrap.sh"

# Visitors' view: the site's own error pages (styled, in the visitor's language), never Django's
# debug pages, which list every address of the site. Developers who want the debug pages run
# `DEBUG=1 scripts/run.sh`. Exported before collectstatic: without DEBUG the static files are
# served from the fingerprinted, compressed copy it makes, as in production.
export DEBUG="${DEBUG:-0}"

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# The site's own address (links in e-mails, language alternates) follows HOST and PORT unless
# it is set; a server on every interface is reached at 127.0.0.1 from this machine.
case "$HOST" in
  0.0.0.0 | "::") SITE_HOST=127.0.0.1 ;;
  *) SITE_HOST=$HOST ;;
esac
export CLL_SITE_URL="${CLL_SITE_URL:-http://$SITE_HOST:$PORT}"

log "Preparing the database and static files"
"$PY" manage.py migrate --no-input -v0
"$PY" manage.py collectstatic --no-input -v0
"$PY" manage.py load_demo
# The newsletter's lists (news, promotions, one per language taught): the footer's form needs them.
"$PY" manage.py load_newsletter_lists -v0
cat <<MSG

  CLL is running at http://$HOST:$PORT/
  Staff area: http://$HOST:$PORT/fr/staff/ (administration: /fr/admin/)
  E-mails are written to var/mail/ as .eml files (no SMTP server configured).

  Demo accounts:
MSG
"$PY" manage.py load_demo_accounts
"$PY" manage.py load_demo_requests -v0
"$PY" manage.py load_demo_shop -v0
"$PY" manage.py load_demo_helpdesk && "$PY" manage.py load_demo_feedback -v0
echo
exec "$PY" manage.py serve --host "$HOST" --port "$PORT"
