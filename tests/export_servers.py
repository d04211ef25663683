"""Real servers on loopback for the export tests: moto's S3 over HTTP, an HTTP PUT origin, a webhook receiver.

Each counts the requests it gets, so tests can say "sent once" about what arrived, not about
what the client thinks it did.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from werkzeug.serving import make_server


class CountingS3:
    """moto's S3 in server mode on 127.0.0.1 (free port), behind a WSGI wrapper that logs requests."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def start(self) -> "CountingS3":
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

        app = DomainDispatcherApplication(create_backend_app)

        def counting(environ, start_response):
            with self._lock:
                self.requests.append((environ["REQUEST_METHOD"], unquote(environ.get("PATH_INFO", ""))))
            return app(environ, start_response)

        self.server = make_server("127.0.0.1", 0, counting, threaded=True, request_handler=MotoRequestHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def puts(self, path_part: str = "") -> Counter:
        with self._lock:
            return Counter(p for m, p in self.requests if m == "PUT" and path_part in p)

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class PutOrigin:
    """A WebDAV-style origin: HEAD/GET/PUT/MOVE, ETag = sha256 of the stored bytes.

    `fail_puts` makes the next N PUTs answer 500; `put_delay_s` slows every PUT (to be caught mid-export).
    """

    def __init__(self, fail_puts: int = 0, put_delay_s: float = 0.0, retry_after: str | None = None) -> None:
        self.objects: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.log: list[tuple[str, str, int]] = []
        self.fail_puts = fail_puts
        self.put_delay_s = put_delay_s
        self.retry_after = retry_after
        self.lock = threading.Lock()

    def start(self) -> "PutOrigin":
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _path(self) -> str:
                return unquote(urlsplit(self.path).path)

            def do_HEAD(self):
                with origin.lock:
                    obj = origin.objects.get(self._path())
                    origin.log.append(("HEAD", self._path(), 200 if obj else 404))
                if obj is None:
                    return self._reply(404)
                self._reply(200, obj[0], {"ETag": f'"{hashlib.sha256(obj[0]).hexdigest()}"',
                                          "Content-Type": obj[1].get("Content-Type", "")})

            do_GET = do_HEAD

            def do_PUT(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if origin.put_delay_s:
                    time.sleep(origin.put_delay_s)
                with origin.lock:
                    if origin.fail_puts > 0:
                        origin.fail_puts -= 1
                        origin.log.append(("PUT", self._path(), 500))
                        fail = True
                    else:
                        fail = False
                        origin.objects[self._path()] = (body, dict(self.headers.items()))
                        origin.log.append(("PUT", self._path(), 201))
                if fail:
                    return self._reply(500, b"origin overloaded",
                                       {"Retry-After": origin.retry_after} if origin.retry_after else None)
                self._reply(201)

            def do_MOVE(self):
                dest = unquote(urlsplit(self.headers["Destination"]).path)
                with origin.lock:
                    obj = origin.objects.pop(self._path(), None)
                    if obj is not None:
                        origin.objects[dest] = obj
                    origin.log.append(("MOVE", self._path(), 201 if obj else 404))
                self._reply(201 if obj else 404)

            def do_DELETE(self):
                with origin.lock:
                    origin.objects.pop(self._path(), None)
                self._reply(204)

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def successful_puts(self) -> Counter:
        with self.lock:
            return Counter(p for m, p, s in self.log if m == "PUT" and s == 201)

    def stop(self) -> None:
        self.server.shutdown()


class WebhookReceiver:
    """Verifies Standard Webhooks signatures with the reference library and dedupes by webhook-id.

    `fail_first` answers 503 to that many (valid) deliveries; `origin` lets it check, on arrival,
    that the assets it is told about are already at the origin.
    """

    def __init__(self, secret: str, fail_first: int = 0, check_arrived=None) -> None:
        from standardwebhooks.webhooks import Webhook

        self.verifier = Webhook(secret)
        self.fail_first = fail_first
        self.check_arrived = check_arrived
        self.events: dict[str, dict] = {}
        self.deliveries: list[tuple[str, int]] = []
        self.rejected = 0
        self.not_yet_there: list[str] = []
        self.lock = threading.Lock()

    def start(self) -> "WebhookReceiver":
        rx = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    event = rx.verifier.verify(body, headers)
                except Exception:
                    with rx.lock:
                        rx.rejected += 1
                    return self._reply(401)
                msg_id = headers["webhook-id"]
                with rx.lock:
                    if rx.fail_first > 0:
                        rx.fail_first -= 1
                        rx.deliveries.append((msg_id, 503))
                        status = 503
                    else:
                        rx.deliveries.append((msg_id, 204))
                        if msg_id not in rx.events:  # dedupe: at-least-once in, exactly-once processed
                            rx.events[msg_id] = event
                            if rx.check_arrived and not rx.check_arrived(event):
                                rx.not_yet_there.append(msg_id)
                        status = 204
                self._reply(status)

            def _reply(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/marquee"

    def stop(self) -> None:
        self.server.shutdown()


class RedisServer:
    """A private redis-server on a free loopback port, without persistence, that a test may restart:
    a restart loses everything in it, as a real Redis restart without persistence does."""

    def __init__(self, log_dir) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log_dir = log_dir
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        import subprocess

        from redis import Redis

        log = open(f"{self.log_dir}/redis-{self.port}.log", "ab")
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--daemonize", "no"], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while True:
            try:
                Redis.from_url(self.url).ping()
                return self
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()   # no clean shutdown: nothing is saved anyway
            self.proc.wait(timeout=10)
