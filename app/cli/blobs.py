"""`flask blobs info` and `flask blobs migrate-to-s3`: the blob store (key art, renders, masks)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..services import blob_store
from ..storage import BlobStore, LocalBlobStore, S3BlobStore, key_for

command = AppGroup("blobs", help="The blob store (key art, renders, masks).")


def copy_blobs(src: BlobStore, dst: BlobStore) -> dict[str, int]:
    """Copy every blob of `src` that `dst` lacks. Idempotent: a second run copies nothing.
    A local file whose bytes no longer hash to its key is reported, never copied."""
    counts = {"copied": 0, "present": 0, "corrupt": 0}
    for key in src.keys():
        if dst.exists(key):
            counts["present"] += 1
            continue
        data = src.get(key)
        if key_for(data) != key:
            click.echo(f"corrupt: {key} (its bytes hash to {key_for(data)}); not copied", err=True)
            counts["corrupt"] += 1
            continue
        dst.put(data)
        counts["copied"] += 1
    return counts


@command.command("migrate-to-s3")
@click.option("--from", "source", type=click.Path(file_okay=False), default=None,
              help="local blob directory; default: MARQUEE_STORAGE_DIR")
@click.option("--bucket", default=None, help="default: MARQUEE_S3_BUCKET")
@click.option("--prefix", default=None, help="default: MARQUEE_S3_PREFIX")
@click.option("--endpoint", default=None, help="default: MARQUEE_S3_ENDPOINT")
def migrate_to_s3(source: str | None, bucket: str | None, prefix: str | None, endpoint: str | None) -> None:
    """Copy a local blob store into a bucket (idempotent), then set MARQUEE_BLOB_BACKEND=s3."""
    cfg = current_app.config
    src = LocalBlobStore(source or cfg["STORAGE_DIR"])
    try:
        dst = S3BlobStore(bucket or cfg["S3_BUCKET"], cfg["S3_PREFIX"] if prefix is None else prefix,
                          endpoint_url=endpoint or cfg["S3_ENDPOINT"] or None, region=cfg["S3_REGION"] or None)
        dst.ping()
    except Exception as exc:  # noqa: BLE001 - name the problem, no traceback
        raise click.ClickException(f"cannot reach the bucket: {type(exc).__name__}: {exc}") from None
    counts = copy_blobs(src, dst)
    click.echo(f"{src.location} -> {dst.location}: copied {counts['copied']}, already there "
               f"{counts['present']}, corrupt {counts['corrupt']}")
    if counts["corrupt"]:
        raise SystemExit(1)


@command.command("info")
def blobs_info() -> None:
    """The configured backend, where it is, whether it answers, and how many blobs it holds."""
    store = blob_store()
    store.ping()
    click.echo(f"{store.backend} {store.location}: {store.count()} blobs")
