"""The journal's rows: who did what to which object, when, from which status to which.

A row may also be an agenda entry ("Accueil" › AGENDA) when the change asks for one: it then
carries the entry's firm, description, domain, effect date, person and quote. Statuses are
stored as codes ("valide"), objects by their integer id, so that a row never changes meaning
when a label or a quote's number does. `closed_at` is the one column written after the fact:
the broker's "Clôturer" on the agenda.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import now
from ..extensions import db


class JournalEntry(db.Model):
    __tablename__ = "journal"
    __table_args__ = (
        Index("ix_journal_object", "object_type", "object_id"),
        Index("ix_journal_firm_at", "firm_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, nullable=False, index=True)
    # None when the actor is the customer (through its link) or a system command.
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor: Mapped[str] = mapped_column(String(120), nullable=False)  # e-mail of the user, "client", "système…"
    firm_id: Mapped[int | None] = mapped_column(ForeignKey("firm.id"))  # the firm whose object it is
    object_type: Mapped[str] = mapped_column(String(40), nullable=False)  # "devis", "user", "firm", "journal"
    object_id: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(80), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)

    # The agenda entry, when there is one (agenda_kind set).
    agenda_kind: Mapped[str | None] = mapped_column(String(40))  # e.g. "devis_envoye"
    effect_date: Mapped[date | None] = mapped_column(Date)  # "Effet le"
    description: Mapped[str | None] = mapped_column(String(500))
    domain: Mapped[str | None] = mapped_column(String(60))  # "Devis n° RIS-0000000034/1"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quote.id"), index=True)
    # What "Filtrer" looks into: the columns as the agenda shows them, accents and case folded.
    agenda_search: Mapped[str | None] = mapped_column(String(700))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
