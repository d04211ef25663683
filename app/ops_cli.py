"""Operator commands: `flask blobs migrate-to-s3` and `flask queues`."""
from __future__ import annotations

import json

import click
from flask import Flask, current_app


def copy_blobs(src, dst) -> dict[str, int]:
    """Copy every blob of `src` that `dst` lacks. Idempotent: a second run copies nothing.
    A local file whose bytes no longer hash to its key is reported, never copied."""
    from .storage import key_for

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


def register_ops_cli(app: Flask) -> None:
    @app.cli.group("blobs")
    def blobs() -> None:
        """The blob store (key art, renders, masks)."""

    @blobs.command("migrate-to-s3")
    @click.option("--from", "source", type=click.Path(file_okay=False), default=None,
                  help="local blob directory; default: MARQUEE_STORAGE_DIR")
    @click.option("--bucket", default=None, help="default: MARQUEE_S3_BUCKET")
    @click.option("--prefix", default=None, help="default: MARQUEE_S3_PREFIX")
    @click.option("--endpoint", default=None, help="default: MARQUEE_S3_ENDPOINT")
    def migrate_to_s3(source: str | None, bucket: str | None, prefix: str | None, endpoint: str | None) -> None:
        """Copy a local blob store into a bucket (idempotent), then set MARQUEE_BLOB_BACKEND=s3."""
        from .storage import LocalBlobStore, S3BlobStore

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

    @blobs.command("info")
    def blobs_info() -> None:
        """The configured backend, where it is, whether it answers, and how many blobs it holds."""
        from .services import blob_store

        store = blob_store()
        store.ping()
        click.echo(f"{store.backend} {store.location}: {store.count()} blobs")

    @app.cli.command("queues")
    @click.option("--json", "as_json", is_flag=True, help="one JSON object per queue")
    @click.option("--failed", "show_failed", type=int, default=10, show_default=True,
                  help="list up to this many failed jobs per queue, newest first")
    def queues(as_json: bool, show_failed: int) -> None:
        """Depth, workers and failed jobs of each queue (render, gpu, export)."""
        from .metrics import queue_stats

        rows = queue_stats()
        for row in rows:
            row["failed_jobs"] = failed_jobs(row["queue"], show_failed) if row["failed"] else []
        if as_json:
            for row in rows:
                click.echo(json.dumps(row))
            return
        cols = ("queue", "queued", "started", "deferred", "scheduled", "failed", "workers")
        click.echo("  ".join(f"{c:>9}" for c in cols))
        for row in rows:
            click.echo("  ".join(f"{row[c]:>9}" for c in cols))
        for row in rows:
            for job in row["failed_jobs"]:
                click.echo(f"failed {row['queue']}: {job['id']} {job['func']}{tuple(job['args'])} "
                           f"at {job['ended_at']}: {job['error']}")


def failed_jobs(queue: str, limit: int) -> list[dict]:
    """The newest failed jobs of a queue with the last line of their traceback (app context)."""
    from app.queueing import fetch_job, get_queue

    registry = get_queue(queue).failed_job_registry
    out = []
    for job_id in list(reversed(registry.get_job_ids()))[:limit]:
        job = fetch_job(job_id)
        if job is None:
            continue
        result = job.latest_result()
        lines = (result.exc_string or "").strip().splitlines() if result else []
        out.append({"id": job.id, "func": job.func_name, "args": list(job.args),
                    "ended_at": job.ended_at.isoformat() if job.ended_at else None,
                    "error": lines[-1][:300] if lines else "unknown"})
    return out
