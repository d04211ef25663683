"""Connections that check the address they actually dial (DNS rebinding guard).

`urlguard.check_url` refuses a bad URL before anything is sent, but it resolves the host on its
own: a hostile DNS server can answer a public address to that check and 127.0.0.1 or
169.254.169.254 a moment later to the connection. Here the connection itself resolves the host
once, classifies every address with the same rules, and dials only an address that passed, so
what was checked is what is connected to. TLS still verifies the certificate against the host
name (urllib3 keeps `host` for SNI and hostname checks; only the dialled address is pinned).

Used by the HTTP PUT and webhook targets (requests) and by the S3 target (botocore's urllib3
pool manager).
"""
from __future__ import annotations

from functools import lru_cache

import requests
from botocore.awsrequest import AWSHTTPConnection, AWSHTTPConnectionPool, AWSHTTPSConnection, AWSHTTPSConnectionPool
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError
from urllib3.util import connection as u3conn

from .urlguard import checked_addresses


def _dial(conn: HTTPConnection, allow_private: bool):
    addresses = checked_addresses(conn._dns_host.rstrip("."), conn.port, allow_private, " at connect time")
    last: OSError | None = None
    for addr in addresses:
        try:
            return u3conn.create_connection((addr, conn.port), conn.timeout, source_address=conn.source_address,
                                            socket_options=conn.socket_options)
        except OSError as exc:
            last = exc
    raise NewConnectionError(conn, f"Failed to establish a new connection: {last}")


@lru_cache(maxsize=4)
def pool_classes(allow_private: bool, botocore: bool = False) -> dict[str, type]:
    """urllib3 pool classes (by scheme) whose connections dial only checked addresses; with
    `botocore`, built on botocore's own connection classes (they handle Expect: 100-continue)."""
    if botocore:
        bases = (AWSHTTPConnection, AWSHTTPSConnection, AWSHTTPConnectionPool, AWSHTTPSConnectionPool)
    else:
        bases = (HTTPConnection, HTTPSConnection, HTTPConnectionPool, HTTPSConnectionPool)
    http_conn, https_conn, http_pool, https_pool = bases

    class PinnedHTTPConnection(http_conn):
        def _new_conn(self):
            return _dial(self, allow_private)

    class PinnedHTTPSConnection(https_conn):
        def _new_conn(self):
            return _dial(self, allow_private)

    return {"http": type("PinnedHTTPPool", (http_pool,), {"ConnectionCls": PinnedHTTPConnection}),
            "https": type("PinnedHTTPSPool", (https_pool,), {"ConnectionCls": PinnedHTTPSConnection})}


class PinnedAdapter(HTTPAdapter):
    """A requests adapter whose pools dial only addresses that pass the URL guard's rules."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = pool_classes(self.allow_private)


def pinned_session(allow_private: bool) -> requests.Session:
    """A requests session for export traffic: no proxies from the environment, pinned dialling."""
    session = requests.Session()
    session.trust_env = False
    adapter = PinnedAdapter(allow_private)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def pin_botocore_client(client, allow_private: bool) -> None:
    """Make a boto3 client's connections dial only checked addresses. botocore keeps its urllib3
    PoolManager on the endpoint's http session; if a botocore release moves it, this raises
    rather than leave the client unguarded."""
    manager = client._endpoint.http_session._manager  # noqa: SLF001 - see docstring
    if not hasattr(manager, "pool_classes_by_scheme"):
        raise RuntimeError("botocore's pool manager has no pool_classes_by_scheme; cannot pin S3 connections")
    manager.pool_classes_by_scheme = pool_classes(allow_private, botocore=True)
