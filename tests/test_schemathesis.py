"""Schemathesis against a real server: generated requests to every operation of the OpenAPI
spec, checked for 5xx, undocumented status codes and responses that do not match their schema.

The server is werkzeug's HTTP server on loopback in a thread, on PostgreSQL (its integer and
text limits are the strict ones), seeded with a kit, a title, key art and a request. The run is
sized for CI (>= 1,000 requests, about a minute); scripts/schemathesis_nightly.py runs more.
"""
from __future__ import annotations

import pytest

from tests.api_server import Tally, run_schemathesis, seed, serve

pytestmark = pytest.mark.service

MIN_REQUESTS = 1000


def test_schemathesis_finds_no_server_error_and_no_schema_violation(pg_stack, tmp_path, capsys):
    token = seed(pg_stack.app)
    tally = Tally()
    with serve(pg_stack.app, tally) as base_url:
        run = run_schemathesis(base_url, token, max_examples=5, seed=20261130, timeout=480, workdir=tmp_path,
                               extra=["--phases", "coverage,fuzzing"])
    output = run.stdout + run.stderr
    with capsys.disabled():
        start = min((i for i in (output.find("= FAILURES ="), output.find("= SUMMARY =")) if i >= 0), default=0)
        print("\n--- schemathesis (CI run) ---\n" + output[max(0, start - 40):][-8000:])
        print(f"server side: {tally.summary()}")
        for line in tally.server_errors[:20]:
            print("  5xx:", line)
    assert tally.requests >= MIN_REQUESTS, tally.summary()
    assert not tally.server_errors, tally.server_errors[:20]
    assert run.returncode == 0, output[-6000:]
