"""Queues and enqueueing, at the bottom of the house: services enqueue through here, jobs/ only
runs what they enqueue. Job ids are derived from what a job works on (one RQ job per variant
revision), so enqueueing twice never runs a job twice."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Dependency, Job, JobStatus

RENDER = "render"
GPU = "gpu"
EXPORT = "export"

_ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def redis_conn() -> Redis:
    ext = current_app.extensions
    if "marquee_redis" not in ext:
        ext["marquee_redis"] = Redis.from_url(current_app.config["REDIS_URL"])
    return ext["marquee_redis"]


def queue_name(name: str) -> str:
    return f"{current_app.config['QUEUE_PREFIX']}{name}"


def job_id_for(name: str) -> str:
    """An RQ job id: the queue prefix (so deployments and test runs sharing one Redis never meet)
    made safe for RQ, which allows [A-Za-z0-9_-] only, then `name`."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", current_app.config.get("QUEUE_PREFIX", "")) + name


def render_job_id(variant_id: int, revision: int) -> str:
    """One RQ job id per variant revision, so enqueueing twice never renders twice.

    Prefixed with the queue prefix: variant ids restart in every database, so deployments
    (and test runs) sharing one Redis must never meet each other's ids."""
    return job_id_for(f"render-v{variant_id}-r{revision}")


def get_queue(name: str) -> Queue:
    return Queue(queue_name(name), connection=redis_conn())


def fetch_job(job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=redis_conn())
    except NoSuchJobError:
        return None


def discard_job(job: Job) -> None:
    """Delete a job, first taking it out of the dependents of the jobs it waited for. RQ's delete
    leaves its id there, and the job the reconciler enqueues again under that id (a variant's job
    that waited on a chunk whose worker died) was then taken for a dependent of the dead chunk:
    when RQ's registry cleanup ended that chunk it WATCHed the new job's dependencies, none, and
    the error stopped every worker's maintenance, again after each restart, so nothing was
    recovered. RQ 3 can refuse to delete a job whose worker died mid-run, so fall back to
    removing it from the started registry and dropping its hash."""
    conn = redis_conn()
    for dep_id in job.dependency_ids:
        conn.srem(Job.dependents_key_for(dep_id), job.id)
    try:
        job.delete()
    except Exception:  # noqa: BLE001 - any RQ refusal: remove by hand
        for reg in (job.started_job_registry, job.failed_job_registry):
            conn.zrem(reg.key, job.id)
        conn.delete(job.key, job.dependents_key, job.dependencies_key)


def enqueue_once(queue: str, func: str, job_id: str, *args: object, timeout: int | None = None,
                 depends_on: str | None = None, delay_s: float = 0.0) -> bool:
    """Enqueue unless a job with this id is already waiting, scheduled or running. True if enqueued.

    `depends_on` (a job id) defers the job until that one ends, finished or failed: a render
    waits for its GPU job and then decides itself what a failure means. `delay_s` schedules it
    (RQ's scheduler, which the workers run, moves it to the queue when due)."""
    job = fetch_job(job_id)
    if job is not None:
        status = job.get_status(refresh=False)
        if status in _ACTIVE:
            return False
        discard_job(job)
    dep = Dependency(jobs=[depends_on], allow_failure=True) if depends_on else None
    options = dict(job_id=job_id, job_timeout=timeout or current_app.config["RENDER_JOB_TIMEOUT"],
                   result_ttl=3600, failure_ttl=86400, depends_on=dep)
    if delay_s > 0:
        get_queue(queue).enqueue_in(timedelta(seconds=delay_s), func, *args, **options)
    else:
        get_queue(queue).enqueue(func, *args, **options)
    return True


def queued_args(queue: str, func: str, limit: int) -> list[tuple]:
    """The arguments of the jobs of `func` still waiting on `queue`, oldest first, looking at the
    first `limit` jobs only. Read-only: nothing is dequeued or changed, so a job read here still
    runs as it would have (a GPU job reads its neighbours to fill its batch)."""
    ids = get_queue(queue).get_job_ids(0, limit)
    found = []
    for job in Job.fetch_many(ids, connection=redis_conn()):
        try:
            if job is None or job.func_name != func or job.get_status(refresh=False) != JobStatus.QUEUED:
                continue
            found.append(tuple(job.args))
        except Exception:  # noqa: BLE001 - an unreadable job is simply not a neighbour
            continue
    return found
