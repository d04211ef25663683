#!/usr/bin/env python
"""The demo's render phase, measured: the sample request (19 locales x 8 formats by default)
through the REST API and real RQ render workers, on a fresh SQLite database per run.

For each worker count it starts the workers (idle, as the demo does), uploads the key art,
posts the request, and times until every variant is rendered or failed. The workers are then
stopped and reaped with os.wait4, whose rusage covers each worker and the work horses it
reaped: peak RSS is the largest single process, CPU is user + system of all of them from the
upload on (what the workers used to start up is taken off).
`--profile` instead runs one in-process SimpleWorker in burst mode under cProfile over the
whole request (analysis job included) and prints the top functions.

Usage: python scripts/bench_service.py [--workers 1,2] [--locales all] [--formats all] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import resource  # noqa: E402

from flask_migrate import upgrade  # noqa: E402
from rq import SimpleWorker, Worker  # noqa: E402

from app.factory import create_app  # noqa: E402  (the config is read by create_app, after _env is applied)
from app.extensions import db  # noqa: E402
from app.models import ApiToken, User  # noqa: E402
from app.queueing import RENDER, get_queue, redis_conn  # noqa: E402
from app.render.formats import FORMATS  # noqa: E402
from app.render.locales import SUPPORTED_LOCALES  # noqa: E402
from app.sample import sample_key_art_jpeg, sample_title  # noqa: E402
from jobs.context import set_app  # noqa: E402


def _env(var: Path, db_url: str | None) -> dict[str, str]:
    return {"MARQUEE_VAR_DIR": str(var), "MARQUEE_STORAGE_DIR": str(var / "assets"),
            "DATABASE_URL": db_url or f"sqlite:///{var / 'marquee.db'}",
            "MARQUEE_QUEUE_PREFIX": f"bench-{uuid.uuid4().hex[:8]}:"}


def make_app(env: dict[str, str]):
    """The app on a fresh database, migrated, with the demo's API token on its test client."""
    os.environ.update(env)
    app = create_app()
    with app.app_context():
        upgrade()
        user = User(username="bench", role="admin", locales=[], regions=[])
        user.set_password(uuid.uuid4().hex)
        token, raw = ApiToken.issue(user, "bench")
        db.session.add_all([user, token])
        db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return app, client


def _ok(resp, *codes: int) -> dict:
    assert resp.status_code in codes, f"{resp.request.path} -> {resp.status_code}: {resp.get_data(as_text=True)}"
    return resp.get_json()


def post_request(client, locales: list[str], formats: list[str]) -> dict:
    """What the demo does: import the kit, create the title, upload the key art, post the request."""

    kit = _ok(client.post("/api/v1/brand-kits/import", json={"folder": "marquee-default"}), 200, 201)
    data = sample_title()
    data["releases"] = [dict(r, release_date=str(r["release_date"])) for r in data["releases"]]
    title = _ok(client.post("/api/v1/titles", json=data), 201)
    art = _ok(client.post(f"/api/v1/titles/{title['id']}/key-art",
                          data={"file": (io.BytesIO(sample_key_art_jpeg()), "beyond-the-orbit.jpg")},
                          content_type="multipart/form-data"), 200, 201)
    return _ok(client.post("/api/v1/requests", json={
        "title_id": title["id"], "key_art_id": art["id"], "brand_kit_id": kit["id"], "locales": locales,
        "formats": formats, "requester": "bench"}), 202)


def wait_rendered(client, request_id: int, timeout: float) -> dict:
    t0 = time.monotonic()
    while True:
        prog = _ok(client.get(f"/api/v1/requests/{request_id}/progress"), 200)
        if prog["rendered"] + prog["failed"] >= prog["total"]:
            return prog
        assert time.monotonic() - t0 < timeout, f"timed out: {prog}"
        time.sleep(0.2)


def _workers_ready(app, n: int) -> bool:
    with app.app_context():
        return len(Worker.all(queue=get_queue(RENDER))) >= n


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds a live process has used so far (itself, not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_with_workers(n: int, locales: list[str], formats: list[str], db_url: str | None, timeout: float) -> dict:
    """One fresh run with `n` render workers; returns the row of the table."""
    var = Path(tempfile.mkdtemp(prefix="marquee-bench-"))
    env = _env(var, db_url)
    app, client = make_app(env)
    procs = [subprocess.Popen([sys.executable, "-m", "jobs.worker", "render"], cwd=ROOT, env={**os.environ, **env},
                              stdout=open(var / f"worker-{i}.log", "wb"), stderr=subprocess.STDOUT)
             for i in range(n)]
    try:
        deadline = time.monotonic() + 60
        while not _workers_ready(app, n):
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.2)
        started_cpu = sum(_cpu_s(p.pid) for p in procs)  # start-up and warm-up, not the render phase
        req = post_request(client, locales, formats)
        t0 = time.monotonic()
        prog = wait_rendered(client, req["id"], timeout)
        wall = time.monotonic() - t0
    finally:
        usage = []
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            _, _, ru = os.wait4(p.pid, 0)
            usage.append(ru)
    cpu = sum(ru.ru_utime + ru.ru_stime for ru in usage) - started_cpu
    total = prog["total"]
    return {"workers": n, "variants": total, "rendered": prog["rendered"], "failed": prog["failed"],
            "wall_s": wall, "per_s": total / wall, "cpu_ms_per_variant": 1000 * cpu / total,
            "peak_rss_mb": max(ru.ru_maxrss for ru in usage) / 1024, "var": str(var)}


def profile_request(locales: list[str], formats: list[str], db_url: str | None, top: int) -> None:
    """One in-process SimpleWorker, burst mode, over the whole request, under cProfile."""

    var = Path(tempfile.mkdtemp(prefix="marquee-prof-"))
    app, client = make_app(_env(var, db_url))
    set_app(app)
    req = post_request(client, locales, formats)
    with app.app_context():
        worker = SimpleWorker([get_queue(RENDER)], connection=redis_conn())
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    worker.work(burst=True)
    prof.disable()
    wall = time.perf_counter() - t0
    prog = wait_rendered(client, req["id"], 5)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{prog['rendered']} rendered, {prog['failed']} failed of {prog['total']} in {wall:.1f}s "
          f"({1000 * wall / prog['total']:.0f} ms/variant under cProfile); peak RSS {peak:.0f} MB")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"\n== top {top} by {order}\n" + "\n".join(lines[start:start + top + 1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts, one fresh run each")
    parser.add_argument("--locales", default="all")
    parser.add_argument("--formats", default="all")
    parser.add_argument("--db", default=None, help="DATABASE_URL (default: a fresh SQLite file per run)")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--profile", action="store_true", help="cProfile one in-process burst worker instead")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    locales = list(SUPPORTED_LOCALES) if args.locales == "all" else args.locales.split(",")
    formats = list(FORMATS) if args.formats == "all" else args.formats.split(",")
    if args.profile:
        profile_request(locales, formats, args.db, args.top)
        return
    rows = [run_with_workers(int(n), locales, formats, args.db, args.timeout) for n in args.workers.split(",")]
    print(f"load average before/after: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"{'workers':>7} {'variants':>8} {'failed':>6} {'wall s':>7} {'var/s':>6} {'CPU ms/var':>10} "
          f"{'peak RSS MB':>11}")
    for r in rows:
        print(f"{r['workers']:>7} {r['variants']:>8} {r['failed']:>6} {r['wall_s']:>7.1f} {r['per_s']:>6.2f} "
              f"{r['cpu_ms_per_variant']:>10.0f} {r['peak_rss_mb']:>11.0f}")
    if len(rows) > 1:
        print(f"speed-up {rows[-1]['workers']} vs {rows[0]['workers']} worker(s): "
              f"{rows[0]['wall_s'] / rows[-1]['wall_s']:.2f}x")


if __name__ == "__main__":
    main()
