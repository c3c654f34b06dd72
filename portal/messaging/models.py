"""The outbox: every e-mail and SMS is a row written in the transaction that caused it.

Bodies and attachments are encrypted at rest while the message waits (they may hold a
single-use link); once delivered, or failed for good and no longer re-sendable, the row keeps
only what an audit needs (see the worker).
"""
from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..clock import now
from ..extensions import db
from ..security import EncryptedBytes, EncryptedText


class Channel(str, enum.Enum):
    EMAIL = "email"
    SMS = "sms"


class Delivery(str, enum.Enum):
    PENDING = "pending"   # waiting for the worker (first try or a retry)
    SENT = "sent"         # handed to the backend
    FAILED = "failed"     # gave up after the last retry; the error is kept


class Message(db.Model):
    __tablename__ = "message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[Channel] = mapped_column(Enum(Channel, name="message_channel", values_callable=lambda e: [m.value for m in e]), nullable=False)
    # Stable Message-ID: a receiving server can recognise a retried message.
    message_id: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    sender: Mapped[str] = mapped_column(String(254), nullable=False)
    to: Mapped[str] = mapped_column(Text, nullable=False)          # comma-separated addresses or one phone number
    cc: Mapped[str] = mapped_column(Text, default="", nullable=False)
    subject: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    body_text: Mapped[str] = mapped_column(EncryptedText, nullable=False)
    body_html: Mapped[str | None] = mapped_column(EncryptedText)
    status: Mapped[Delivery] = mapped_column(Enum(Delivery, name="message_status", values_callable=lambda e: [m.value for m in e]), default=Delivery.PENDING, nullable=False, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when links, HTML body and attachment contents were removed (delivered, or failed long ago).
    scrubbed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the message is about, "quote:12": the object's page shows its delivery state.
    about: Mapped[str | None] = mapped_column(String(60), index=True)
    # The firm on whose behalf it was sent: who may send it again after a failure.
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id"))
    # Lease taken by the worker delivering the message: no other worker claims it until
    # locked_until has passed (a worker that died mid-delivery releases it that way).
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(100))

    attachments: Mapped[list["Attachment"]] = relationship(back_populates="message", cascade="all, delete-orphan", order_by="Attachment.id")

    @property
    def recipients(self) -> list[str]:
        return [a for a in (self.to.split(",") + self.cc.split(",")) if a]


class Attachment(db.Model):
    """Kept in the database with its message, so a message and its files commit together."""
    __tablename__ = "message_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    # None once the message is scrubbed; the name, size and SHA-256 stay for the audit.
    content: Mapped[bytes | None] = mapped_column(EncryptedBytes)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)

    message: Mapped[Message] = relationship(back_populates="attachments")

    def __init__(self, *, content: bytes, **fields):
        super().__init__(content=content, size=len(content), sha256=hashlib.sha256(content).hexdigest(), **fields)


class JobStatus(str, enum.Enum):
    PENDING = "pending"   # waiting for a worker (first try or a retry)
    DONE = "done"         # its work committed, with its result
    FAILED = "failed"     # gave up after the last retry; the error is kept


class Job(db.Model):
    """Work a click implies but need not wait for (render a PDF, then queue its e-mail…),
    written in the click's transaction and done by a worker with the messages' lease, retry
    and backoff. The payload holds ids only: what the work reads, it reads from the database."""
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), nullable=False)
    payload: Mapped[dict] = mapped_column(JSON, nullable=False)
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, name="job_status", native_enum=False, create_constraint=True, length=20,
             values_callable=lambda e: [m.value for m in e]),
        default=JobStatus.PENDING, nullable=False, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # What the job is about, "quote:12": the object's page shows that its work is under way.
    about: Mapped[str | None] = mapped_column(String(60), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_by: Mapped[str | None] = mapped_column(String(100))
