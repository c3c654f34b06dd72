"""The nightly work on quotes: "Expiré" after "Expire le", and the agenda's warning 5 days before.

Every page already shows a quote past its date as "Expiré" (service.status_on); this writes
it down, with its agenda event and audit row, so exports, searches and the history agree.
Running it twice a day, or after a missed night, changes nothing more.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, select

from ..catalog.loader import get_catalog
from ..extensions import db
from ..portfolio.events import record_quote_event
from ..portfolio.models import Event
from .models import Quote, QuoteStatus
from .service import EXPIRING, transition

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
    quotes = db.session.scalars(select(Quote).where(Quote.status.in_(EXPIRING), Quote.expires_on < today)
                                .order_by(Quote.id).with_for_update(skip_locked=True)).all()
    for quote in quotes:
        transition(quote, QuoteStatus.EXPIRE, SYSTEM, "Devis expiré")
        _event(quote, "devis_expire", f"devis expiré le {quote.expires_on + timedelta(days=1):%d/%m/%Y}")
    return len(quotes)


def warn_expiring(today: date) -> int:
    """One "Devis arrivant à expiration" event per quote version, WARNING_DAYS before its date."""
    already = exists().where(Event.quote_id == Quote.id, Event.kind == EXPIRING_SOON)
    quotes = db.session.scalars(select(Quote).where(
        Quote.status.in_((QuoteStatus.VALIDE, QuoteStatus.PROPOSE)),
        Quote.expires_on >= today, Quote.expires_on <= today + timedelta(days=WARNING_DAYS), ~already)
        .order_by(Quote.id)).all()
    for quote in quotes:
        _event(quote, EXPIRING_SOON, f"Devis arrivant à expiration le {quote.expires_on:%d/%m/%Y}")
    return len(quotes)


def _event(quote: Quote, kind: str, what: str) -> None:
    product = get_catalog().product(quote.product_code)
    record_quote_event(quote, kind=kind, what=what, product_name=product.name,
                       formula_name=product.formula(quote.formula_code).name)
