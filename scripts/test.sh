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
# One pytest process per core, each taking whole files (a file's module fixtures are set up once):
# 15 min on the 2-core CI host against 25-28 min in one process. `-n 0` runs it in one.
exec .venv/bin/python -m pytest -q -n auto --dist loadfile "$@"
