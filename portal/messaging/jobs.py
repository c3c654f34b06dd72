"""Background jobs: the work a click implies, committed with the click, done by the worker.

`enqueue` adds a Job row to the caller's transaction, so the state change and its work are
committed together or not at all. The worker (`flask worker`, several at once if needed)
claims a due job with the same lease as a message, runs its handler, and commits the handler's
changes together with the job marked done, only if its lease is still its own: a job's work is
committed once, never twice (a worker that outlived its lease has its work rolled back), and
never lost (a failure rolls back everything the handler did and retries with backoff).

The handlers are the capabilities' own functions, registered by kind with @handler; they take
the payload's values as keyword arguments and must not commit.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from sqlalchemy import select

from ..clock import now
from ..extensions import db
from .lease import claim_next, failure_values, release
from .models import Job, JobStatus

logger = logging.getLogger(__name__)

ERROR_LENGTH = 2000
_handlers: dict[str, Callable[..., None]] = {}


class UnknownJob(Exception):
    """A job whose kind no handler is registered for (a release that dropped it): failed for good."""


def handler(kind: str):
    """Register the decorated function as the work of the jobs of `kind`."""
    def register(function: Callable[..., None]) -> Callable[..., None]:
        if _handlers.get(kind, function) is not function:
            raise ValueError(f"two handlers for the jobs « {kind} »")
        _handlers[kind] = function
        return function
    return register


def enqueue(kind: str, *, about: str | None = None, **payload) -> Job:
    """Add a job to the caller's transaction (the caller commits)."""
    if kind not in _handlers:
        raise UnknownJob(kind)
    job = Job(kind=kind, payload=payload, about=about, status=JobStatus.PENDING)
    db.session.add(job)
    return job


def latest_job(kind: str, about: str) -> Job | None:
    """The last job of `kind` about `about` ("quote:12"), whatever its state."""
    return db.session.scalar(select(Job).where(Job.kind == kind, Job.about == about).order_by(Job.id.desc()).limit(1))


def run_due_jobs(app, worker: str, limit: int, stop: threading.Event | None = None) -> int:
    """Run up to `limit` due jobs, oldest first (inside an application context); say how many were tried."""
    tried = 0
    while tried < limit and not (stop and stop.is_set()):
        claim = claim_next(Job, JobStatus.PENDING, worker)
        if claim is None:
            break
        tried += 1
        _run(*claim)
    return tried


def _run(job_id: int, token: str) -> None:
    job = db.session.get(Job, job_id)
    kind, payload, attempts = job.kind, dict(job.payload), job.attempts
    try:
        work = _handlers.get(kind)
        if work is None:
            raise UnknownJob(kind)
        work(**payload)
    except Exception as error:  # noqa: BLE001  every failure is recorded on the row
        db.session.rollback()  # nothing of the failed work stays
        _record_failure(job_id, kind, token, attempts, error)
        return
    if release(Job, job_id, token, {"status": JobStatus.DONE, "done_at": now(), "attempts": attempts + 1}):
        db.session.commit()
    else:
        # Another worker holds the job since our lease ran out: its run is the one that counts.
        db.session.rollback()
        logger.error("Job %s (%s): lease lost before its work was committed; rolled back", job_id, kind)


def _record_failure(job_id: int, kind: str, token: str, attempts: int, error: Exception) -> None:
    text = f"{type(error).__name__}: {error}"
    values = failure_values(attempts + 1, text, isinstance(error, UnknownJob), JobStatus.FAILED, ERROR_LENGTH)
    if values.get("status") is JobStatus.FAILED:
        logger.error("Job %s (%s) failed for good after %d attempt(s): %s", job_id, kind, attempts + 1, text,
                     exc_info=error)
    else:
        logger.warning("Job %s (%s) attempt %d failed, next try at %s: %s", job_id, kind, attempts + 1,
                       values["next_attempt_at"].isoformat(timespec="seconds"), text)
    release(Job, job_id, token, values)
    db.session.commit()
