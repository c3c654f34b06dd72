"""The lease, retry and backoff shared by the outbox's two queues: messages and jobs.

A row is claimed by a short transaction that sets its lease (locked_until, locked_by); the work
happens while no lock is held; the result is written only if the lease is still ours. On
PostgreSQL the claim reads the row with `FOR UPDATE SKIP LOCKED`, so several workers share a
queue without waiting on one another; on SQLite the conditional UPDATE of the lease decides
who won. A worker that dies mid-work lets its lease expire, and the row is claimed again.
"""
from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ..clock import now
from ..extensions import db

MAX_ATTEMPTS = 8                       # the 8th failure marks the row failed
FIRST_DELAY = timedelta(seconds=30)    # then 1, 2, 4, 8, 16, 32 min… capped at MAX_DELAY
MAX_DELAY = timedelta(hours=1)
LEASE = timedelta(minutes=15)          # far longer than one delivery (SMTP timeout 30 s) or one PDF


def backoff(attempts: int) -> timedelta:
    """Delay before the next try of a row that has failed `attempts` times (≥ 1)."""
    if attempts < 1:
        raise ValueError("attempts counts the failed tries, from 1")
    if attempts > 16:  # 30 s × 2^16 is already far beyond the cap
        return MAX_DELAY
    return min(FIRST_DELAY * 2 ** (attempts - 1), MAX_DELAY)


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def _claimable(model, pending, moment: datetime):
    return (
        model.status == pending,
        model.next_attempt_at <= moment,
        or_(model.locked_until.is_(None), model.locked_until <= moment),
    )


def claim_next(model, pending, worker: str) -> tuple[int, str] | None:
    """Take the lease on the oldest due row of `model`; (its id, the lease token), or None
    when nothing is due. Committed: the lease is visible to every other worker at once."""
    session = db.session
    postgres = db.engine.dialect.name == "postgresql"
    # On SQLite another worker may take the row between the SELECT and the UPDATE: try the next.
    for _ in range(100):
        moment = now()
        query = select(model.id).where(*_claimable(model, pending, moment)).order_by(model.created_at, model.id).limit(1)
        if postgres:
            query = query.with_for_update(skip_locked=True)
        row_id = session.scalar(query)
        if row_id is None:
            session.commit()
            return None
        token = f"{worker}:{uuid.uuid4().hex[:12]}"
        claimed = session.execute(
            update(model).where(model.id == row_id, *_claimable(model, pending, moment))
            .values(locked_until=moment + LEASE, locked_by=token)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if claimed == 1:
            return row_id, token
    return None


def release(model, row_id: int, token: str, values: dict) -> bool:
    """Write `values` and drop the lease, only if the lease is still `token`'s (not committed:
    the caller commits it with whatever else the result implies)."""
    return bool(db.session.execute(
        update(model).where(model.id == row_id, model.locked_by == token)
        .values(locked_until=None, locked_by=None, **values)
        .execution_options(synchronize_session=False)
    ).rowcount)


def failure_values(attempts: int, text: str, permanent: bool, failed, error_length: int) -> dict:
    """The row's new values after its `attempts`-th failure: failed for good, or the next try."""
    values = {"attempts": attempts, "last_error": text[:error_length]}
    if permanent or attempts >= MAX_ATTEMPTS:
        values.update(status=failed, failed_at=now())
    else:
        values["next_attempt_at"] = now() + backoff(attempts)
    return values
