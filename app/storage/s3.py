"""Blobs in an S3-compatible bucket (AWS, MinIO, Ceph, moto): what lets workers and web
processes run on different hosts. Credentials come from the environment as boto3 finds them
(AWS_ACCESS_KEY_ID/..., a profile, an instance role); only endpoint, bucket and prefix are ours.
"""
from __future__ import annotations

from typing import BinaryIO, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .base import BlobStore, HEX, check_key, key_for, shard

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore(BlobStore):
    backend = "s3"

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, client=None) -> None:
        if not bucket:
            raise ValueError("the S3 blob store needs a bucket (MARQUEE_S3_BUCKET)")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url or None
        if client is None:
            client = boto3.client("s3", endpoint_url=self.endpoint_url, region_name=region or None,
                                  config=Config(retries={"max_attempts": 5, "mode": "standard"},
                                                max_pool_connections=32,
                                                # MinIO, Ceph and moto behind an IP: path-style URLs
                                                s3={"addressing_style": "path"} if self.endpoint_url else {}))
        self.client = client

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")

    def object_key(self, key: str) -> str:
        return f"{self.prefix}/{shard(key)}" if self.prefix else shard(key)

    def _missing(self, exc: Exception) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in _MISSING

    def _call(self, key: str, fn, **kw):
        try:
            return fn(Bucket=self.bucket, Key=self.object_key(key), **kw)
        except ClientError as exc:
            if self._missing(exc):
                raise FileNotFoundError(f"blob {key} not in {self.location}") from None
            raise

    def put(self, data: bytes) -> str:
        key = key_for(data)
        if not self.exists(key):  # content-addressed: the same bytes are uploaded once
            self.client.put_object(Bucket=self.bucket, Key=self.object_key(key), Body=data,
                                   ContentType="application/octet-stream")
        return key

    def get(self, key: str) -> bytes:
        return self._call(key, self.client.get_object)["Body"].read()

    def open(self, key: str) -> BinaryIO:
        return self._call(key, self.client.get_object)["Body"]

    def size(self, key: str) -> int:
        return int(self._call(key, self.client.head_object)["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except FileNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))

    def keys(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else "")
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1]
                if len(name) == 64 and HEX.issuperset(name):
                    yield name

    def ping(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)

    def url(self, key: str, expires_s: int = 300) -> str | None:
        check_key(key)
        return self.client.generate_presigned_url("get_object", ExpiresIn=expires_s,
                                                  Params={"Bucket": self.bucket, "Key": self.object_key(key)})
