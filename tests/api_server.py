"""A real Marquee API server on loopback for schemathesis (the test and the nightly script).

The app runs in werkzeug's HTTP server in a thread, on a database seeded through the API with a
brand kit, a title, key art and a render request, so that generated ids 1 hit real rows. The
fuzzing client is an admin whose user and token ids are far from anything generated, so that a
generated DELETE /tokens/{id} or PATCH /users/{id} cannot lock it out. A WSGI wrapper counts
every request and every 5xx on the server side, independent of schemathesis' own report.
"""
from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

FUZZ_ID = 7_654_321
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        top = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return f"{self.requests} requests, {len(self.server_errors)} answered 5xx; by status {{{top}}}"


class Counting:
    """WSGI middleware: counts requests and remembers which ones got a 5xx."""

    def __init__(self, app: Callable, tally: Tally) -> None:
        self.app, self.tally = app, tally

    def __call__(self, environ: dict, start_response: Callable):
        where = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO')}?{environ.get('QUERY_STRING', '')}"

        def start(status: str, headers: list, exc_info=None):
            self._count(int(status.split()[0]), f"{where} -> {status}")
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, start)
        except Exception as exc:  # escaped the app: the server answers 500 itself
            self._count(500, f"{where} -> escaped {type(exc).__name__}: {exc}")
            raise

    def _count(self, code: int, what: str) -> None:
        self.tally.requests += 1
        self.tally.statuses[code] += 1
        if code >= 500:
            self.tally.server_errors.append(what[:500])


def seed(app) -> str:
    """Kit, title, key art and a request through the API; returns the fuzzing admin's token."""
    from tests.conftest import seed_campaign

    client = app.test_client()
    s = seed_campaign(client)
    r = client.post("/api/v1/requests", json={"title_id": s["title"]["id"], "key_art_id": s["art"]["id"],
                                              "brand_kit_id": s["kit"]["id"], "locales": ["en-US", "ja-JP"],
                                              "formats": ["poster", "square"]})
    assert r.status_code == 202, r.get_data(as_text=True)
    with app.app_context():
        from app.extensions import db
        from app.models import ApiToken, User, Variant

        # as if a worker had rendered variant 1: decisions on it reach the review logic
        db.session.get(Variant, r.get_json()["variants"][0]["id"]).status = "rendered"

        user = User(id=FUZZ_ID, username="schemathesis", role="admin", locales=[], regions=[])
        tok, raw = ApiToken.issue(user, "schemathesis")
        tok.id = FUZZ_ID
        db.session.add_all([user, tok])
        db.session.commit()
    return raw


@contextmanager
def serve(app, tally: Tally) -> Iterator[str]:
    """The app on 127.0.0.1:<free port>, one request at a time, until the block ends."""
    from werkzeug.serving import make_server

    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error is a 500 answer
    server = make_server("127.0.0.1", 0, Counting(app, tally), threaded=False)
    thread = threading.Thread(target=server.serve_forever, name="api-under-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def run_schemathesis(base_url: str, token: str, *, max_examples: int, seed: int | None, timeout: float,
                     workdir: Path, extra: list[str] | None = None) -> subprocess.CompletedProcess:
    """The schemathesis CLI against the server, in its own process; it writes its state (and any
    report) under `workdir`, not into the checkout."""
    exe = Path(sys.executable).with_name("schemathesis")
    cmd = [str(exe) if exe.exists() else "schemathesis", "run", f"{base_url}/api/v1/openapi.json",
           "--url", base_url, "-H", f"Authorization: Bearer {token}", "--checks", CHECKS,
           "--max-examples", str(max_examples), "--workers", "1", "--no-color",
           "--suppress-health-check", "all", "--request-timeout", "30", "--generation-database", "none",
           "--generation-with-security-parameters", "false", *(extra or [])]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
