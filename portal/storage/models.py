"""The record of every stored file: whose it is, what it is, and the hash its content is kept under."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..extensions import db
from ..security import EncryptedText


class StoredFile(db.Model):
    """One file as a record. Several records may share one content (same bytes, same `sha256`);
    the content is deleted with the last record that points at it."""
    __tablename__ = "stored_file"
    __table_args__ = (Index("ix_stored_file_owner", "owner_type", "owner_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What the file belongs to, by type and id ("quote", "12"), so any capability can own files
    # without the storage knowing its tables.
    owner_type: Mapped[str] = mapped_column(String(40), nullable=False)
    owner_id: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    # A client's file keeps a name it chose ("CNI_Jean_Dupont.pdf"): encrypted at rest, never
    # searched by value.
    file_name: Mapped[str] = mapped_column(EncryptedText, nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    # None only for the files issued before they had records (their size was not kept).
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False, index=True)
    # Who stored it, as a stable reference ("user:12", later "client:7"); None for the system.
    created_by: Mapped[str | None] = mapped_column(String(80))
