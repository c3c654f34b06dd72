"""Queueing messages: called by the business services, inside their transaction.

Nothing is sent here; `flask worker` (or the worker thread of the dev server) delivers.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from flask import current_app, render_template
from sqlalchemy import select, update

from ..journal.service import record
from ..clock import now
from ..extensions import db
from .models import Attachment, Channel, Delivery, Message


@dataclass(frozen=True)
class File:
    filename: str
    content_type: str
    content: bytes


def _message_id() -> str:
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rsplit("@", 1)[-1] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def about(kind: str, ident) -> str:
    """The reference of what a message is about: about("quote", 12) → "quote:12"."""
    return f"{kind}:{ident}"


def queue_email(*, to: list[str] | str, subject: str, template: str, context: dict | None = None,
                cc: list[str] | str = (), attachments: list[File] = (), about: str | None = None,
                firm_id: int | None = None) -> Message:
    """Render templates/emails/<template>.txt and .html with the common footer, and queue it.

    `about` (see about()) lets the object's page show whether the message left; `firm_id` is
    the firm it is sent for, whose brokers may send it again after a failure."""
    context = dict(context or {})
    text = render_template(f"emails/{template}.txt", **context)
    html = render_template(f"emails/{template}.html", **context)
    to_list = [to] if isinstance(to, str) else list(to)
    cc_list = [cc] if isinstance(cc, str) else list(cc)
    # Nobody receives the same message twice because it is both in To and in Cc.
    cc_list = [a for a in cc_list if a and a.lower() not in {t.lower() for t in to_list}]
    message = Message(
        channel=Channel.EMAIL,
        message_id=_message_id(),
        sender=current_app.config["MAIL_FROM"],
        to=",".join(to_list),
        cc=",".join(cc_list),
        subject=subject,
        body_text=text,
        body_html=html,
        about=about,
        firm_id=firm_id,
    )
    message.attachments = [Attachment(filename=f.filename, content_type=f.content_type, content=f.content) for f in attachments]
    db.session.add(message)
    return message


def queue_sms(*, to: str, text: str) -> Message:
    message = Message(
        channel=Channel.SMS,
        message_id=_message_id(),
        sender="Mes Solutions Plus",
        to=to,
        body_text=text,
    )
    db.session.add(message)
    return message


# ---------------------------------------------------------------------------------------
# Delivery states, for the pages of what the messages are about


class RetryError(Exception):
    """A message cannot be sent again; the French message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class DeliveryState:
    message_id: int
    about: str | None
    subject: str
    recipients: str
    status: Delivery
    sent_at: datetime | None
    failed_at: datetime | None
    error: str | None
    can_retry: bool


def _state(message: Message) -> DeliveryState:
    return DeliveryState(
        message_id=message.id, about=message.about, subject=message.subject, recipients=", ".join(message.recipients),
        status=message.status, sent_at=message.sent_at,
        failed_at=message.failed_at, error=message.last_error,
        can_retry=message.status is Delivery.FAILED and message.scrubbed_at is None,
    )


def delivery_states(reference: str) -> list[DeliveryState]:
    """Every message about `reference` ("quote:12"), oldest first."""
    messages = db.session.scalars(select(Message).where(Message.about == reference)
                                  .order_by(Message.created_at, Message.id))
    return [_state(message) for message in messages]


def failed_messages(limit: int = 200) -> list[DeliveryState]:
    """Messages that failed for good, newest first: the back-office's alert list."""
    messages = db.session.scalars(select(Message).where(Message.status == Delivery.FAILED)
                                  .order_by(Message.failed_at.desc(), Message.id.desc()).limit(limit))
    return [_state(message) for message in messages]


def count_failed() -> int:
    return db.session.scalar(select(db.func.count()).select_from(Message).where(Message.status == Delivery.FAILED))


def retry(message: Message, actor) -> None:
    """Put a message that failed for good back in the queue, as it was written.

    Of two simultaneous clicks only one changes the row (the status is the condition)."""
    if message.status is not Delivery.FAILED:
        raise RetryError("Ce message n'est pas en échec : il n'y a rien à renvoyer.")
    if message.scrubbed_at is not None:
        raise RetryError("Le contenu de ce message n'est plus conservé : envoyez-le à nouveau depuis la page du dossier.")
    requeued = db.session.execute(
        update(Message).where(Message.id == message.id, Message.status == Delivery.FAILED,
                              Message.scrubbed_at.is_(None))
        .values(status=Delivery.PENDING, attempts=0, next_attempt_at=now(), failed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if requeued:
        record(actor=actor, object_type="message", object_id=message.id, action="Message renvoyé après échec",
               from_status=Delivery.FAILED.value, to_status=Delivery.PENDING.value, detail=message.about)
    db.session.commit()
