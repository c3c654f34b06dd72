"""Agenda events: what happened on a dossier, shown on the firm's AGENDA (Accueil)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..extensions import db


class Event(db.Model):
    __tablename__ = "event"
    __table_args__ = (Index("ix_event_firm_created", "firm_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firm.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # e.g. "devis_envoye"
    effect_date: Mapped[date] = mapped_column(Date, nullable=False)  # "Effet le"
    description: Mapped[str] = mapped_column(String(500), nullable=False)
    domain: Mapped[str] = mapped_column(String(60), nullable=False)  # "Devis n° RIS-0000000034/1"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quote.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
