"""The worker: delivers the due messages of the outbox, retries with backoff, records failures.

Claiming a message is a short transaction that sets a lease (locked_until, locked_by) on its
row; the delivery happens outside any transaction, then a second short transaction records
the result, only if the lease is still ours. On PostgreSQL the claim reads the row with
`FOR UPDATE SKIP LOCKED`, so several `flask worker` processes share the queue without
waiting on one another; on SQLite the conditional UPDATE of the lease decides who won.

A message is handed to the backend at most once per claim, and a claim is never given to
two workers. The only way a message can go out twice is a worker dying after the SMTP
server accepted it and before the result was committed: the lease then expires and the
message is sent again with the same Message-ID, which receiving servers use to recognise it.

Once delivered, a message keeps what an audit needs and nothing that opens an account or a
dossier: its links are redacted from the text, the HTML body and the attachments' contents are
dropped (their names, sizes and SHA-256 stay). A message that failed for good keeps its
(encrypted) content FAILED_RETENTION long, so that it can be sent again as written, then is
scrubbed the same way.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from ..clock import now
from ..extensions import db
from .backends import DeliveryError, backend_for
from .models import Attachment, Delivery, Message

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8                       # the 8th failure marks the message failed
FIRST_DELAY = timedelta(seconds=30)    # then 1, 2, 4, 8, 16, 32 min… capped at MAX_DELAY
MAX_DELAY = timedelta(hours=1)
LEASE = timedelta(minutes=15)          # far longer than one delivery (SMTP timeout 30 s)
ERROR_LENGTH = 2000
BATCH = 50                             # messages per round
FAILED_RETENTION = timedelta(days=7)   # a failed message can be sent again that long
LINK = re.compile(r"https?://\S+")
REDACTED_LINK = "[lien retiré après l'envoi]"
ONE_TIME_CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")  # the signature code of an SMS
REDACTED_CODE = "[code retiré après l'envoi]"


def redact_links(text: str) -> str:
    """The text without its links nor one-time codes: a single-use or customer link, or a
    signature code, must not outlive the delivery."""
    return ONE_TIME_CODE.sub(REDACTED_CODE, LINK.sub(REDACTED_LINK, text))


def _scrubbed(body_text: str) -> dict:
    """The values that leave a message with only what an audit needs."""
    return {"body_text": redact_links(body_text), "body_html": None, "scrubbed_at": now()}


def backoff(attempts: int) -> timedelta:
    """Delay before the next try of a message that has failed `attempts` times (≥ 1)."""
    if attempts < 1:
        raise ValueError("attempts counts the failed tries, from 1")
    if attempts > 16:  # 30 s × 2^16 is already far beyond the cap
        return MAX_DELAY
    return min(FIRST_DELAY * 2 ** (attempts - 1), MAX_DELAY)


@dataclass
class Round:
    attempted: int = 0
    sent: int = 0


def _worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def _claimable(moment: datetime):
    return (
        Message.status == Delivery.PENDING,
        Message.next_attempt_at <= moment,
        or_(Message.locked_until.is_(None), Message.locked_until <= moment),
    )


def _claim_next(worker: str) -> tuple[Message, str] | None:
    """Take the lease on the oldest due message; None when nothing is due."""
    session = db.session
    postgres = db.engine.dialect.name == "postgresql"
    # On SQLite another worker may take the row between the SELECT and the UPDATE: try the next.
    for _ in range(100):
        moment = now()
        query = select(Message.id).where(*_claimable(moment)).order_by(Message.created_at, Message.id).limit(1)
        if postgres:
            query = query.with_for_update(skip_locked=True)
        message_id = session.scalar(query)
        if message_id is None:
            session.commit()
            return None
        token = f"{worker}:{uuid.uuid4().hex[:12]}"
        claimed = session.execute(
            update(Message).where(Message.id == message_id, *_claimable(moment))
            .values(locked_until=moment + LEASE, locked_by=token)
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
        if claimed == 1:
            message = session.scalars(
                select(Message).options(selectinload(Message.attachments)).where(Message.id == message_id)
            ).one()
            # Delivered detached, outside any transaction: no lock is held while the network is slow.
            session.expunge(message)
            session.commit()
            return message, token
    return None


def _record(message_id: int, token: str, values: dict) -> bool:
    done = db.session.execute(
        update(Message).where(Message.id == message_id, Message.locked_by == token)
        .values(locked_until=None, locked_by=None, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done and "scrubbed_at" in values:
        _drop_attachment_contents(message_id)
    db.session.commit()
    if not done:
        logger.error("Message %s: lease lost before its result was recorded (%s)", message_id, values.get("status"))
    return bool(done)


def _deliver(app, message: Message, token: str) -> bool:
    try:
        backend_for(app, message.channel).send(message)
    except Exception as error:  # noqa: BLE001  every failure is recorded on the row
        _record_failure(message, token, error)
        return False
    _record(message.id, token, {"status": Delivery.SENT, "sent_at": now(), "attempts": message.attempts + 1,
                                **_scrubbed(message.body_text)})
    return True


def _drop_attachment_contents(message_id: int) -> None:
    db.session.execute(update(Attachment).where(Attachment.message_id == message_id).values(content=None)
                       .execution_options(synchronize_session=False))


def scrub_old_failures(limit: int = BATCH) -> int:
    """Scrub the messages that failed for good more than FAILED_RETENTION ago; say how many."""
    moment = now()
    old = db.session.scalars(select(Message).where(
        Message.status == Delivery.FAILED, Message.scrubbed_at.is_(None),
        Message.failed_at <= moment - FAILED_RETENTION).order_by(Message.id).limit(limit)).all()
    for message in old:
        # The status is the condition: a message sent again meanwhile is left to its new delivery.
        done = db.session.execute(
            update(Message).where(Message.id == message.id, Message.status == Delivery.FAILED,
                                  Message.scrubbed_at.is_(None))
            .values(**_scrubbed(message.body_text)).execution_options(synchronize_session=False)
        ).rowcount
        if done:
            _drop_attachment_contents(message.id)
    db.session.commit()
    return len(old)


def _record_failure(message: Message, token: str, error: Exception) -> None:
    attempts = message.attempts + 1
    if isinstance(error, DeliveryError):
        text, permanent = str(error), error.permanent
    else:
        text, permanent = f"{type(error).__name__}: {error}", False
        logger.exception("Message %s: unexpected error while delivering", message.id)
    values = {"attempts": attempts, "last_error": text[:ERROR_LENGTH]}
    if permanent or attempts >= MAX_ATTEMPTS:
        values["status"] = Delivery.FAILED
        values["failed_at"] = now()
        # An error line for the alerting; the back-office also lists it (/gestion/messages-en-echec).
        logger.error("Message %s (%s, %s, about %s) failed for good after %d attempt(s): %s",
                     message.id, message.channel.value, message.message_id, message.about or "-", attempts, text)
    else:
        values["next_attempt_at"] = now() + backoff(attempts)
        logger.warning("Message %s (%s) attempt %d failed, next try at %s: %s",
                       message.id, message.channel.value, attempts, values["next_attempt_at"].isoformat(timespec="seconds"), text)
    _record(message.id, token, values)


def deliver_round(app, limit: int = BATCH, stop: threading.Event | None = None) -> Round:
    """Deliver up to `limit` due messages, oldest first; say how many were tried and sent."""
    result = Round()
    worker = _worker_name()
    with app.app_context():
        scrub_old_failures()
        while result.attempted < limit and not (stop and stop.is_set()):
            claim = _claim_next(worker)
            if claim is None:
                break
            result.attempted += 1
            if _deliver(app, *claim):
                result.sent += 1
    return result


def deliver_due(app, limit: int = BATCH) -> int:
    """Deliver the messages that are due; return how many went out."""
    return deliver_round(app, limit).sent


def run_worker(app, stop_event: threading.Event, interval: float = 2.0, limit: int = BATCH) -> None:
    """Deliver due messages every `interval` seconds until `stop_event` is set.

    An error (database unreachable, say) is logged and the loop goes on at the next round.
    """
    logger.info("Message worker started (every %.1f s)", interval)
    while not stop_event.is_set():
        busy = False
        try:
            busy = deliver_round(app, limit, stop_event).attempted >= limit
        except Exception:  # noqa: BLE001  the worker outlives any one round
            logger.exception("Message delivery round failed; next round in %.1f s", interval)
        if not busy:
            stop_event.wait(interval)
    logger.info("Message worker stopped")
