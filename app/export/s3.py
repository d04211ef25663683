"""S3-compatible bucket target through boto3 (AWS, MinIO, R2, Ceph...).

PutObject is atomic: a reader sees the old object or the whole new one, never a part. The
object's sha256 travels as user metadata (and as S3's own ChecksumSHA256, which the server
verifies), so a HEAD tells whether the same bytes are already there.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .protocol import Asset, PutResult, TargetError, http_error
from .pinned import pin_botocore_client
from .urlguard import UrlRefused, check_url


@dataclass
class S3Target:
    bucket: str
    prefix: str = ""
    region: str = "us-east-1"
    endpoint_url: str | None = None
    public_base_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    allow_private: bool = False
    timeout_s: float = 30.0
    kind: str = "s3"

    @property
    def endpoint(self) -> str:
        return self.endpoint_url or f"https://s3.{self.region}.amazonaws.com"

    def _client(self):
        check_url(self.endpoint, allow_private=self.allow_private)  # before any connection
        config = Config(region_name=self.region, connect_timeout=min(10.0, self.timeout_s),
                        read_timeout=self.timeout_s, retries={"max_attempts": 1, "mode": "standard"},
                        s3={"addressing_style": "path" if self.endpoint_url else "auto"})
        client = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint_url, aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key, config=config)
        pin_botocore_client(client, self.allow_private)  # each connection dials only checked addresses
        return client

    def object_key(self, key: str) -> str:
        return f"{self.prefix.strip('/')}/{key}" if self.prefix.strip("/") else key

    def url_for(self, key: str) -> str:
        path = quote(self.object_key(key))
        if self.public_base_url:
            return f"{self.public_base_url.rstrip('/')}/{path}"
        if self.endpoint_url:
            return f"{self.endpoint_url.rstrip('/')}/{self.bucket}/{path}"
        return f"https://{self.bucket}.s3.{self.region}.amazonaws.com/{path}"

    def put(self, asset: Asset) -> PutResult:
        client = self._client()
        key = self.object_key(asset.key)
        try:
            if self._same_object_there(client, key, asset.sha256):
                return PutResult(asset.key, self.url_for(asset.key), sent=False)
            client.put_object(Bucket=self.bucket, Key=key, Body=asset.data, ContentType=asset.content_type,
                              CacheControl=asset.cache_control, Metadata={"sha256": asset.sha256},
                              ChecksumSHA256=base64.b64encode(bytes.fromhex(asset.sha256)).decode())
        except ClientError as exc:
            raise _client_error(exc, f"S3 bucket {self.bucket!r}") from None
        except BotoCoreError as exc:
            refused = getattr(exc, "kwargs", {}).get("error")
            if isinstance(refused, UrlRefused):  # the pinned connection refused the address it resolved
                raise refused from None
            raise TargetError(f"S3 endpoint {self.endpoint}: {exc}", retryable=True) from None
        return PutResult(asset.key, self.url_for(asset.key), sent=True)

    def _same_object_there(self, client, key: str, sha256: str) -> bool:
        try:
            head = client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return False
            raise
        return head.get("Metadata", {}).get("sha256") == sha256


def _client_error(exc: ClientError, what: str) -> TargetError:
    meta = exc.response.get("ResponseMetadata", {})
    status = int(meta.get("HTTPStatusCode") or 0)
    code = exc.response.get("Error", {}).get("Code", "")
    retry_after = (meta.get("HTTPHeaders") or {}).get("retry-after")
    if status == 0:
        return TargetError(f"{what}: {code or exc}", retryable=True)
    return http_error(status, what, retry_after, code)
