"""The nightly work on quotes: "Expiré" after "Expire le", and the agenda's warning 5 days before.

Every page already shows a quote past its date as "Expiré" (service.status_on); this writes
it down through the journal (with its agenda entry), so exports, searches and the history agree.
Running it twice a day, or after a missed night, changes nothing more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select

from ..extensions import db
from ..journal.models import JournalEntry
from ..journal.service import record
from .models import Quote, QuoteStatus
from .service import agenda_note, transition

WARNING_DAYS = 5
SYSTEM = "système (tâche quotidienne)"
EXPIRING_SOON = "devis_expire_bientot"


@dataclass(frozen=True)
class DailyReport:
    expired: int
    warned: int


def run_daily(today: date) -> DailyReport:
    expired = expire_quotes(today)
    warned = warn_expiring(today)
    db.session.commit()
    return DailyReport(expired, warned)


def expire_quotes(today: date) -> int:
    quotes = db.session.scalars(select(Quote).where(Quote.is_past_expiry(today))
                                .order_by(Quote.id).with_for_update(skip_locked=True)).all()
    for quote in quotes:
        transition(quote, QuoteStatus.EXPIRE, SYSTEM, "Devis expiré",
                   agenda=("devis_expire", f"devis expiré le {quote.expires_on + timedelta(days=1):%d/%m/%Y}"))
    return len(quotes)


def warn_expiring(today: date) -> int:
    """One "Devis arrivant à expiration" agenda entry per quote version, WARNING_DAYS before its date."""
    already = exists().where(JournalEntry.quote_id == Quote.id, JournalEntry.agenda_kind == EXPIRING_SOON)
    quotes = db.session.scalars(select(Quote).where(
        Quote.status.in_((QuoteStatus.VALIDE, QuoteStatus.PROPOSE)),
        Quote.expires_on >= today, Quote.expires_on <= today + timedelta(days=WARNING_DAYS), ~already)
        .order_by(Quote.id)).all()
    for quote in quotes:
        record(actor=SYSTEM, object_type="devis", object_id=quote.id, action="Devis arrivant à expiration",
               firm_id=quote.firm_id,
               agenda=agenda_note(quote, EXPIRING_SOON, f"Devis arrivant à expiration le {quote.expires_on:%d/%m/%Y}"))
    return len(quotes)
