#!/usr/bin/env bash
# Starts the web server, a Celery worker and Celery beat; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p var/log

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping Kefu..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# One worker for every queue (no -Q: it consumes all of CELERY_TASK_QUEUES);
# production runs workers per queue, see docs/operations.md.
"$BIN/celery" -A config worker --loglevel=INFO --concurrency=2 \
  --logfile=var/log/worker.log &
pids+=($!)
"$BIN/celery" -A config beat --loglevel=INFO --logfile=var/log/beat.log &
pids+=($!)
"$BIN/python" manage.py runserver "$HOST:$PORT" &
pids+=($!)

echo "Kefu is starting on http://$HOST:$PORT/admin/ (worker and beat logs in var/log/)."
echo "Press Ctrl-C to stop."
# Exit (and stop the others) as soon as any of the three dies.
wait -n
