"""Fallback jobs: one RQ job per piece of work that a bigger job does together with others.

A render job renders several variants (the locales of a format share decoded art, analysis and
canvas), yet the reconciler, operators and the metrics see one RQ job per variant revision. So
each variant also gets its own job, deferred on the bigger one (depends_on, failure allowed).
While the bigger job waits or runs, the variant's job reads as waiting. Once the bigger job has
recorded the variant, it marks the variant's job finished (or failed) and takes it out of its
dependents (`complete`), so RQ never runs it. A variant the bigger job never recorded (it was
killed, timed out, or lost its claim) keeps its job: RQ releases it when the bigger job ends, or
the reconciler replaces it when the bigger job is lost, and the variant is rendered on its own.
"""
from __future__ import annotations

from redis.exceptions import WatchError
from rq.job import Job, JobStatus
from rq.registry import DeferredJobRegistry
from rq.results import Result
from rq.utils import now

from app import queueing


def waits_on(job_id: str, waiting_on: str) -> bool:
    """Whether `job_id` is still deferred on `waiting_on` (nobody replaced or released it)."""
    job = queueing.fetch_job(job_id)
    return (job is not None and job.get_status(refresh=False) == JobStatus.DEFERRED
            and waiting_on in job.dependency_ids)


def complete(job_id: str, waiting_on: str, error: str | None = None, result: str = "done") -> bool:
    """Mark `job_id` finished (failed with `error`) on behalf of `waiting_on`, only while it is
    still deferred on that job: a job the reconciler replaced meanwhile is left alone. Returns
    whether it was marked."""
    job = queueing.fetch_job(job_id)
    if job is None:
        return False
    with job.connection.pipeline() as pipe:
        try:
            pipe.watch(job.key, job.dependencies_key)
            status = pipe.hget(job.key, "status")
            if status != JobStatus.DEFERRED.value.encode() or not pipe.sismember(job.dependencies_key, waiting_on):
                return False
            pipe.multi()
            pipe.srem(Job.dependents_key_for(waiting_on), job.id)
            DeferredJobRegistry(job.origin, connection=job.connection).remove(job, pipeline=pipe)
            _record_outcome(job, pipe, error, result)
            pipe.execute()
            return True
        except WatchError:  # replaced, released or deleted while we looked: theirs now
            return False


def _record_outcome(job: Job, pipe, error: str | None, result: str) -> None:
    """What RQ records when a job ends, for a job that ended without running."""
    job.ended_at = now()
    if error is None:
        ttl = job.result_ttl if job.result_ttl is not None else 500
        job.set_status(JobStatus.FINISHED, pipeline=pipe)
        job.save(pipeline=pipe, include_meta=False, include_result=False)
        Result.create(job, Result.Type.SUCCESSFUL, ttl, return_value=result, pipeline=pipe)
        job.finished_job_registry.add(job, ttl, pipeline=pipe)
        job.cleanup(ttl, pipeline=pipe, remove_from_queue=False)
    else:
        ttl = job.failure_ttl if job.failure_ttl is not None else 86400
        job.set_status(JobStatus.FAILED, pipeline=pipe)
        Result.create_failure(job, ttl, error, pipeline=pipe)
        job.failed_job_registry.add(job, ttl=ttl, exc_string=error, pipeline=pipe)


def forget_replaced(waiting_on: str) -> int:
    """Before the bigger job ends: drop from its dependents every job id that no longer waits on
    it (the reconciler replaced that job by one of the same id that runs on its own), so that RQ
    does not release a second copy of it. Returns how many were dropped."""
    conn = queueing.redis_conn()
    key = Job.dependents_key_for(waiting_on)
    dropped = 0
    for raw in conn.smembers(key):
        job_id = raw.decode()
        if not conn.sismember(Job(job_id, connection=conn).dependencies_key, waiting_on):
            dropped += conn.srem(key, job_id)
    return dropped
