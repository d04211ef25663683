"""`flask queues`: depth, workers and failed jobs of each queue (render, gpu, export)."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from .. import queueing
from ..metrics import queue_stats

COLUMNS = ("queue", "queued", "started", "deferred", "scheduled", "failed", "workers")


def failed_jobs(queue: str, limit: int) -> list[dict]:
    """The newest failed jobs of a queue with the last line of their traceback (app context)."""
    registry = queueing.get_queue(queue).failed_job_registry
    out = []
    for job_id in list(reversed(registry.get_job_ids()))[:limit]:
        job = queueing.fetch_job(job_id)
        if job is None:
            continue
        result = job.latest_result()
        lines = (result.exc_string or "").strip().splitlines() if result else []
        out.append({"id": job.id, "func": job.func_name, "args": list(job.args),
                    "ended_at": job.ended_at.isoformat() if job.ended_at else None,
                    "error": lines[-1][:300] if lines else "unknown"})
    return out


def print_table(rows: list[dict]) -> None:
    click.echo("  ".join(f"{c:>9}" for c in COLUMNS))
    for row in rows:
        click.echo("  ".join(f"{row[c]:>9}" for c in COLUMNS))
    for row in rows:
        for job in row["failed_jobs"]:
            click.echo(f"failed {row['queue']}: {job['id']} {job['func']}{tuple(job['args'])} "
                       f"at {job['ended_at']}: {job['error']}")


@click.command("queues")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per queue")
@click.option("--failed", "show_failed", type=int, default=10, show_default=True,
              help="list up to this many failed jobs per queue, newest first")
@with_appcontext
def command(as_json: bool, show_failed: int) -> None:
    """Depth, workers and failed jobs of each queue (render, gpu, export)."""
    rows = queue_stats()
    for row in rows:
        row["failed_jobs"] = failed_jobs(row["queue"], show_failed) if row["failed"] else []
    if as_json:
        for row in rows:
            click.echo(json.dumps(row))
        return
    print_table(rows)
