#!/usr/bin/env bash
# The main job, end to end on embedded defaults: set up, start Redis if none answers,
# migrate SQLite under var/, start render workers, render the sample campaign (19 locales x
# 8 formats) through the REST API and the workers, write the contact sheet and print its path.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/services.sh
ensure_redis
export FLASK_APP=wsgi.py
.venv/bin/flask db upgrade
mkdir -p var/log
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for i in 1 2; do
  .venv/bin/python -m jobs.worker render >"var/log/worker-$i.log" 2>&1 &
  pids+=("$!")
done
# The demo times its render phase from its request on: let both workers start first (at most 30 s).
for _ in $(seq 30); do
  .venv/bin/flask queues --json 2>/dev/null | grep -q '"queue": "render".*"workers": [2-9]' && break
  sleep 1
done
.venv/bin/flask demo --out var/demo-contact-sheet.jpg "$@"
