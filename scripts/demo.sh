#!/usr/bin/env bash
# Runs the demo: migrations, Harsewinkel demo data, mail catcher, RQ worker, outbox
# relay and the web app under gunicorn. Ctrl-C stops everything this script started
# (the private PostgreSQL and Redis included).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN="$ROOT/.venv/bin"
eval "$(scripts/services.sh env)"
export PORT=${PORT:-5000}
export SMTP_HOST=${SMTP_HOST:-127.0.0.1}
export SMTP_PORT=${SMTP_PORT:-8025}
export MAILCATCHER_DIR=${MAILCATCHER_DIR:-$ROOT/var/mail}
export BASE_URL=${BASE_URL:-http://127.0.0.1:$PORT}
export MEDIA_STORAGE_URL=${MEDIA_STORAGE_URL:-$ROOT/var/media}
# The demo listens on loopback only; production sets METRICS_TOKEN instead.
export METRICS_OPEN=${METRICS_OPEN:-true}
# One key for every process of the demo, kept across runs: links in mails sent by
# the worker must verify in the web app.
if [ -z "${SECRET_KEY:-}" ]; then
    [ -s var/secret_key ] || "$BIN/python" -c "import secrets; print(secrets.token_hex(32))" > var/secret_key
    SECRET_KEY=$(cat var/secret_key); export SECRET_KEY
fi
export FLASK_APP=app:create_app

pids=()
cleanup() {
    trap - INT TERM EXIT
    echo; echo "stopping the demo ..."
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    scripts/services.sh stop
    echo "stopped."
}
trap cleanup INT TERM EXIT

"$BIN/flask" db-upgrade
"$BIN/flask" demo-load
"$BIN/flask" catalog-demo-load
"$BIN/flask" open311 demo  # Open311 API key (OPEN311_DEMO_KEY if set), printed here
"$BIN/flask" demo-accounts  # staff accounts admin, dispatcher, one per department; prints the password

"$BIN/python" scripts/mailcatcher.py --host "$SMTP_HOST" --port "$SMTP_PORT" --dir "$MAILCATCHER_DIR" & pids+=($!)
"$BIN/flask" worker & pids+=($!)
"$BIN/flask" scheduler & pids+=($!)  # outbox relay sweep, digests, reminders, retention
# The settings of the service (deploy/gunicorn.conf.py: workers import the map library before
# their first request; the access log names no client address and redacts the tokens in links),
# on the demo's port with two workers.
"$BIN/gunicorn" -c deploy/gunicorn.conf.py --bind "127.0.0.1:$PORT" --workers 2 "app:create_app()" & pids+=($!)

cat <<MSG

  Mängelmelder demo is running:  $BASE_URL
  Report a defect:               $BASE_URL/melden
  Public map / list:             $BASE_URL/karte   $BASE_URL/meldungen
  Staff sign-in:                 $BASE_URL/intern/anmelden   (accounts and password above)
  Service catalog:               $BASE_URL/leistungen
  Open311 API:                   $BASE_URL/open311/v2/discovery.json   (API key above)
  Mails sent by the demo:        $BASE_URL/_demo/mails   (signed in as admin; files in $MAILCATCHER_DIR)
  Stop with Ctrl-C.

MSG
wait -n "${pids[@]}" || true
