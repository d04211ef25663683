"""Shared fixtures: real PostgreSQL and SQLite databases, real Redis, real worker processes."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("MARQUEE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MARQUEE_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def pg_database():
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    import psycopg

    name = f"marquee_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_conn():
    from redis import Redis

    conn = Redis.from_url(REDIS_URL)
    conn.ping()
    return conn


@dataclass
class Stack:
    """One app configuration, shared by the in-process Flask app and worker subprocesses."""

    env: dict[str, str]
    app: object
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self, *queues: str) -> subprocess.Popen:
        log = open(Path(self.env["MARQUEE_VAR_DIR"]) / f"worker-{len(self.workers)}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "jobs.worker", *(queues or ("render",))],
                                cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.workers.append(proc)
        return proc

    def kill_worker(self, proc: subprocess.Popen) -> None:
        """SIGKILL the worker and its work horse (RQ gives the horse its own session), as a machine
        failure would. The worker is stopped first, so it cannot fork the next job's horse between
        the lookup of its children and the kill (that horse lived on and finished its render)."""
        try:
            os.kill(proc.pid, signal.SIGSTOP)
        except ProcessLookupError:
            pass
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        for pid in [proc.pid, *map(int, children)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for p in self.workers:
            if p.poll() is None:
                self.kill_worker(p)

    def worker_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-4000:]
                         for p in sorted(Path(self.env["MARQUEE_VAR_DIR"]).glob("worker-*.log")))


def make_stack(tmp_path: Path, database_url: str, **extra: str) -> Stack:
    from app.factory import create_app
    from flask_migrate import upgrade

    var = tmp_path / "var"
    var.mkdir(parents=True, exist_ok=True)
    env = {
        "DATABASE_URL": database_url,
        "MARQUEE_VAR_DIR": str(var),
        "MARQUEE_STORAGE_DIR": str(var / "assets"),
        "REDIS_URL": REDIS_URL,
        "MARQUEE_QUEUE_PREFIX": f"test-{uuid.uuid4().hex[:8]}:",
        "MARQUEE_RECONCILE_INTERVAL_S": "3",
        "MARQUEE_RECONCILE_GRACE_S": "1",
        "MARQUEE_RECONCILE_STALE_S": "12",
        "MARQUEE_JOB_MONITORING_INTERVAL_S": "2",
        "MARQUEE_WORKER_TTL_S": "20",
        # approvals export at once here; tests of the undo grace period set it themselves
        "MARQUEE_EXPORT_GRACE_S": "0",
        **extra,
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        app = create_app({"TESTING": True})
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    with app.app_context():
        upgrade()
        app.config["TEST_ADMIN_TOKEN"] = _make_admin_token()
    app.test_client_class = AdminTokenClient
    return Stack(env, app)


def _make_admin_token() -> str:
    """Every /api/v1 route needs a token: tests that predate auth act as this admin."""
    from app.extensions import db
    from app.models import ApiToken, User

    admin = User(username="test-admin", role="admin", locales=[], regions=[])
    admin.set_password("test-admin-password")
    tok, raw = ApiToken.issue(admin, "tests")
    db.session.add_all([admin, tok])
    db.session.commit()
    return raw


class AdminTokenClient(FlaskClient):
    """A test client that sends the admin bearer token unless told otherwise (as_user=None
    for an anonymous client, or pass an explicit Authorization header)."""

    def __init__(self, *args, as_token: str | None | bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.token = self.application.config.get("TEST_ADMIN_TOKEN") if as_token is True else as_token or None

    def open(self, *args, **kwargs):
        headers = kwargs.pop("headers", None) or {}
        headers = dict(headers) if not isinstance(headers, dict) else headers
        if self.token and "Authorization" not in headers:
            headers = {**headers, "Authorization": f"Bearer {self.token}"}
        return super().open(*args, headers=headers, **kwargs)


@pytest.fixture
def sqlite_stack(tmp_path):
    stack = make_stack(tmp_path, f"sqlite:///{tmp_path / 'var' / 'marquee.db'}")
    yield stack
    stack.stop_all()
    _drop_queue_keys(stack)


@pytest.fixture
def pg_stack(tmp_path, pg_database):
    stack = make_stack(tmp_path, pg_database)
    yield stack
    stack.stop_all()
    drop_schema(stack)
    _drop_queue_keys(stack)


def drop_schema(stack: Stack) -> None:
    """Empty the session's shared PostgreSQL database for the next test (tables and Alembic's mark)."""
    with stack.app.app_context():
        from app.extensions import db

        db.session.remove()
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def stack(request, tmp_path):
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_stack")
    else:
        yield request.getfixturevalue("pg_stack")


def _drop_queue_keys(stack: Stack) -> None:
    from redis import Redis

    conn = Redis.from_url(REDIS_URL)
    prefix = stack.env["MARQUEE_QUEUE_PREFIX"]
    for key in conn.scan_iter(f"rq:*{prefix}*"):
        conn.delete(key)
    for key in conn.scan_iter(f"{prefix}*"):
        conn.delete(key)
    for key in conn.scan_iter(f"rq:*{prefix.replace(':', '-')}*"):  # job ids carry the prefix too
        conn.delete(key)


@pytest.fixture
def client(sqlite_stack):
    return sqlite_stack.app.test_client()


def jpeg_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=90, **kw)
    return buf.getvalue()


@pytest.fixture(scope="session")
def astronaut() -> Image.Image:
    from app.sample import astronaut as photo

    return photo()


def seed_campaign(client, key_art: bytes | None = None) -> dict:
    """Import the sample kit, create the sample title and upload key art through the API."""
    from app.sample import sample_key_art_jpeg, sample_title

    kit = client.post("/api/v1/brand-kits/import", json={"folder": "marquee-default"}).get_json()
    data = sample_title()
    data["releases"] = [dict(r, release_date=str(r["release_date"])) for r in data["releases"]]
    title = client.post("/api/v1/titles", json=data).get_json()
    art_resp = client.post(f"/api/v1/titles/{title['id']}/key-art",
                           data={"file": (io.BytesIO(key_art or sample_key_art_jpeg(512, 768)), "art.jpg")},
                           content_type="multipart/form-data")
    assert art_resp.status_code == 201, art_resp.get_data(as_text=True)
    return {"kit": kit, "title": title, "art": art_resp.get_json()}


def wait_for(predicate, timeout: float, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_request_settled(client, stack, request_id: int, timeout: float, what: str = "all variants rendered") -> dict:
    """Poll the request's progress until every variant rendered or failed; on a timeout the
    failure carries the workers' logs. Returns the final progress."""
    def settled():
        p = client.get(f"/api/v1/requests/{request_id}/progress").get_json()
        return p if p["rendered"] + p["failed"] == p["total"] else None

    try:
        return wait_for(settled, timeout=timeout, what=what)
    except AssertionError:
        raise AssertionError(stack.worker_logs())


@pytest.fixture
def no_connections(monkeypatch):
    """Any outgoing connection fails the test: URL refusals have to come before connecting.
    Only the app's own services may be reached: `no_connections.allowed` holds their (host, port)."""
    import socket

    class Attempts(list):
        allowed: set = set()

    attempts = Attempts()
    real_connect, real_connect_ex, real_create = socket.socket.connect, socket.socket.connect_ex, socket.create_connection

    def refuse(addr):
        attempts.append((addr,))
        raise AssertionError(f"a connection was attempted: {addr}")

    def create(address, *args, **kwargs):
        return real_create(address, *args, **kwargs) if tuple(address[:2]) in attempts.allowed else refuse(address)

    def connect(self, addr):
        return real_connect(self, addr) if tuple(addr[:2]) in attempts.allowed else refuse(addr)

    def connect_ex(self, addr):
        return real_connect_ex(self, addr) if tuple(addr[:2]) in attempts.allowed else refuse(addr)

    monkeypatch.setattr(socket, "create_connection", create)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return attempts


#: A busy loop, one per CPU, at the workers' own priority (a niced loop would yield to them and
#: load nothing): it takes its share of every core.
BUSY_LOOP = "import signal, sys; signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\nwhile True: pass"


@pytest.fixture
def busy_cpus():
    """Every core kept busy beside a concurrency test: on a loaded host a worker is preempted
    between any two steps (a claim and its commit, a heartbeat and a kill), the interleavings an
    idle machine rarely shows. Yields the number of loops; they stop with the test."""
    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(len(os.sched_getaffinity(0)))]
    try:
        yield len(loops)
        assert all(p.poll() is None for p in loops), "a busy loop ended before the test did: it ran unloaded"
    finally:
        for p in loops:
            p.terminate()
        for p in loops:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
