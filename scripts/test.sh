#!/usr/bin/env bash
# Sets up everything (system packages, venv), starts Redis and PostgreSQL if they are down,
# and runs the whole test suite: unit, service (real Redis, Postgres, SQLite, RQ workers),
# browser (headless Chromium). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/services.sh
ensure_redis
ensure_postgres
exec .venv/bin/python -m pytest -q "$@"
