"""The worker: runs the due jobs, then delivers the due messages of the outbox; retries with
backoff, records failures.

Messages and jobs share one lease (see lease.py): claiming is a short transaction that sets
the lease on the row; the delivery happens outside any transaction, then a second short
transaction records the result, only if the lease is still ours. Several `flask worker`
processes, on one machine or many, share both queues without waiting on one another.

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
import re
import threading
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from ..clock import now
from ..extensions import db
from .backends import DeliveryError, backend_for
from .jobs import run_due_jobs
from .lease import MAX_ATTEMPTS, backoff, claim_next, failure_values, release, worker_name  # noqa: F401  MAX_ATTEMPTS, backoff: read here by callers
from .models import Attachment, Delivery, Message

logger = logging.getLogger(__name__)

ERROR_LENGTH = 2000
BATCH = 50                             # jobs, then messages, per round
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


@dataclass
class Round:
    """What one call of deliver_round did, for its caller's log line: a report local to the
    call, never shared between workers (each message is claimed by its own lease in SQL, and
    the limit it guards is this call's batch size)."""
    jobs: int = 0
    attempted: int = 0
    sent: int = 0


def _claim_next(worker: str) -> tuple[Message, str] | None:
    """Take the lease on the oldest due message; None when nothing is due."""
    claim = claim_next(Message, Delivery.PENDING, worker)
    if claim is None:
        return None
    message_id, token = claim
    message = db.session.scalars(
        select(Message).options(selectinload(Message.attachments)).where(Message.id == message_id)).one()
    # Delivered detached, outside any transaction: no lock is held while the network is slow.
    db.session.expunge(message)
    db.session.commit()
    return message, token


def _record(message_id: int, token: str, values: dict) -> bool:
    done = release(Message, message_id, token, values)
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
    values = failure_values(attempts, text, permanent, Delivery.FAILED, ERROR_LENGTH)
    if values.get("status") is Delivery.FAILED:
        # An error line for the alerting; the back-office also lists it (/gestion/messages-en-echec).
        logger.error("Message %s (%s, %s, about %s) failed for good after %d attempt(s): %s",
                     message.id, message.channel.value, message.message_id, message.about or "-", attempts, text)
    else:
        logger.warning("Message %s (%s) attempt %d failed, next try at %s: %s",
                       message.id, message.channel.value, attempts, values["next_attempt_at"].isoformat(timespec="seconds"), text)
    _record(message.id, token, values)


def deliver_round(app, limit: int = BATCH, stop: threading.Event | None = None) -> Round:
    """Run up to `limit` due jobs (they may queue messages), then deliver up to `limit` due
    messages, oldest first; say how many jobs were run and messages tried and sent."""
    result = Round()
    worker = worker_name()
    with app.app_context():
        result.jobs = run_due_jobs(app, worker, limit, stop)
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
    """Run due jobs and deliver due messages every `interval` seconds until `stop_event` is set.

    An error (database unreachable, say) is logged and the loop goes on at the next round.
    """
    logger.info("Message worker started (every %.1f s)", interval)
    while not stop_event.is_set():
        busy = False
        try:
            result = deliver_round(app, limit, stop_event)
            busy = result.jobs >= limit or result.attempted >= limit
        except Exception:  # noqa: BLE001  the worker outlives any one round
            logger.exception("Message delivery round failed; next round in %.1f s", interval)
        if not busy:
            stop_event.wait(interval)
    logger.info("Message worker stopped")
