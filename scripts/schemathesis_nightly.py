#!/usr/bin/env python
"""Nightly schemathesis run: the CI test's server and seed, with many more generated requests,
on SQLite and PostgreSQL, all phases including stateful; prints the server-side tally and exits
non-zero on any 5xx or schema violation.

Usage: .venv/bin/python scripts/schemathesis_nightly.py [--db sqlite|postgres|both]
           [--max-examples 200] [--seed N] [--max-time SECONDS] [--report-dir DIR]
Needs PostgreSQL (MARQUEE_TEST_PG, default postgresql://postgres@127.0.0.1:5432/test) for
--db postgres, and Redis (MARQUEE_TEST_REDIS) because creating a request queues render jobs.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _pg_database() -> tuple[str, Callable[[], None]]:
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    name = f"marquee_nightly_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}", drop


def run_one(db: str, args: argparse.Namespace) -> bool:
    from tests.api_server import Tally, run_schemathesis, seed, serve
    from tests.conftest import make_stack

    work = Path(tempfile.mkdtemp(prefix=f"marquee-st-{db}-"))
    url, drop = (_pg_database() if db == "postgres"
                 else (f"sqlite:///{work / 'var' / 'marquee.db'}", lambda: None))
    try:
        stack = make_stack(work, url)
        token = seed(stack.app)
        tally = Tally()
        extra = ["--phases", "examples,coverage,fuzzing,stateful", "--report", "junit,har",
                 "--report-dir", str(Path(args.report_dir) / db)]
        if args.max_time:
            extra += ["--max-time", str(args.max_time)]
        t0 = time.monotonic()
        with serve(stack.app, tally) as base_url:
            run = run_schemathesis(base_url, token, max_examples=args.max_examples, seed=args.seed,
                                   timeout=args.timeout, workdir=work, extra=extra)
        print(run.stdout[-20000:], run.stderr[-4000:], sep="\n")
        print(f"[{db}] server side: {tally.summary()} in {time.monotonic() - t0:.0f} s")
        for line in tally.server_errors[:50]:
            print(f"[{db}]   5xx: {line}")
        return run.returncode == 0 and not tally.server_errors
    finally:
        drop()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    p.add_argument("--max-examples", type=int, default=200)
    p.add_argument("--seed", type=int, default=None, help="default: a new one each night (printed)")
    p.add_argument("--max-time", type=int, default=None, help="seconds; fuzzing repeats until spent")
    p.add_argument("--timeout", type=int, default=4 * 3600)
    p.add_argument("--report-dir", default=str(ROOT / "var" / "schemathesis"))
    args = p.parse_args()
    ok = True
    for db in (("sqlite", "postgres") if args.db == "both" else (args.db,)):
        ok = run_one(db, args) and ok
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
