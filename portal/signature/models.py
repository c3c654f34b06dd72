"""The one-time code that confirms an electronic signature."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..extensions import db


class CodeStatus(str, enum.Enum):
    PENDING = "pending"     # sent, waiting for the signer
    VERIFIED = "verified"   # the right code was typed: used, never again
    BLOCKED = "blocked"     # every try used up


class SignatureCode(db.Model):
    """One challenge per subject (an opaque key such as "souscription:42"), replaced when a
    signature restarts. The code itself is never stored: only its HMAC."""
    __tablename__ = "signature_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)          # E.164
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)      # HMAC-SHA256, hex
    salt: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(10), default=CodeStatus.PENDING.value, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    resends: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
